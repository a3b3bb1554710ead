#!/usr/bin/env python3
"""Dump a GGUF file's header, metadata and tensor table as text, using the `gguf` Python package.

This is the independent oracle for tests/gguf/real_files_test.cpp, which prints the same text
from slm's reader and compares line by line. One line per item:

  version V
  alignment A
  data_offset D
  kv KEY TYPE VALUE                 scalar values
  kv KEY array:ELEMTYPE:N V1 V2 ... arrays (not nested: the real files have none)
  tensor NAME TYPEID NE0,NE1,... OFFSET NBYTES      OFFSET relative to the data section

Integers print in decimal, bools as 0/1, floats as the hex of their IEEE bits (f32: 8 digits,
f64: 16) so the comparison is exact, strings as 'x' + the hex of their UTF-8 bytes.
Exit status 3 means the gguf package is not importable (the test then skips).
"""
import sys

try:
    import numpy as np
    import gguf
    from gguf import GGUFValueType as T
except ImportError as e:  # pragma: no cover
    print(f"cannot import gguf: {e}", file=sys.stderr)
    sys.exit(3)

NAMES = {T.UINT8: "u8", T.INT8: "i8", T.UINT16: "u16", T.INT16: "i16", T.UINT32: "u32",
         T.INT32: "i32", T.FLOAT32: "f32", T.BOOL: "bool", T.STRING: "string", T.ARRAY: "array",
         T.UINT64: "u64", T.INT64: "i64", T.FLOAT64: "f64"}


def scalar(t, part):
    if t == T.STRING:
        return "x" + bytes(part).hex()
    if t == T.FLOAT32:
        return "%08x" % int(np.asarray(part, dtype=np.float32).view(np.uint32)[0])
    if t == T.FLOAT64:
        return "%016x" % int(np.asarray(part, dtype=np.float64).view(np.uint64)[0])
    if t == T.BOOL:
        return "1" if bool(part[0]) else "0"
    return str(int(part[0]))


def main(path):
    r = gguf.GGUFReader(path)
    out = []
    version = r.fields["GGUF.version"].parts[0][0]
    out.append(f"version {int(version)}")
    out.append(f"alignment {int(r.alignment)}")
    if r.tensors:  # gguf-py reports an offset past the end for files without tensors
        out.append(f"data_offset {int(r.data_offset)}")
    for name, f in r.fields.items():
        if name.startswith("GGUF."):
            continue
        t = f.types[0]
        if t == T.ARRAY:
            et = f.types[-1] if len(f.types) > 1 else T.UINT8
            n = int(f.parts[4][0])  # key len, key, type, elem type, count
            vals = [scalar(et, f.parts[i]) for i in f.data] if n else []
            out.append(" ".join([f"kv {name} array:{NAMES[et]}:{n}"] + vals))
        else:
            out.append(f"kv {name} {NAMES[t]} {scalar(t, f.parts[f.data[0]])}")
    for t in r.tensors:
        shape = ",".join(str(int(x)) for x in t.shape)
        out.append(f"tensor {t.name} {int(t.tensor_type)} {shape} {int(t.data_offset) - int(r.data_offset)} {int(t.n_bytes)}")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
