#!/usr/bin/env python3
"""Reference tokenizations by llama.cpp for pre-tokenizers that no test vocabulary uses.

The GPT-2 vocabulary (tests/data/vocab/ggml-vocab-gpt-2.gguf) is copied with
tokenizer.ggml.pre set to another name (llama-bpe, qwen2, default, starcoder), and the texts
of tests/data/real/tokenize-ggml-vocab-gpt-2.json plus the llama.cpp vector inputs are
tokenized by llama.cpp with that copy. Writes tests/data/real/tokenize-pre-<name>.json:

    {"base": "ggml-vocab-gpt-2.gguf", "pre": "<name>", "engine": ...,
     "cases": [{"text": "...", "add_special": bool, "parse_special": bool, "tokens": [...]}]}

The test makes the same copy with slm's GGUF writer and compares.
Usage (from the repository root): python3 tools/golden/make_pretokenizer_golden.py [--force]
"""

import argparse
import json
import os
import sys
import tempfile

import gguf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llamaref as R  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BASE = os.path.join(ROOT, "tests/data/vocab/ggml-vocab-gpt-2.gguf")
PRES = ["llama-bpe", "qwen2", "default", "starcoder"]


def copy_with_pre(src, dst, pre):
    reader = gguf.GGUFReader(src)
    arch = reader.fields["general.architecture"].contents()
    writer = gguf.GGUFWriter(dst, arch)
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture":
            continue
        vtype = field.types[0]
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        value = pre if name == "tokenizer.ggml.pre" else field.contents()
        writer.add_key_value(name, value, vtype, sub_type=sub)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    texts = []
    ref = json.load(open(os.path.join(ROOT, "tests/data/real/tokenize-ggml-vocab-gpt-2.json"),
                         encoding="utf-8"))
    for c in ref["cases"]:
        if c["text"] not in texts:
            texts.append(c["text"])
    inp = open(BASE + ".inp", encoding="utf-8").read().split("\n__ggml_vocab_test__\n")[:-1]
    for t in inp:
        if t not in texts:
            texts.append(t)
    for pre in PRES:
        out_path = os.path.join(ROOT, "tests/data/real", f"tokenize-pre-{pre}.json")
        if os.path.exists(out_path) and not args.force:
            print(f"exists, skipped: {out_path}")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, f"vocab-{pre}.gguf")
            copy_with_pre(BASE, path, pre)
            with R.Model(path, vocab_only=True) as m:
                cases = []
                for t in texts:
                    for add_special, parse_special in ((False, False), (True, True)):
                        cases.append({"text": t, "add_special": add_special,
                                      "parse_special": parse_special,
                                      "tokens": m.tokenize(t, add_special, parse_special)})
                out = {"base": os.path.basename(BASE), "pre": pre, "engine": R.engine_string(),
                       "add_bos": m.add_bos(), "cases": cases}
        with open(out_path, "w", encoding="utf-8") as f:
            json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
            f.write("\n")
        print(f"wrote {out_path}: {len(cases)} cases")


if __name__ == "__main__":
    main()
