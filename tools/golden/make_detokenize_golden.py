#!/usr/bin/env python3
"""Reference detokenizations by llama.cpp (through llama-cpp-python) for the real models and
the vocabulary-only GGUF files: tests/data/real/detokenize-<model-stem>.json.

Inputs are the token sequences of tests/data/real/tokenize-<stem>.json (run
make_tokenize_golden.py first) plus seeded random id sequences, which reach byte tokens,
control tokens and pieces that are not whole UTF-8 characters. Every sequence is decoded with
llama_detokenize for the four combinations of remove_special / unparse_special, and a random
sample of ids (plus all control / user-defined ones) with llama_token_to_piece
(lstrip 0, special false and true). Bytes are stored as hex: pieces need not be UTF-8.

    {"model": "<file name>", "engine": ...,
     "sequences": [{"tokens": [...], "decoded": {"00": hex, "01": hex, "10": hex, "11": hex}}],
     "pieces": [[id, hex(special=false), hex(special=true)], ...],
     "special": {"bos": id, "eos": id, "eot": id, "pad": id, "eog": [ids...], "control": [ids...]},
     "bytes": [{"hex": input bytes, "add_special": bool, "parse_special": bool, "tokens": [...]}]}
(ids are -1 when absent; "control": llama_vocab_is_control over the whole vocabulary;
"bytes": tokenizations of seeded random byte strings, mostly invalid UTF-8. Lead bytes
F4..F7 are left out: they can decode above U+10FFFF, where llama.cpp throws.)
(key "rs" of "decoded": r = remove_special, s = unparse_special, as 0/1)

Usage (from the repository root): python3 tools/golden/make_detokenize_golden.py [--force]
"""

import argparse
import ctypes
import glob
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llamaref as R  # noqa: E402

L = R.L
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def detokenize(m, tokens, remove_special, unparse_special):
    arr = (L.llama_token * max(len(tokens), 1))(*tokens)
    cap = 64 + 64 * len(tokens)
    while True:
        buf = ctypes.create_string_buffer(cap)
        n = L.llama_detokenize(m.vocab, arr, len(tokens), buf, cap, remove_special, unparse_special)
        if n >= 0:
            return buf.raw[:n]
        cap = -n + 1


def piece(m, token, special):
    cap = 256
    while True:
        buf = ctypes.create_string_buffer(cap)
        n = L.llama_token_to_piece(m.vocab, token, buf, cap, 0, special)
        if n >= 0:
            return buf.raw[:n]
        cap = -n + 1


def random_bytes(rng):
    pool = ([0x20, 0x0A, 0x09, 0x27, 0x3C, 0x7C, 0x3E, 0x30, 0x35, 0x61, 0x45]
            + list(range(0x80, 0xC0)) + [0xC0, 0xC1, 0xC3, 0xD5, 0xE2, 0xE3, 0xED, 0xEF,
                                          0xF0, 0xF3, 0xF8, 0xFE, 0xFF])
    n = rng.randrange(1, 24)
    return bytes(rng.choice(pool) if rng.random() < 0.8 else rng.randrange(0x20, 0x7F)
                 for _ in range(n))


def tokenize_bytes(m, data, add_special, parse_special):
    cap = len(data) + 16
    while True:
        buf = (L.llama_token * cap)()
        n = L.llama_tokenize(m.vocab, data, len(data), buf, cap, add_special, parse_special)
        if n >= 0:
            return [int(buf[i]) for i in range(n)]
        cap = -n


def model_path(name):
    for d in ("models", "tests/data/vocab"):
        p = os.path.join(ROOT, d, name)
        if os.path.exists(p):
            return p
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--force", action="store_true", help="overwrite existing files")
    args = ap.parse_args()
    for tok_json in sorted(glob.glob(os.path.join(ROOT, "tests/data/real/tokenize-*.json"))):
        ref = json.load(open(tok_json, encoding="utf-8"))
        stem = os.path.basename(tok_json)[len("tokenize-"):-len(".json")]
        out_path = os.path.join(ROOT, "tests/data/real", f"detokenize-{stem}.json")
        if os.path.exists(out_path) and not args.force:
            print(f"exists, skipped: {out_path}")
            continue
        path = model_path(ref["model"])
        if path is None:
            print(f"model not found, skipped: {ref['model']}")
            continue
        with R.Model(path, vocab_only=True) as m:
            n_vocab = m.n_vocab
            rng = random.Random(20261123)
            seqs = []
            seen = set()
            for c in ref["cases"]:
                key = tuple(c["tokens"])
                if key not in seen:
                    seen.add(key)
                    seqs.append(list(key))
            for _ in range(40):
                seqs.append([rng.randrange(n_vocab) for _ in range(rng.randrange(1, 12))])
            sequences = []
            for toks in seqs:
                decoded = {}
                for rs in (0, 1):
                    for us in (0, 1):
                        decoded[f"{rs}{us}"] = detokenize(m, toks, bool(rs), bool(us)).hex()
                sequences.append({"tokens": toks, "decoded": decoded})
            ids = set(rng.randrange(n_vocab) for _ in range(1500))
            # unknown, control, user-defined and byte tokens (at most 2500 of them)
            special = [t for t in range(n_vocab)
                       if L.llama_vocab_get_attr(m.vocab, t) & (1 | 8 | 16 | 32)]
            ids.update(rng.sample(special, min(len(special), 2500)))
            ids = sorted(ids)
            pieces = [[t, piece(m, t, False).hex(), piece(m, t, True).hex()] for t in ids]
            special = {
                "bos": int(L.llama_vocab_bos(m.vocab)),
                "eos": int(L.llama_vocab_eos(m.vocab)),
                "eot": int(L.llama_vocab_eot(m.vocab)),
                "pad": int(L.llama_vocab_pad(m.vocab)),
                "eog": [t for t in range(n_vocab) if L.llama_vocab_is_eog(m.vocab, t)],
                "control": [t for t in range(n_vocab) if L.llama_vocab_is_control(m.vocab, t)],
            }
            byte_cases = []
            for k in range(80):
                data = random_bytes(rng)
                add_special, parse_special = bool(k & 1), bool(k & 2)
                byte_cases.append({"hex": data.hex(), "add_special": add_special,
                                   "parse_special": parse_special,
                                   "tokens": tokenize_bytes(m, data, add_special, parse_special)})
            out = {"model": ref["model"], "engine": R.engine_string(), "sequences": sequences,
                   "pieces": pieces, "special": special, "bytes": byte_cases}
        with open(out_path, "w", encoding="utf-8") as f:
            json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
            f.write("\n")
        print(f"wrote {out_path}: {len(sequences)} sequences, {len(pieces)} pieces")


if __name__ == "__main__":
    main()
