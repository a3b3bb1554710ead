#!/usr/bin/env python3
"""Perplexity by llama.cpp's method (tools/perplexity, default mode), with llama.cpp's logits
obtained through llama-cpp-python. For later side-by-side comparison with `slm perplexity`.

The method, as llama-perplexity implements it (facts read from llama.cpp d32676d, not code):
  * The file is read whole; ONE trailing '\\n' is dropped (like `-f`). It is tokenized once
    with add_special=true, parse_special=false, so BOS leads when the model adds BOS.
  * n_chunk = floor(n_tokens / n_ctx) non-overlapping chunks; at least 2 chunks are needed.
  * Each chunk starts with an empty KV cache. If the vocabulary adds BOS, the chunk's first
    token is REPLACED by BOS (not inserted), positions are 0..n_ctx-1.
  * Only the second half is scored: with first = n_ctx/2, the logits at positions
    first .. n_ctx-2 predict tokens first+1 .. n_ctx-1, i.e. n_ctx-1-first tokens per chunk.
  * nll_i = max + log(sum_j expf(l_j - max)) - l_tok (max and l_j - max in float32, the sum
    in double). PPL = exp(mean nll); the reported uncertainty is
    ppl * sqrt((mean(nll^2) - mean(nll)^2) / (count - 1)).

Differences from running `llama-perplexity` itself with its defaults: this evaluates one
chunk per llama_decode (as `-b <n_ctx>`), the KV cache type is F32 unless --kv f16, flash
attention is off, and CPU weight repacking is off (the settings of tests/data/golden).

Usage (from the repository root):
    python3 tools/golden/perplexity_ref.py                         # both models, ctx 512 and 128
    python3 tools/golden/perplexity_ref.py --ctx 512 --kv f16 --models models/X.gguf --no-write
"""

import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llamaref as R  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_MODELS = ["models/gemma-3-270m-q4_k_m.gguf", "models/SmolLM2-135M-Instruct.Q4_1.gguf"]
DEFAULT_TEXT = "/usr/share/common-licenses/GPL-3"   # Debian 12 base-files
KV_TYPES = {"f32": R.GGML_TYPE_F32, "f16": R.GGML_TYPE_F16}


def nll_of_row(row, tok):
    mx = np.float32(row.max())
    sum_exp = np.exp(row - mx, dtype=np.float32).astype(np.float64).sum()
    return float(mx) + float(np.log(sum_exp)) - float(row[tok])


def perplexity(model, tokens, n_ctx):
    n_chunk = len(tokens) // n_ctx
    if n_chunk < 2:
        raise SystemExit(f"need at least {2 * n_ctx} tokens, the text has {len(tokens)}")
    first = n_ctx // 2
    add_bos, bos = model.add_bos(), model.bos()
    nll = nll2 = 0.0
    count = 0
    running = []
    for c in range(n_chunk):
        chunk = list(tokens[c * n_ctx:(c + 1) * n_ctx])
        if add_bos:
            chunk[0] = bos
        model.clear()
        logits = model.decode(chunk, 0, first)      # rows for positions first..n_ctx-1
        for p in range(first, n_ctx - 1):
            v = nll_of_row(logits[p - first], tokens[c * n_ctx + p + 1])
            nll += v
            nll2 += v * v
        count += n_ctx - 1 - first
        running.append(round(float(np.exp(nll / count)), 4))
    mean = nll / count
    var = nll2 / count - mean * mean
    ppl = float(np.exp(mean))
    err = float(np.sqrt(var / (count - 1)) * ppl)
    return {"n_chunk": n_chunk, "count": count, "ppl": round(ppl, 4), "ppl_err": round(err, 5),
            "mean_nll": round(mean, 6), "running_ppl": running}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--models", nargs="*", default=DEFAULT_MODELS)
    ap.add_argument("--text", default=DEFAULT_TEXT)
    ap.add_argument("--ctx", type=int, nargs="*", default=[512, 128])
    ap.add_argument("--kv", choices=sorted(KV_TYPES), default="f32")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "data", "real", "perplexity.json"))
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    raw = open(args.text, "rb").read()
    text = raw.decode("utf-8")
    if text.endswith("\n"):
        text = text[:-1]
    doc = json.load(open(args.out)) if os.path.exists(args.out) and not args.no_write else {
        "engine": R.engine_string(), "results": []}
    doc["engine"] = R.engine_string()
    cmd = "python3 tools/golden/perplexity_ref.py " + " ".join(sys.argv[1:])
    for mpath in args.models:
        mpath = mpath if os.path.isabs(mpath) else os.path.join(ROOT, mpath)
        for n_ctx in args.ctx:
            with R.Model(mpath, n_ctx=n_ctx, threads=args.threads, kv_type=KV_TYPES[args.kv]) as m:
                tokens = m.tokenize(text, True, False)
                t0 = time.time()
                res = perplexity(m, tokens, n_ctx)
                secs = time.time() - t0
            entry = {"model": os.path.basename(mpath), "text": args.text,
                     "text_sha256": hashlib.sha256(raw).hexdigest(), "n_tokens": len(tokens),
                     "n_ctx": n_ctx, "kv_cache_type": args.kv, "flash_attn": False,
                     "threads": args.threads, **res, "command": cmd}
            print(f"{entry['model']} ctx {n_ctx} kv {args.kv}: {len(tokens)} tokens, "
                  f"{res['n_chunk']} chunks, PPL = {res['ppl']:.4f} +/- {res['ppl_err']:.5f} "
                  f"({secs:.1f} s)", flush=True)
            key = (entry["model"], entry["text"], n_ctx, args.kv)
            doc["results"] = [r for r in doc["results"] if
                              (r["model"], r["text"], r["n_ctx"], r["kv_cache_type"]) != key]
            doc["results"].append(entry)
    if not args.no_write:
        doc["results"].sort(key=lambda r: (r["model"], r["text"], r["kv_cache_type"], -r["n_ctx"]))
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
