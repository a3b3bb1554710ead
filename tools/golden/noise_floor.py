#!/usr/bin/env python3
"""How much do two *correct* llama.cpp evaluations of the same prompt differ? Compares the
reference run (whole prompt in one batch, F32 KV, 1 thread) with variants that change only
rounding: the prompt fed one token at a time (other matmul kernels), 2 threads, F16 KV
cache. The spread gives a floor for the tolerances of tests against tests/data/real.

Usage (from the repository root):
    python3 tools/golden/noise_floor.py
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llamaref as R  # noqa: E402
import make_golden as G  # noqa: E402


def compare(ref, other):
    a, b = R.log_softmax(ref), R.log_softmax(other)
    kl = (np.exp(a) * (a - b)).sum(axis=-1)
    top_same = (ref.argmax(-1) == other.argmax(-1)).mean()
    return kl.mean(), kl.max(), np.abs(ref - other).max(), top_same


def main():
    for mpath in G.DEFAULT_MODELS:
        mpath = os.path.join(G.ROOT, mpath)
        stem = os.path.basename(mpath)
        runs = {}
        with R.Model(mpath, n_ctx=512, threads=1) as m:
            cases = G.cases_for(m)
            for name, prompt, ps in cases:
                toks = m.tokenize(prompt, True, ps)
                m.clear()
                runs[(name, "ref")] = m.decode(toks, 0, "all")
                m.clear()
                runs[(name, "one-by-one")] = np.concatenate(
                    [m.decode([t], i, "all") for i, t in enumerate(toks)])
        for variant, kw in (("2 threads", {"threads": 2}), ("f16 kv", {"kv_type": R.GGML_TYPE_F16})):
            with R.Model(mpath, n_ctx=512, **kw) as m:
                for name, prompt, ps in cases:
                    m.clear()
                    runs[(name, variant)] = m.decode(m.tokenize(prompt, True, ps), 0, "all")
        for name, _, _ in cases:
            for variant in ("one-by-one", "2 threads", "f16 kv"):
                kl_mean, kl_max, dmax, top = compare(runs[(name, "ref")], runs[(name, variant)])
                print(f"{stem} {name:9s} vs {variant:10s}: mean KL {kl_mean:.2e}, max KL "
                      f"{kl_max:.2e}, max |dlogit| {dmax:.4f}, top-1 equal {top:.0%}")


if __name__ == "__main__":
    main()
