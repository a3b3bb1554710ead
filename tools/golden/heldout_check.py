#!/usr/bin/env python3
"""Full-row agreement of slm's logits with llama.cpp's on a held-out prompt of any length.

The committed cases (tests/data/real) are short and stop at n_ctx 512. This evaluates the first
N tokens of a text (default: the GPL-3 licence text of Debian's base-files) in one llama.cpp
batch (the reference settings of llamaref.py: F32 KV cache, flash attention off, no repacking)
and in `slm trace --dump --tensors logits` (one batch, F32 KV cache, integer path unless
--matmul float), and prints per range of positions: mean and max KL(reference || ours) over the
full rows, top-1 agreement, top-1 misses where the reference margin exceeds 0.5, max |dlogit|.
With --ranges 0,512 a gemma-3 run separates the positions before and after its 512-token
sliding window starts to drop keys. --against llama-tokenwise compares llama.cpp with itself fed
one token at a time instead of slm: the noise floor of the same statistics on the same text.

The text is cut after N llama.cpp tokens and re-tokenized, so both engines see the token ids of
a text prefix; slm's token ids (`slm trace --json`) must equal llama.cpp's or the check stops.

Usage (from the repository root; needs llama-cpp-python, tools/golden/README.md):
    python3 tools/golden/heldout_check.py models/gemma-3-270m-q4_k_m.gguf --tokens 1100 --ranges 0,512
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llamaref as R  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--tokens", type=int, default=1100, help="prompt length in tokens (default 1100)")
    ap.add_argument("--text", default="/usr/share/common-licenses/GPL-3")
    ap.add_argument("--ranges", default="0", help="comma-separated first positions of the ranges reported")
    ap.add_argument("--matmul", default="integer", choices=["integer", "float"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--slm", default=os.path.join(ROOT, "build", "tools", "slm"))
    ap.add_argument("--against", default="slm", choices=["slm", "llama-tokenwise"])
    args = ap.parse_args()

    text = open(args.text, encoding="utf-8").read()
    with R.Model(args.model, n_ctx=args.tokens + 64, threads=args.threads) as m:
        first = m.tokenize(text, True, False)[:args.tokens]
        pieces = first[1:] if m.add_bos() else first
        prompt = "".join(m.piece(t) for t in pieces)
        tokens = m.tokenize(prompt, True, False)  # the prefix's own tokenization (may differ at the cut)
        if len(tokens) > m.n_ctx - 1:
            raise SystemExit(f"prefix re-tokenized to {len(tokens)} tokens; raise the context")
        ref = m.decode(tokens, 0, "all")
        if args.against == "llama-tokenwise":
            m.clear()
            ours = np.concatenate([m.decode([t], i, "all") for i, t in enumerate(tokens)])

    if args.against == "slm":
        with tempfile.TemporaryDirectory() as d:
            out = subprocess.run([args.slm, "trace", "-m", args.model, "-p", prompt, "--json", "--dump", d,
                                  "--tensors", "logits", "-t", str(args.threads), "--matmul", args.matmul],
                                 check=True, stdout=subprocess.PIPE, text=True).stdout
            if json.loads(out)["tokens"] != tokens:
                raise SystemExit("slm tokenized the prompt differently from llama.cpp")
            ours = np.load(os.path.join(d, "logits.npy"))

    n = ref.shape[0]
    kl = np.empty(n)
    for r0 in range(0, n, 128):  # row blocks: full float64 rows of a 262144 vocabulary are large
        a, b = R.log_softmax(ref[r0:r0 + 128]), R.log_softmax(ours[r0:r0 + 128])
        kl[r0:r0 + 128] = (np.exp(a) * (a - b)).sum(axis=-1)
    same = ref.argmax(-1) == ours.argmax(-1)
    top2 = np.partition(ref, -2, axis=-1)[:, -2:]
    margin = top2[:, 1] - top2[:, 0]
    starts = sorted({int(s) for s in args.ranges.split(",")} | {0})
    other = f"slm ({args.matmul} path)" if args.against == "slm" else "llama.cpp fed one token at a time"
    print(f"{os.path.basename(args.model)}: {n} tokens of {args.text}, llama.cpp in one batch vs {other}, "
          f"{args.threads} threads, {R.engine_string()}")
    for lo, hi in zip(starts, starts[1:] + [n]):
        if lo >= n:
            break
        s = slice(lo, hi)
        print(f"positions {lo}-{hi - 1}: mean KL {kl[s].mean():.5f}, max KL {kl[s].max():.4f}, "
              f"top-1 {int(same[s].sum())}/{hi - lo}, misses at margin > 0.5: {int((~same[s] & (margin[s] > 0.5)).sum())}, "
              f"max |dlogit| {np.abs(ref[s] - ours[s]).max():.3f}")


if __name__ == "__main__":
    main()
