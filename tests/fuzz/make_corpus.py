#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/).

usage: make_corpus.py SLM_BINARY   (the `slm` program, for `slm make-model`)

gguf_file, model_load: tiny valid models from `slm make-model` (one layer, n_embd 16-32,
vocabulary 260), plus a few edit lists for model_load's structured mode. gguf_metadata: the
metadata records of those files with the record count in front (the target's input format).
tokenizer_encode / tokenizer_decode: llama.cpp's tokenizer test strings / expected ids
(tests/data/vocab), with the control byte picking each tokenizer in turn.
"""
import os, struct, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
C = os.path.join(HERE, "corpus")

def put(target, name, data):
    with open(os.path.join(C, target, name), "wb") as f:
        f.write(data)

def kv_end(b):
    """Offset after the last metadata record, and the record count (GGUF v3)."""
    n_kv = struct.unpack_from("<Q", b, 16)[0]
    o = 24
    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
    def value(o, t):
        if t in sizes: return o + sizes[t]
        if t == 8: return o + 8 + struct.unpack_from("<Q", b, o)[0]
        et, n = struct.unpack_from("<IQ", b, o); o += 12
        for _ in range(n): o = value(o, et)
        return o
    for _ in range(n_kv):
        o += 8 + struct.unpack_from("<Q", b, o)[0]
        t = struct.unpack_from("<I", b, o)[0]; o += 4
        o = value(o, t)
    return o, n_kv

def main():
    slm = sys.argv[1]
    tmp = tempfile.mkdtemp()
    models = [("llama", "F32", "1,16,2,1,8,32,260"), ("gemma3", "F32", "1,16,2,1,8,32,260"),
              ("qwen2", "F32", "1,16,2,1,8,32,260"), ("gemma2", "Q8_0", "1,32,2,1,16,64,260"),
              ("llama", "Q4_K_M", "2,32,4,2,8,64,300")]
    for arch, q, dims in models:
        p = os.path.join(tmp, f"{arch}-{q}.gguf")
        subprocess.run([slm, "make-model", "--arch", arch, "--dims", dims, "--quant", q, "--ctx", "64",
                        "-o", p], check=True, capture_output=True)
        b = open(p, "rb").read()
        put("gguf_file", f"tiny-{arch}-{q}.gguf", b)
        if q != "Q8_0": put("model_load", f"tiny-{arch}-{q}.gguf", b)
        end, n_kv = kv_end(b)
        if n_kv < 256: put("gguf_metadata", f"tiny-{arch}-{q}", bytes([n_kv]) + b[24:end])
    put("gguf_file", "header-only", b"GGUF" + struct.pack("<IQQ", 3, 0, 0))
    put("gguf_metadata", "empty", b"\x00")
    # model_load edit lists: flags, base, n_edits, then (op, pick, args...) — see model_load.cpp.
    put("model_load", "edit-head-count", bytes([0, 0, 1, 5, 3, 0, 3, 0]))
    put("model_load", "edit-block-count-zero", bytes([0, 4, 1, 5, 0, 0, 0, 0]))
    put("model_load", "edit-tensor-dim", bytes([0x10, 2, 1, 2, 5, 1, 5]))
    put("model_load", "edit-drop-tensor", bytes([0x20, 6, 1, 3, 4]))
    put("model_load", "edit-tensor-type", bytes([0x40, 5, 2, 4, 2, 1, 0, 7, 1, 0]))
    put("model_load", "no-edit", bytes([0, 1, 0]))
    vocab = ["llama-spm", "gpt-2", "deepseek-coder", "falcon"]
    for i, v in enumerate(vocab):
        base = os.path.join(DATA, "vocab", f"ggml-vocab-{v}.gguf")
        texts = open(base + ".inp", "rb").read().split(b"\n__ggml_vocab_test__\n")
        ids = open(base + ".out").read().split("\n")
        for j in range(0, min(len(texts), len(ids)), 6):
            ctl = i + (0x10 if j % 12 else 0x20)
            put("tokenizer_encode", f"{v}-{j}", bytes([ctl]) + texts[j])
            enc = b"".join(struct.pack("<I", int(x) + 16)[:3] for x in ids[j].split())
            put("tokenizer_decode", f"{v}-{j}", bytes([ctl]) + enc)
    put("tokenizer_encode", "special", bytes([0x24]) + "<start_of_turn>user\nhi<end_of_turn>\n".encode())
    put("tokenizer_encode", "invalid-utf8", bytes([0x01]) + b"\xff\xfe\xc3\x28 a\xe2\x82 \xf0\x9f\x98")
    put("tokenizer_decode", "out-of-range", bytes([0x05]) + bytes([0, 0, 0, 0xff, 0xff, 0x7f, 0x10, 0, 0]))

if __name__ == "__main__":
    main()
