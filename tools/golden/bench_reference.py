#!/usr/bin/env python3
"""llama-bench-style speed reference: llama.cpp (through llama-cpp-python) prompt processing
(pp512) and generation (tg128) in tokens/s, mean ± sample stddev over repetitions, plus the peak
RSS of the process. For side-by-side comparison with `slm bench`.

Mirrors llama-bench (llama.cpp tools/llama-bench, facts read from d32676d):
  * pp<N>: a context of n_ctx = N; one warmup run, then per repetition the KV cache is cleared and
    N random token ids (BOS first if the model adds BOS) are decoded in batches of n_batch, with
    logits only for the last token; time from the first llama_decode to llama_synchronize.
  * tg<N>: a context of n_ctx = N; warmup = one token; per repetition the cache is cleared and N
    single-token llama_decode calls are made (BOS first, then random ids), each followed by
    llama_synchronize.
  * tokens/s per repetition = N / seconds; reported as mean ± stddev (n-1) like llama-bench.
Also reported: tokens per CPU-second of the process (time.process_time), which is far less
sensitive than wall time to other processes competing for the cores (with 2 threads it includes
OpenMP spin-waiting). Each (model, threads, settings) runs in a fresh child process; its peak RSS is ru_maxrss from
wait4(), and `rss_base_mb` is the child's peak RSS right after importing llama_cpp (interpreter +
numpy + libllama, before the model is loaded) so the model's own footprint is rss - rss_base.

Settings presets:
  llama-bench: llama-bench's CPU defaults: F16 KV cache, flash attention AUTO, n_batch 2048,
               n_ubatch 512 -- except CPU weight repacking (use_extra_bufts), which llama-bench
               leaves on but which crashes this build here (see PRESETS), so it is off.
  reference:   the settings of tests/data/real (F32 KV cache, flash attention off, no repacking,
               n_batch = n_ubatch = 512).

Usage (from the repository root):
    python3 tools/golden/bench_reference.py                      # both models, 1 and 2 threads, both presets
    python3 tools/golden/bench_reference.py --models models/X.gguf --threads 1 --preset reference \\
        --reps 5 --json /tmp/bench.json
"""

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_MODELS = ["models/gemma-3-270m-q4_k_m.gguf", "models/SmolLM2-135M-Instruct.Q4_1.gguf"]

PRESETS = {
    # repack stays off: with CPU weight repacking (use_extra_bufts, llama.cpp's default) this
    # llama-cpp-python 0.3.36 build segfaults on any batch of more than one token on the
    # AVX-512/AMX machine the data was made on (also through the high-level llama_cpp.Llama).
    "llama-bench": {"kv": 1, "flash_attn": -1, "repack": False, "n_batch": 2048, "n_ubatch": 512},
    "reference": {"kv": 0, "flash_attn": 0, "repack": False, "n_batch": 512, "n_ubatch": 512},
}


def worker(model_path, threads, preset, reps, n_prompt, n_gen):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import llamaref as R
    L = R.L
    rss_base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    p = PRESETS[preset]
    rng = random.Random(1234)

    def decode(m, tokens, pos0):
        b = m.batch
        b.n_tokens = len(tokens)
        for i, t in enumerate(tokens):
            b.token[i], b.pos[i], b.n_seq_id[i] = t, pos0 + i, 1
            b.seq_id[i][0] = 0
            b.logits[i] = i == len(tokens) - 1
        if L.llama_decode(m.ctx, b) != 0:
            raise RuntimeError("llama_decode failed")

    def first_token(m):
        return m.bos() if m.add_bos() else rng.randrange(m.n_vocab)

    def run_prompt(m):
        n_batch = min(p["n_batch"], n_prompt)
        done = 0
        while done < n_prompt:
            n = min(n_prompt - done, n_batch)
            toks = [first_token(m) if done == 0 else rng.randrange(m.n_vocab)]
            toks += [rng.randrange(m.n_vocab) for _ in range(n - 1)]
            decode(m, toks, done)
            done += n
        L.llama_synchronize(m.ctx)

    def run_gen(m, n):
        tok = first_token(m)
        for i in range(n):
            decode(m, [tok], i)
            L.llama_synchronize(m.ctx)
            tok = rng.randrange(m.n_vocab)

    def measure(n_ctx, fn, n_tokens):
        with R.Model(model_path, n_ctx=n_ctx, threads=threads, kv_type=p["kv"],
                     n_batch=min(p["n_batch"], n_ctx), n_ubatch=min(p["n_ubatch"], n_ctx),
                     repack=p["repack"], flash_attn=p["flash_attn"]) as m:
            fn(m, warmup=True)
            ts, cpu_ts = [], []
            for _ in range(reps):
                L.llama_memory_clear(L.llama_get_memory(m.ctx), False)
                t0, c0 = time.perf_counter_ns(), time.process_time_ns()
                fn(m, warmup=False)
                ts.append(1e9 * n_tokens / (time.perf_counter_ns() - t0))
                cpu_ts.append(1e9 * n_tokens / (time.process_time_ns() - c0))
            return ts, cpu_ts

    pp, pp_cpu = measure(n_prompt, lambda m, warmup: run_prompt(m), n_prompt)
    tg, tg_cpu = measure(n_gen, lambda m, warmup: run_gen(m, 1 if warmup else n_gen), n_gen)
    return {"rss_base_mb": round(rss_base, 1), "pp_samples": pp, "tg_samples": tg,
            "pp_cpu_samples": pp_cpu, "tg_cpu_samples": tg_cpu,
            "engine": R.engine_string(), "cpu_features": R.system_info()}


def stats(samples):
    sd = statistics.stdev(samples) if len(samples) > 1 else 0.0
    return round(statistics.mean(samples), 2), round(sd, 2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--models", nargs="*", default=DEFAULT_MODELS)
    ap.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--preset", nargs="*", choices=sorted(PRESETS), default=["llama-bench", "reference"])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("-p", "--n-prompt", type=int, default=512)
    ap.add_argument("-n", "--n-gen", type=int, default=128)
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--worker", nargs=4, metavar=("MODEL", "THREADS", "PRESET", "REPS"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        m, t, pr, reps = args.worker
        print(json.dumps(worker(m, int(t), pr, int(reps), args.n_prompt, args.n_gen)))
        return

    results = []
    print(f"| model | preset | threads | pp{args.n_prompt} t/s | tg{args.n_gen} t/s | "
          f"pp{args.n_prompt} t/CPU-s | tg{args.n_gen} t/CPU-s | peak RSS MB (base) | load avg |\n"
          f"|---|---|---|---|---|---|---|---|---|", flush=True)
    for mpath in args.models:
        mpath = mpath if os.path.isabs(mpath) else os.path.join(ROOT, mpath)
        for preset in args.preset:
            for threads in args.threads:
                cmd = [sys.executable, os.path.abspath(__file__), "-p", str(args.n_prompt),
                       "-n", str(args.n_gen), "--worker", mpath, str(threads), preset, str(args.reps)]
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
                out = proc.stdout.read()
                _, status, usage = os.wait4(proc.pid, 0)
                if status != 0:
                    raise SystemExit(f"worker failed: {' '.join(cmd)}")
                r = json.loads(out)
                r.update({"model": os.path.basename(mpath), "preset": preset, "threads": threads,
                          "reps": args.reps, "n_prompt": args.n_prompt, "n_gen": args.n_gen,
                          "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
                          "load_avg_after": os.getloadavg()[0]})
                r["pp_ts"], r["pp_sd"] = stats(r["pp_samples"])
                r["tg_ts"], r["tg_sd"] = stats(r["tg_samples"])
                r["pp_cpu_ts"], r["pp_cpu_sd"] = stats(r["pp_cpu_samples"])
                r["tg_cpu_ts"], r["tg_cpu_sd"] = stats(r["tg_cpu_samples"])
                results.append(r)
                print(f"| {r['model']} | {preset} | {threads} | {r['pp_ts']:.2f} ± {r['pp_sd']:.2f} | "
                      f"{r['tg_ts']:.2f} ± {r['tg_sd']:.2f} | {r['pp_cpu_ts']:.2f} ± {r['pp_cpu_sd']:.2f} | "
                      f"{r['tg_cpu_ts']:.2f} ± {r['tg_cpu_sd']:.2f} | {r['peak_rss_mb']:.0f} "
                      f"({r['rss_base_mb']:.0f}) | {r['load_avg_after']:.1f} |", flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"command": "python3 tools/golden/bench_reference.py " + " ".join(sys.argv[1:]),
                       "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
