#!/usr/bin/env python3
"""Independent float64 forward pass (NumPy + the `gguf` package's dequantizers) for the engine
oracle test. Written from the architecture semantics in tests/data/golden/README.md §4, sharing
no code with slm. Supports the families of the real models: llama (SmolLM2) and gemma3.

usage: numpy_forward.py MODEL.gguf OUT.f32 TOKEN [TOKEN ...]
writes float32 logits [n_tokens][n_vocab], row i = prediction after tokens[0..i].
"""
import sys

import numpy as np
from gguf import GGUFReader, quants


def main():
    path, out = sys.argv[1], sys.argv[2]
    toks = [int(t) for t in sys.argv[3:]]
    r = GGUFReader(path)
    meta = {k: f.contents() for k, f in r.fields.items() if not k.startswith("tokenizer.")}
    arch = meta["general.architecture"]
    T = {t.name: t for t in r.tensors}

    def W(name):
        t = T[name]
        return np.asarray(quants.dequantize(t.data, t.tensor_type), dtype=np.float64)

    def key(k, default=None):
        return meta.get(f"{arch}.{k}", default)

    d, L = key("embedding_length"), key("block_count")
    H, Hkv = key("attention.head_count"), key("attention.head_count_kv")
    hd = key("attention.key_length", d // H)
    eps = key("attention.layer_norm_rms_epsilon")
    base = key("rope.freq_base", 10000.0)
    gemma = arch == "gemma3"
    window = key("attention.sliding_window", 0) if gemma else 0
    n = len(toks)
    pos = np.arange(n, dtype=np.float64)

    def rms(v, w):
        return v / np.sqrt((v * v).mean(-1, keepdims=True) + eps) * w

    def rope(v, b):  # v [n, heads, hd]
        half = hd // 2
        ang = pos[:, None] * (b ** (-np.arange(half) * 2.0 / hd))[None, :]
        c, s = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
        if gemma:  # NEOX: pairs (i, i + hd/2)
            a, bb = v[..., :half], v[..., half:]
            return np.concatenate([a * c - bb * s, a * s + bb * c], -1)
        a, bb = v[..., 0::2], v[..., 1::2]  # adjacent pairs (llama)
        o = v.copy()
        o[..., 0::2], o[..., 1::2] = a * c - bb * s, a * s + bb * c
        return o

    def W32(name):  # the big matrices stay float32 in memory; products are taken in float64
        t = T[name]
        return np.asarray(quants.dequantize(t.data, t.tensor_type), dtype=np.float32)

    emb = W32("token_embd.weight")
    x = emb[toks].astype(np.float64) * (np.sqrt(d) if gemma else 1.0)
    for l in range(L):
        p = f"blk.{l}."
        local = gemma and l % 6 < 5
        h = rms(x, W(p + "attn_norm.weight"))
        q = (h @ W(p + "attn_q.weight").T).reshape(n, H, hd)
        k = (h @ W(p + "attn_k.weight").T).reshape(n, Hkv, hd)
        v = (h @ W(p + "attn_v.weight").T).reshape(n, Hkv, hd)
        if gemma:
            q, k = rms(q, W(p + "attn_q_norm.weight")), rms(k, W(p + "attn_k_norm.weight"))
        b = key("rope.freq_base_swa", 10000.0) if local else base
        q, k = rope(q, b), rope(k, b)
        mask = np.triu(np.full((n, n), -np.inf), 1)
        if local and window:
            mask += np.tril(np.full((n, n), -np.inf), -window)
        att = np.zeros((n, H, hd))
        for hh in range(H):
            g = hh // (H // Hkv)
            sc = q[:, hh] @ k[:, g].T / np.sqrt(hd) + mask
            sc = np.exp(sc - sc.max(-1, keepdims=True))
            att[:, hh] = (sc / sc.sum(-1, keepdims=True)) @ v[:, g]
        o = att.reshape(n, H * hd) @ W(p + "attn_output.weight").T
        x = x + (rms(o, W(p + "post_attention_norm.weight")) if gemma else o)
        h = rms(x, W(p + "ffn_norm.weight"))
        gt, up = h @ W(p + "ffn_gate.weight").T, h @ W(p + "ffn_up.weight").T
        if gemma:
            act = 0.5 * gt * (1 + np.tanh(np.sqrt(2 / np.pi) * (gt + 0.044715 * gt ** 3)))
        else:
            act = gt / (1 + np.exp(-gt))
        f = (act * up) @ W(p + "ffn_down.weight").T
        x = x + (rms(f, W(p + "post_ffw_norm.weight")) if gemma else f)
    head = W32("output.weight") if "output.weight" in T else emb
    h = rms(x, W("output_norm.weight"))
    logits = np.concatenate([h @ head[r:r + 8192].astype(np.float64).T for r in range(0, head.shape[0], 8192)], 1)
    logits.astype("<f4").tofile(out)


if __name__ == "__main__":
    main()
