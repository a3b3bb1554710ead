#!/usr/bin/env python3
"""Checks `slm trace --json --dump DIR` output with NumPy and the `gguf` package (trace_test.cpp).

usage: trace_check.py MODEL.gguf TRACE.json DUMP_DIR

1. Every .npy file loads with np.load: float32, C order, 2-D [n_tokens, n_embd] (logits:
   [n_tokens, n_vocab]), data 64-byte aligned as numpy writes it.
2. The statistics printed in the JSON equal those NumPy computes from the dumped tensors.
3. The dumps are consistent with the block's arithmetic: residual[l] = (residual[l-1] +
   attn_out[l]) + ffn_out[l] in float32, exactly (residual[-1] = embd).
4. output_norm = rmsnorm(last residual) * output_norm.weight and logits = output_norm @ W_out^T
   (W_out dequantized by the gguf package; soft-capped if the model says so), within float
   rounding.
Prints "OK" and exits 0, else prints what failed and exits 1.
"""
import json
import os
import sys

import numpy as np
from gguf import GGUFReader, quants

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def main():
    model_path, json_path, dump = sys.argv[1:4]
    rep = json.load(open(json_path))
    r = GGUFReader(model_path)
    meta = {k: f.contents() for k, f in r.fields.items() if not k.startswith("tokenizer.")}
    arch = meta["general.architecture"]
    T = {t.name: t for t in r.tensors}

    def W(name):
        t = T[name]
        return np.asarray(quants.dequantize(t.data, t.tensor_type), dtype=np.float32)

    n, d = rep["n_tokens"], meta[f"{arch}.embedding_length"]
    L = len(rep["layers"])
    arrays = {}
    for f in sorted(os.listdir(dump)):
        if not f.endswith(".npy"):
            continue
        path = os.path.join(dump, f)
        a = np.load(path, allow_pickle=False)
        raw = open(path, "rb").read(10)
        hlen = raw[8] | (raw[9] << 8)
        check(raw[:8] == b"\x93NUMPY\x01\x00", f"{f}: magic/version")
        check((10 + hlen) % 64 == 0, f"{f}: data offset {10 + hlen} not 64-aligned")
        check(a.dtype == np.dtype("<f4"), f"{f}: dtype {a.dtype}")
        check(a.flags["C_CONTIGUOUS"] and a.ndim == 2, f"{f}: not 2-D C order")
        check(a.shape[0] == n, f"{f}: {a.shape[0]} rows, want {n}")
        if f != "logits.npy":
            check(a.shape[1] == d, f"{f}: {a.shape[1]} columns, want {d}")
        check(np.isfinite(a).all(), f"{f}: non-finite values")
        arrays[f[:-4]] = a
    expected = ["embd", "output_norm", "logits"] + [f"layer{l:02d}.{p}" for l in range(L)
                                                    for p in ("attn_out", "ffn_out", "residual")]
    for name in expected:
        check(name in arrays, f"{name}.npy missing")
    if failures:
        return

    def stats_match(name, s):
        a = arrays[name].astype(np.float64)
        rms = float(np.sqrt((a * a).mean()))
        idx = int(np.argmax(np.abs(a)))
        check(abs(rms - s["rms"]) <= 1e-6 * rms + 1e-12, f"{name}: rms {s['rms']} vs numpy {rms}")
        check(abs(abs(a.flat[idx]) - s["max_abs"]) <= 1e-7 * abs(a.flat[idx]), f"{name}: max_abs {s['max_abs']}")
        check((s["max_token"], s["max_channel"]) == divmod(idx, a.shape[1]),
              f"{name}: max at {s['max_token']}:{s['max_channel']}, numpy {divmod(idx, a.shape[1])}")

    stats_match("embd", rep["embd"])
    stats_match("output_norm", rep["output_norm"])
    prev = arrays["embd"]
    for l, lay in enumerate(rep["layers"]):
        for p in ("attn_out", "ffn_out", "residual"):
            stats_match(f"layer{l:02d}.{p}", lay[p])
        mid = prev + arrays[f"layer{l:02d}.attn_out"]  # float32 + float32 -> float32
        want = mid + arrays[f"layer{l:02d}.ffn_out"]
        got = arrays[f"layer{l:02d}.residual"]
        check(np.array_equal(want, got), f"layer{l:02d}: residual != previous + attn_out + ffn_out "
                                          f"(max diff {np.abs(want - got).max()})")
        prev = got

    x = prev.astype(np.float64)
    eps = meta[f"{arch}.attention.layer_norm_rms_epsilon"]
    normed = x / np.sqrt((x * x).mean(axis=1, keepdims=True) + eps) * W("output_norm.weight")
    on = arrays["output_norm"]
    err = np.abs(normed - on).max() / np.abs(normed).max()
    check(err < 1e-5, f"output_norm differs from rmsnorm(last residual) by {err} (relative to max)")

    w_out = W("output.weight" if "output.weight" in T else "token_embd.weight")
    logits = on.astype(np.float64) @ w_out.astype(np.float64).T
    cap = meta.get(f"{arch}.final_logit_softcapping", 0) or 0
    if cap:
        logits = cap * np.tanh(logits / cap)
    got = arrays["logits"]
    check(got.shape == logits.shape, f"logits shape {got.shape} vs {logits.shape}")
    if got.shape == logits.shape:
        err = np.abs(logits - got).max() / np.abs(logits).max()
        # Float path: f32 products of the dequantized weights; integer path: activations rounded
        # to 8 bits first (~1% of the largest logit at most).
        tol = 2e-2 if rep.get("matmul") == "integer" else 1e-4
        check(err < tol, f"logits differ from output_norm @ W_out^T by {err} (relative to max), tol {tol}")
    print(f"checked {len(arrays)} tensors of {n} tokens, {L} layers")


if __name__ == "__main__":
    main()
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print("OK")
