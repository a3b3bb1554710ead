#!/usr/bin/env python3
"""Prints a Markdown fact sheet for GGUF files (size, sha256, metadata hyper-parameters,
tensor types with counts and bytes), read with the Python `gguf` package. Its output is
pasted into docs/models.md.

Usage (from the repository root):
    .venv/bin/python tools/golden/model_facts.py models/*.gguf
"""

import collections
import hashlib
import os
import re
import sys

import gguf


def field(reader, key):
    f = reader.fields.get(key)
    if f is None:
        return None
    return f.contents()


def shown(v):
    return "(absent)" if v is None else str(v)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def role(name):
    """'blk.7.attn_q.weight' -> 'blk.N.attn_q.weight'"""
    return re.sub(r"^blk\.\d+\.", "blk.N.", name)


def layer_of(name):
    m = re.match(r"^blk\.(\d+)\.", name)
    return int(m.group(1)) if m else None


def ranges(nums):
    nums = sorted(nums)
    out, start = [], None
    for i, n in enumerate(nums):
        if start is None:
            start = n
        if i + 1 == len(nums) or nums[i + 1] != n + 1:
            out.append(f"{start}" if start == n else f"{start}-{n}")
            start = None
    return ",".join(out)


def sheet(path):
    r = gguf.GGUFReader(path)
    arch = field(r, "general.architecture")
    p = lambda k: field(r, f"{arch}.{k}")  # noqa: E731
    lines = [f"### {os.path.basename(path)}", ""]
    lines.append(f"- size: {os.path.getsize(path)} bytes; sha256 `{sha256(path)}`")
    lines.append(f"- general.name: {field(r, 'general.name')!r}; general.license: "
                 f"{field(r, 'general.license')!r}; general.file_type: {field(r, 'general.file_type')}")
    n_head, n_embd = p("attention.head_count"), p("embedding_length")
    head_dim = p("attention.key_length") or (n_embd // n_head)
    toks = r.fields["tokenizer.ggml.tokens"]
    hp = [
        ("architecture", arch),
        ("layers (block_count)", p("block_count")),
        ("d_model (embedding_length)", n_embd),
        ("heads / kv heads", f"{n_head} / {p('attention.head_count_kv')}"),
        ("head_dim (key_length / value_length)",
         f"{head_dim} / {p('attention.value_length') or head_dim}"),
        ("ffn (feed_forward_length)", p("feed_forward_length")),
        ("vocab (tokenizer.ggml.tokens)", len(toks.data)),
        ("context_length", p("context_length")),
        ("rope.freq_base", p("rope.freq_base")),
        ("rope.dimension_count", p("rope.dimension_count")),
        ("rope.freq_base_swa", p("rope.freq_base_swa")),
        ("attention.sliding_window", p("attention.sliding_window")),
        ("attention.sliding_window_pattern", p("attention.sliding_window_pattern")),
        ("layer_norm_rms_epsilon", p("attention.layer_norm_rms_epsilon")),
        ("attn_logit_softcapping", p("attn_logit_softcapping")),
        ("final_logit_softcapping", p("final_logit_softcapping")),
        ("tokenizer.ggml.model / pre", f"{field(r, 'tokenizer.ggml.model')} / "
                                       f"{field(r, 'tokenizer.ggml.pre')}"),
        ("bos / eos / unk / pad ids", " / ".join(shown(field(r, f"tokenizer.ggml.{k}_token_id"))
                                                for k in ("bos", "eos", "unknown", "padding"))),
        ("add_bos_token / add_eos_token / add_space_prefix",
         " / ".join(shown(field(r, f"tokenizer.ggml.{k}"))
                    for k in ("add_bos_token", "add_eos_token", "add_space_prefix"))),
        ("chat_template", "present" if field(r, "tokenizer.chat_template") else "absent"),
        ("output.weight", "present" if any(t.name == "output.weight" for t in r.tensors)
                          else "absent (tied to token_embd.weight)"),
    ]
    lines += ["", "| key | value |", "|---|---|"]
    lines += [f"| {k} | {shown(v)} |" for k, v in hp]

    by_type = collections.OrderedDict()
    for t in r.tensors:
        e = by_type.setdefault(t.tensor_type.name, [0, 0, 0])
        e[0] += 1
        e[1] += int(t.n_bytes)
        e[2] += int(t.n_elements)
    lines += ["", "| tensor type | count | bytes | elements |", "|---|---|---|---|"]
    for k, (n, b, e) in sorted(by_type.items(), key=lambda kv: -kv[1][1]):
        lines.append(f"| {k} | {n} | {b} | {e} |")
    lines.append(f"| total | {len(r.tensors)} | {sum(v[1] for v in by_type.values())} | "
                 f"{sum(v[2] for v in by_type.values())} |")

    roles = collections.OrderedDict()
    for t in r.tensors:
        d = roles.setdefault(role(t.name), {"shape": [int(x) for x in t.shape], "types": {}})
        d["types"].setdefault(t.tensor_type.name, []).append(layer_of(t.name))
    lines += ["", "| tensor (ggml shape ne0×ne1) | type (layers) |", "|---|---|"]
    for name, d in roles.items():
        parts = []
        for ty, layers in d["types"].items():
            ls = [x for x in layers if x is not None]
            parts.append(ty if not ls or len(d["types"]) == 1 else f"{ty} (blk {ranges(ls)})")
        shape = "×".join(str(x) for x in d["shape"])
        lines.append(f"| {name} [{shape}] | {', '.join(parts)} |")
    return "\n".join(lines) + "\n"


def main():
    for path in sys.argv[1:]:
        print(sheet(path))


if __name__ == "__main__":
    main()
