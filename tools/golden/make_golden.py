#!/usr/bin/env python3
"""Reference logits for the real models, produced by llama.cpp (through llama-cpp-python).

For each model and each fixed prompt, evaluates the whole prompt in ONE llama_decode call with
logits at every position, records per position the top-64 token ids and logits, the
log-sum-exp of the full row and the margin (best - second best), then generates 32 greedy
tokens fed back one at a time (argmax, ties -> lowest id, no EOS stop).

Writes tests/data/real/<model-stem>/<case>/case.json; the format is documented in
tests/data/real/README.md. Usage (from the repository root):

    python3 tools/golden/make_golden.py                       # both real models, all cases
    python3 tools/golden/make_golden.py --check               # also rerun and compare bitwise
    python3 tools/golden/make_golden.py --models models/X.gguf --out /tmp/real
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llamaref as R  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_MODELS = ["models/gemma-3-270m-q4_k_m.gguf", "models/SmolLM2-135M-Instruct.Q4_1.gguf"]

TOP_K = 64          # kept per prompt position
TOP_K_GREEDY = 16   # kept per greedy step (incremental decoding rows)
N_GREEDY = 32
N_CTX = 512
THREADS = 1

ENGLISH = ("The quick brown fox jumps over the lazy dog while the old farmer quietly watches "
           "from his wooden porch near the river.")
MIXED = "한국어 테스트 🚀: x = [3, 14]; if (a >= 42) { b++; }"
QUESTION = "What is the capital of France? Answer in one sentence."


def chat_prompt(model):
    """The question wrapped in the model's instruction format. Uses the GGUF's own
    tokenizer.chat_template when it has one (rendered with jinja2 as Hugging Face does),
    else the Gemma turn format (the gemma-3 GGUF carries no template)."""
    tmpl = model.meta("tokenizer.chat_template")
    arch = model.meta("general.architecture")
    if tmpl:
        import jinja2
        env = jinja2.Environment(trim_blocks=False, lstrip_blocks=False)
        return env.from_string(tmpl).render(
            messages=[{"role": "user", "content": QUESTION}], add_generation_prompt=True,
            bos_token="", eos_token="")
    if arch and arch.startswith("gemma"):
        return f"<start_of_turn>user\n{QUESTION}<end_of_turn>\n<start_of_turn>model\n"
    raise SystemExit(f"no instruction format known for {model.path} (arch {arch})")


def cases_for(model):
    # (case name, prompt, parse_special). add_special is always true (the model's defaults).
    return [
        ("a_english", ENGLISH, False),
        ("c_mixed", MIXED, False),
        ("d_chat", chat_prompt(model), True),
    ]


def r7(x):
    """~7 significant digits keeps the files small; float32 logits carry ~7.2."""
    return float(f"{x:.7g}")


def summary(row, k):
    s = R.row_summary(row, k)
    return {"top_ids": s["top_ids"], "top_logits": [r7(v) for v in s["top_logits"]],
            "lse": r7(s["lse"]), "margin": r7(s["margin"])}


def run_case(model, prompt, parse_special):
    tokens = model.tokenize(prompt, True, parse_special)
    model.clear()
    logits = model.decode(tokens, 0, "all")           # whole prompt, one batch
    positions = [summary(logits[i], TOP_K) for i in range(len(tokens))]
    greedy, greedy_rows = [], []
    row = logits[-1]
    for k in range(N_GREEDY):
        if k > 0:
            greedy_rows.append(summary(row, TOP_K_GREEDY))
        t = R.argmax_lowest(row)
        greedy.append(t)
        if k + 1 < N_GREEDY:
            row = model.decode([t], len(tokens) + k, "last")[0]
    margins = [positions[-1]["margin"]] + [g["margin"] for g in greedy_rows]
    return tokens, positions, greedy, margins, greedy_rows, logits


def dump(case, path):
    """One key per line, one position per line: readable diffs, small files."""
    lines = ["{"]
    keys = list(case)
    for i, key in enumerate(keys):
        val = case[key]
        comma = "," if i + 1 < len(keys) else ""
        if key in ("positions", "greedy_rows"):
            inner = ",\n".join("  " + json.dumps(p, ensure_ascii=False, separators=(",", ":"))
                               for p in val)
            lines.append(f"{json.dumps(key)}:[\n{inner}\n]{comma}")
        else:
            lines.append(f"{json.dumps(key)}:{json.dumps(val, ensure_ascii=False)}{comma}")
    lines.append("}")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--models", nargs="*", default=DEFAULT_MODELS)
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "data", "real"))
    ap.add_argument("--check", action="store_true",
                    help="evaluate every case twice and fail unless the logits are bit-identical")
    args = ap.parse_args()

    for mpath in args.models:
        mpath = mpath if os.path.isabs(mpath) else os.path.join(ROOT, mpath)
        stem = os.path.basename(mpath)[:-len(".gguf")]
        with R.Model(mpath, n_ctx=N_CTX, threads=THREADS) as model:
            for name, prompt, parse_special in cases_for(model):
                tokens, positions, greedy, margins, greedy_rows, logits = run_case(
                    model, prompt, parse_special)
                if args.check:
                    again = run_case(model, prompt, parse_special)
                    if not (np.array_equal(logits, again[5]) and greedy == again[2]):
                        raise SystemExit(f"{stem}/{name}: second run differs")
                case = {
                    "model": os.path.basename(mpath),
                    "prompt": prompt,
                    "add_bos": model.add_bos(),
                    "add_special": True,
                    "parse_special": parse_special,
                    "tokens": tokens,
                    "n_tokens": len(tokens),
                    "n_vocab": model.n_vocab,
                    "top_k": TOP_K,
                    "greedy": greedy,
                    "greedy_text": "".join(model.piece(t) for t in greedy),
                    "greedy_margins": margins,
                    "top_k_greedy": TOP_K_GREEDY,
                    "engine": R.engine_string(),
                    "threads": THREADS,
                    "n_ctx": N_CTX,
                    "n_batch": N_CTX,
                    "n_ubatch": N_CTX,
                    "kv_cache_type": "f32",
                    "flash_attn": False,
                    "use_extra_bufts": False,
                    "swa_full": model.swa_full,
                    "cpu_features": R.system_info(),
                    "positions": positions,
                    "greedy_rows": greedy_rows,
                }
                out = os.path.join(args.out, stem, name, "case.json")
                dump(case, out)
                print(f"{stem}/{name}: {len(tokens)} tokens, greedy {case['greedy_text']!r}"
                      f"{' (checked: bit-identical rerun)' if args.check else ''}")


if __name__ == "__main__":
    main()
