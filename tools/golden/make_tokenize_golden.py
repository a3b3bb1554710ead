#!/usr/bin/env python3
"""Reference tokenizations by llama.cpp (through llama-cpp-python) for the real models and the
vocabulary-only GGUF files in tests/data/vocab/.

Every text is tokenized with all four combinations of add_special (BOS/EOS as the GGUF says)
and parse_special (special-token text such as "<|im_start|>" becomes the special token).
Writes tests/data/real/tokenize-<model-stem>.json:

    {"model": "<file name>", "engine": ..., "tokenizer_model": ..., "tokenizer_pre": ...,
     "add_bos": bool, "add_eos": bool, "n_vocab": int,
     "cases": [{"text": "...", "add_special": bool, "parse_special": bool, "tokens": [...]}]}

Usage (from the repository root):
    python3 tools/golden/make_tokenize_golden.py [--verify-vectors]
    python3 tools/golden/make_tokenize_golden.py --models tests/data/vocab/ggml-vocab-gpt-2.gguf
"""

import argparse
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llamaref as R  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

TEXTS = [
    # plain
    "",
    "Hello world",
    " Hello world",
    "Hello, World! How are you today?",
    "I'm sure they're right, we'll see; it's John's and don't",
    "The quick brown fox jumps over the lazy dog.",
    # scripts
    "안녕하세요, 세계! 오늘 날씨가 정말 좋네요.",
    "한국어 테스트 🚀: x = [3, 14]; if (a >= 42) { b++; }",
    "こんにちは世界。東京は日本の首都です。カタカナとひらがな",
    "你好，世界！我们今天学习自然语言处理。",
    "مرحبا بالعالم، كيف حالك اليوم؟",
    "Привет, мир! Как дела?",
    "नमस्ते दुनिया",
    "Ελληνικά και ไทย",
    # emoji, including ZWJ sequences, skin tones, flags and variation selectors
    "🚀 🦙 ✅ ❤️",
    "👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 😶‍🌫️ 🧑🏻‍💻",
    "🇰🇷🇯🇵🇺🇸",
    # code
    "#include <vector>\nint main() {\n    std::vector<int> v{1, 2, 3};\n"
    "    for (auto& x : v) x *= 2;\n    return v[0] >= 2 ? 0 : -1;\n}\n",
    "def f(x):\n    if x > 0:\n        return x ** 2  # square\n\treturn -x\n\n\nprint(f(3))\n",
    "a->b; c::d; e!=f && g<=h || i>>=2; // comment /* block */",
    # whitespace runs
    " ",
    "   ",
    "\t",
    "\t\t\t",
    "\n",
    "\n\n\n",
    " \t \n \r\n  x",
    "a  b   c    d     e",
    "    leading spaces",
    "trailing spaces    ",
    "line1\nline2\n\nline4\r\nline5",
    # digits
    "3.14159265358979323846",
    "1234567890123456789012345",
    "12,345,678.90 and 2024-01-15 at 23:59:59",
    "007 0x1F 1e-10 -42",
    # accented Latin and other Unicode
    "Crème brûlée à la façon de Zoë, naïve café — Ångström, São Paulo, Łódź",
    "e\u0301 (combining) vs é; \u00a0nbsp; zero\u200bwidth; ﬁ ligature",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    # special-token text (parse_special decides whether it is a special token)
    "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n",
    "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
    "<|im_start|>assistant\n",
    "<bos>Hello<eos>",
    "<s> Hello </s>",
    "<|endoftext|>Hello",
    "<unk><pad><mask>",
    # ASCII control bytes: byte-level BPE vocabularies without a token for them (falcon) drop
    # them, so a text of only such bytes encodes to no tokens at all
    "\v\v\v",
    "\x05",
    "\x14\x1e",
    "a\vb",
    " \v",
    "\x01\x02\x03\x7f",
]


def describe(model):
    return {
        "tokenizer_model": model.meta("tokenizer.ggml.model"),
        "tokenizer_pre": model.meta("tokenizer.ggml.pre"),
        "add_bos": model.add_bos(),
        "add_eos": bool(R.L.llama_vocab_get_add_eos(model.vocab)),
        "n_vocab": model.n_vocab,
    }


def write(doc, path):
    """One case per line so diffs stay readable."""
    head = {k: v for k, v in doc.items() if k != "cases"}
    lines = ["{"] + [f"{json.dumps(k)}:{json.dumps(v, ensure_ascii=False)}," for k, v in head.items()]
    cases = ",\n".join("  " + json.dumps(c, ensure_ascii=False, separators=(",", ":"))
                       for c in doc["cases"])
    lines.append(f'"cases":[\n{cases}\n]')
    lines.append("}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def verify_vectors():
    """Sanity check of this driver: llama.cpp must reproduce the published test vectors
    tests/data/vocab/*.gguf.inp/.out (add_special=False, parse_special=False)."""
    for g in sorted(glob.glob(os.path.join(ROOT, "tests/data/vocab/*.gguf"))):
        with open(g + ".inp", encoding="utf-8") as f:
            texts = f.read().split("\n__ggml_vocab_test__\n")[:-1]
        with open(g + ".out", encoding="utf-8") as f:
            expected = [[int(x) for x in line.split()] for line in f.read().split("\n")]
        with R.Model(g, vocab_only=True) as model:
            bad = [t for t, e in zip(texts, expected) if model.tokenize(t, False, False) != e]
        print(f"{os.path.basename(g)}: {len(texts) - len(bad)}/{len(texts)} vectors reproduced")
        if bad:
            raise SystemExit(f"mismatch on {bad[:3]!r}")


def main():
    default = ["models/gemma-3-270m-q4_k_m.gguf", "models/SmolLM2-135M-Instruct.Q4_1.gguf"]
    default += sorted(os.path.relpath(p, ROOT)
                      for p in glob.glob(os.path.join(ROOT, "tests/data/vocab/*.gguf")))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--models", nargs="*", default=default)
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "data", "real"))
    ap.add_argument("--verify-vectors", action="store_true",
                    help="first check that llama.cpp reproduces tests/data/vocab/*.out")
    args = ap.parse_args()
    if args.verify_vectors:
        verify_vectors()
    os.makedirs(args.out, exist_ok=True)

    for mpath in args.models:
        mpath = mpath if os.path.isabs(mpath) else os.path.join(ROOT, mpath)
        name = os.path.basename(mpath)
        with R.Model(mpath, vocab_only=True) as model:
            doc = {"model": name, "engine": R.engine_string(), **describe(model), "cases": []}
            for text in TEXTS:
                for add_special in (True, False):
                    for parse_special in (False, True):
                        doc["cases"].append({
                            "text": text, "add_special": add_special,
                            "parse_special": parse_special,
                            "tokens": model.tokenize(text, add_special, parse_special)})
        out = os.path.join(args.out, f"tokenize-{name[:-len('.gguf')]}.json")
        write(doc, out)
        print(f"{out}: {len(doc['cases'])} cases ({doc['tokenizer_model']}/{doc['tokenizer_pre']})")


if __name__ == "__main__":
    main()
