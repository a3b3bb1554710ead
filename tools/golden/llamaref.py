"""Thin wrapper over llama-cpp-python's low-level C API, used only to produce reference data.

llama.cpp is an outside oracle here: slm never links it. The high-level `llama_cpp.Llama`
class hides settings that change the numbers (weight repacking, flash attention defaults,
KV cache type), so this module drives `llama_model_load_from_file` / `llama_decode` directly
with every such setting pinned, mirroring tests/data/golden/README.md section 3.
"""

import ctypes
import os

import numpy as np

try:
    import llama_cpp as L
except ImportError as e:  # explain the one manual step, see tools/golden/README.md
    raise SystemExit(
        "llama-cpp-python is not installed: run `python3 -m pip install llama-cpp-python` "
        "(builds llama.cpp from source, ~5 minutes on 2 cores). See tools/golden/README.md."
    ) from e

GGML_TYPE_F32 = 0
GGML_TYPE_F16 = 1

# llama.cpp logs to stderr through this callback; keep a module-level reference so ctypes
# does not free the trampoline while the library still holds it.
_QUIET = L.llama_log_callback(lambda level, text, user: None)
_backend_ready = False


def _init_backend(verbose):
    global _backend_ready
    if not _backend_ready:
        if not verbose:
            L.llama_log_set(_QUIET, ctypes.c_void_p())
        L.llama_backend_init()
        _backend_ready = True


def engine_string():
    return f"llama.cpp via llama-cpp-python {L.__version__}"


def system_info():
    return L.llama_print_system_info().decode().strip()


class Model:
    """One GGUF loaded by llama.cpp, optionally with a context for evaluation.

    Settings (fixed on purpose, they are the reference conditions; only the benchmark tool
    overrides repack/flash_attn/kv_type/batch sizes to mirror llama-bench's defaults):
      n_gpu_layers=0, use_extra_bufts=False (no CPU weight repacking), mmap on;
      n_ctx=n_batch=n_ubatch=n_ctx, n_seq_max=1, n_threads=n_threads_batch=threads,
      flash attention DISABLED, K and V cache in kv_type (F32 by default).
    """

    def __init__(self, path, n_ctx=512, threads=1, vocab_only=False, kv_type=GGML_TYPE_F32,
                 verbose=False, n_batch=None, n_ubatch=None, repack=False, flash_attn=None):
        _init_backend(verbose)
        self.path = path
        mp = L.llama_model_default_params()
        mp.n_gpu_layers = 0
        mp.vocab_only = vocab_only
        mp.use_extra_bufts = repack
        self.model = L.llama_model_load_from_file(os.fsencode(path), mp)
        if not self.model:
            raise RuntimeError(f"llama.cpp could not load {path}")
        self.vocab = L.llama_model_get_vocab(self.model)
        self.n_vocab = L.llama_vocab_n_tokens(self.vocab)
        self.ctx = None
        self.n_ctx = n_ctx
        self.threads = threads
        self.kv_type = kv_type
        if vocab_only:
            return
        cp = L.llama_context_default_params()
        cp.n_ctx = n_ctx
        cp.n_batch = n_batch or n_ctx
        cp.n_ubatch = n_ubatch or n_batch or n_ctx
        cp.n_seq_max = 1
        cp.n_threads = threads
        cp.n_threads_batch = threads
        cp.flash_attn_type = L.LLAMA_FLASH_ATTN_TYPE_DISABLED if flash_attn is None else flash_attn
        cp.type_k = kv_type
        cp.type_v = kv_type
        cp.no_perf = False
        self.swa_full = bool(cp.swa_full)
        self.ctx = L.llama_init_from_model(self.model, cp)
        if not self.ctx:
            raise RuntimeError(f"llama.cpp could not create a context for {path}")
        self.batch = L.llama_batch_init(cp.n_batch, 0, 1)
        self.batch_cap = cp.n_batch

    def close(self):
        if self.ctx:
            L.llama_batch_free(self.batch)
            L.llama_free(self.ctx)
            self.ctx = None
        if self.model:
            L.llama_model_free(self.model)
            self.model = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- vocabulary -------------------------------------------------------------------------

    def add_bos(self):
        return bool(L.llama_vocab_get_add_bos(self.vocab))

    def bos(self):
        return int(L.llama_vocab_bos(self.vocab))

    def tokenize(self, text, add_special, parse_special):
        data = text.encode("utf-8")
        cap = len(data) + 16
        while True:
            buf = (L.llama_token * cap)()
            n = L.llama_tokenize(self.vocab, data, len(data), buf, cap, add_special, parse_special)
            if n >= 0:
                return [int(buf[i]) for i in range(n)]
            cap = -n

    def piece(self, token):
        buf = ctypes.create_string_buffer(256)
        n = L.llama_token_to_piece(self.vocab, token, buf, 256, 0, True)
        return buf.raw[:max(n, 0)].decode("utf-8", errors="replace")

    def meta(self, key):
        buf = ctypes.create_string_buffer(4096)
        n = L.llama_model_meta_val_str(self.model, key.encode(), buf, 4096)
        return buf.value.decode() if n >= 0 else None

    # --- evaluation ---------------------------------------------------------------------------

    def clear(self):
        L.llama_memory_clear(L.llama_get_memory(self.ctx), True)

    def decode(self, tokens, pos0, want_logits="all"):
        """Evaluates `tokens` at positions pos0.. in ONE llama_decode call (one ubatch when
        len(tokens) <= n_ubatch). want_logits: "all", "last", "none", or an int i: logits for
        batch entries i.. only (as llama-perplexity asks). Returns a float32 array
        [rows, n_vocab] copied out of llama.cpp, one row per requested entry."""
        n = len(tokens)
        if n == 0 or n > self.batch_cap:
            raise ValueError(f"batch of {n} tokens (capacity {self.batch_cap})")
        b = self.batch
        b.n_tokens = n
        for i, t in enumerate(tokens):
            b.token[i] = t
            b.pos[i] = pos0 + i
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = 0
            if isinstance(want_logits, int):
                b.logits[i] = i >= want_logits
            else:
                b.logits[i] = want_logits == "all" or (want_logits == "last" and i == n - 1)
        rc = L.llama_decode(self.ctx, b)
        if rc != 0:
            raise RuntimeError(f"llama_decode returned {rc}")
        if want_logits == "none":
            return np.zeros((0, self.n_vocab), np.float32)
        rows = n if want_logits == "all" else 1 if want_logits == "last" else n - want_logits
        ptr = L.llama_get_logits(self.ctx)
        return np.ctypeslib.as_array(ptr, shape=(rows * self.n_vocab,)).reshape(
            rows, self.n_vocab).copy()

    def perf(self):
        return L.llama_perf_context(self.ctx)

    def perf_reset(self):
        L.llama_perf_context_reset(self.ctx)


def argmax_lowest(row):
    """argmax with ties going to the lowest id (np.argmax returns the first maximum)."""
    return int(np.argmax(row))


def log_softmax(x):
    """Row-wise log-softmax in float64 (the KL comparisons of the golden tools)."""
    x = x.astype(np.float64)
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def row_summary(row, k):
    """top-k ids (descending logit, ties -> lower id), their logits, log-sum-exp of the full
    row (float64), and margin = best - second best."""
    order = np.argsort(-row, kind="stable")[:k]
    top = row[order]
    r64 = row.astype(np.float64)
    mx = r64.max()
    lse = float(mx + np.log(np.exp(r64 - mx).sum()))
    return {
        "top_ids": [int(i) for i in order],
        "top_logits": [float(x) for x in top],
        "lse": lse,
        "margin": float(top[0]) - float(top[1]),
    }
