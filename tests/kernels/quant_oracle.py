#!/usr/bin/env python3
"""Writes reference data for tests/kernels/formats_test.cpp, from oracles independent of slm.

  quant_oracle.py dequant OUT MODEL.gguf...  sampled rows of every tensor type in the files,
                                             dequantized by the gguf package
  quant_oracle.py synthetic OUT              blocks of every format slm reads (random bytes with
                                             finite scales, and gguf-package quantizations of
                                             Gaussian data), dequantized by the gguf package;
                                             fp32 -> fp16/bf16 conversions by numpy / gguf
  quant_oracle.py ggml OUT                   llama.cpp's own reference quantizers (libggml-base,
                                             from $SLM_GGML_LIB's directory (scripts/ggml_oracle)
                                             or the llama-cpp-python package) on fixed inputs,
                                             and its CPU backend's run-time activation quantizers
                                             (libggml-cpu); exits 77 when those cannot be found
  quant_oracle.py ggml-dot OUT               llama.cpp's CPU dot products (libggml-cpu) of random
                                             weight blocks with Gaussian activations quantized by
                                             its run-time quantize_row_q8_*
  quant_oracle.py ggml-gelu OUT              llama.cpp's CPU GELU (a one-op ggml graph) on every
                                             fp16 value and on random floats

OUT is a sequence of records, all little-endian:
  u32 kind (0 = dequantize: src is blocks, dst float32;  1 = quantize: src float32, dst blocks;
            2 = dot: src is one weight row then the float32 activations, dst the float32 result;
            3 = activation: src float32 inputs, dst float32 outputs)
  u32 ggml type id, u32 name length, name bytes,
  u64 element count, u64 src byte count, src bytes, u64 dst byte count, dst bytes
"""
import ctypes
import os
import struct
import subprocess
import sys

import numpy as np

DEQUANT, QUANT, DOT, ACTIVATION = 0, 1, 2, 3


class Out:
    def __init__(self, path):
        self.f = open(path, "wb")

    def record(self, kind, type_id, name, n, src, dst):
        src, dst = np.ascontiguousarray(src).tobytes(), np.ascontiguousarray(dst).tobytes()
        nb = name.encode()
        self.f.write(struct.pack("<III", kind, type_id, len(nb)) + nb)
        self.f.write(struct.pack("<QQ", n, len(src)) + src + struct.pack("<Q", len(dst)) + dst)


def cmd_dequant(out, models):
    import gguf
    from gguf.quants import dequantize
    for path in models:
        r = gguf.GGUFReader(path)
        by_type = {}
        for t in r.tensors:
            by_type.setdefault(int(t.tensor_type), []).append(t)
        for type_id, tensors in sorted(by_type.items()):
            # a few tensors per type: first, middle, last in file order
            picks = sorted({0, len(tensors) // 2, len(tensors) - 1})
            for i in picks:
                t = tensors[i]
                block_elems, block_bytes = gguf.GGML_QUANT_SIZES[t.tensor_type]
                ne0 = int(t.shape[0])
                n_rows = int(np.prod(t.shape[1:])) if len(t.shape) > 1 else 1
                row_bytes = ne0 // block_elems * block_bytes
                raw = np.asarray(t.data).view(np.uint8).reshape(-1)
                for row in sorted({0, n_rows // 2, n_rows - 1}):
                    src = raw[row * row_bytes:(row + 1) * row_bytes]
                    deq = dequantize(src, t.tensor_type).astype(np.float32).reshape(-1)
                    assert deq.size == ne0
                    out.record(DEQUANT, type_id, f"{os.path.basename(path)}:{t.name}:row{row}", ne0, src, deq)


def random_blocks(rng, type_id, n_blocks):
    import gguf
    qt = gguf.GGMLQuantizationType(type_id)
    block_elems, block_bytes = gguf.GGML_QUANT_SIZES[qt]
    b = rng.integers(0, 256, size=(n_blocks, block_bytes), dtype=np.uint8)

    def fp16(n, lo=-12, hi=2):  # finite normal fp16 scales
        return (rng.standard_normal(n) * np.exp2(rng.uniform(lo, hi, n))).astype(np.float16).view(np.uint8).reshape(n, 2)

    if qt in (gguf.GGMLQuantizationType.Q4_0, gguf.GGMLQuantizationType.Q5_0, gguf.GGMLQuantizationType.Q8_0):
        b[:, 0:2] = fp16(n_blocks)
    elif qt == gguf.GGMLQuantizationType.Q4_1:
        b[:, 0:2] = fp16(n_blocks)
        b[:, 2:4] = fp16(n_blocks)
    elif qt in (gguf.GGMLQuantizationType.Q4_K, gguf.GGMLQuantizationType.Q5_K):
        b[:, 0:2] = fp16(n_blocks)
        b[:, 2:4] = fp16(n_blocks)
    elif qt == gguf.GGMLQuantizationType.Q6_K:
        b[:, 208:210] = fp16(n_blocks)
    return b.reshape(-1)


def cmd_synthetic(out):
    import gguf
    from gguf.quants import dequantize, quantize
    T = gguf.GGMLQuantizationType
    rng = np.random.default_rng(1234)
    # Every fp16 and (a sample of) bf16 bit patterns: subnormals, inf, NaN included.
    h = np.arange(65536, dtype=np.uint16)
    out.record(DEQUANT, int(T.F16), "all fp16 patterns", h.size, h, dequantize(h.view(np.uint8), T.F16))
    bf = np.concatenate([np.arange(0, 65536, 7, dtype=np.uint16), np.array([0x7f80, 0xff80, 0x7fc1, 0x0001, 0x8001], np.uint16)])
    out.record(DEQUANT, int(T.BF16), "bf16 patterns", bf.size, bf, dequantize(bf.view(np.uint8), T.BF16))
    # Random bytes with finite scales: every bit pattern of the quantized values.
    for qt in (T.Q4_0, T.Q4_1, T.Q5_0, T.Q8_0, T.Q4_K, T.Q5_K, T.Q6_K):
        block_elems, _ = gguf.GGML_QUANT_SIZES[qt]
        nb = 64
        src = random_blocks(rng, int(qt), nb)
        out.record(DEQUANT, int(qt), f"random {qt.name}", nb * block_elems, src, dequantize(src, qt).reshape(-1))
    # The package's own quantizations of Gaussian data.
    for qt in (T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q8_0):
        x = rng.standard_normal(32 * 40).astype(np.float32)
        q = quantize(x.reshape(4, -1), qt).reshape(-1)
        out.record(DEQUANT, int(qt), f"gguf-quantized {qt.name}", x.size, q, dequantize(q, qt).reshape(-1))
    # Q8_0 quantization itself (the package's is bit-exact with ggml's reference).
    x = rng.standard_normal(32 * 64).astype(np.float32)
    x[:32] = 0.0
    x[32:64] = np.round(x[32:64] * 8) / 8
    out.record(QUANT, int(T.Q8_0), "gguf Q8_0 quantize", x.size, x, quantize(x, T.Q8_0))
    # fp32 -> fp16 / bf16 on awkward values: ties, subnormal and overflow boundaries, NaN, inf.
    specials = np.array([0.0, -0.0, 1.0, -1.0, 65504.0, 65519.99, 65520.0, 1e9, -1e9, np.inf, -np.inf,
                         2.0**-14, 2.0**-24, 2.0**-25, 2.0**-25 * 1.0000001, 2.0**-26, 3 * 2.0**-25, 2.0**-14 - 2.0**-25,
                         1.0 + 2.0**-11, 1.0 + 3 * 2.0**-11, 1e-45, -1e-40, 0.1, 1 / 3], dtype=np.float32)
    bits = rng.integers(0, 2**32, size=20000, dtype=np.uint64).astype(np.uint32)
    near = (np.float32(1) * np.exp2(rng.uniform(-30, 17, 20000))).astype(np.float32)
    f = np.concatenate([specials, bits.view(np.float32), near, -near])
    f = f[~np.isnan(f)]  # NaN payload conversion is not pinned down by numpy; tested separately
    with np.errstate(over="ignore"):
        out.record(QUANT, int(T.F16), "fp32->fp16", f.size, f, f.astype(np.float16))
    fb = np.concatenate([f, np.array([np.nan], np.float32)])
    out.record(QUANT, int(T.BF16), "fp32->bf16", fb.size, fb, quantize(fb, T.BF16))


def find_ggml(name="libggml-base.so"):
    cands = []
    if os.environ.get("SLM_GGML_LIB"):
        cands.append(os.path.join(os.path.dirname(os.environ["SLM_GGML_LIB"]), name))
    try:
        import llama_cpp  # noqa: F401
        cands.append(os.path.join(os.path.dirname(llama_cpp.__file__), "lib", name))
    except ImportError:
        pass
    try:  # llama-cpp-python may live in another interpreter than the one running this script
        d = subprocess.run(["python3", "-c", "import llama_cpp,os;print(os.path.dirname(llama_cpp.__file__))"],
                           capture_output=True, text=True, timeout=60).stdout.strip()
        if d:
            cands.append(os.path.join(d, "lib", name))
    except Exception:
        pass
    for c in cands:
        if os.path.exists(c):
            return ctypes.CDLL(c, mode=ctypes.RTLD_GLOBAL)
    return None


def ggml_inputs(rng):
    """Named float32 rows (length a multiple of 256) for the quantizer comparisons."""
    g = rng.standard_normal(256 * 64).astype(np.float32)
    edge = rng.standard_normal(256 * 8).astype(np.float32)
    edge[:256] = 0.0                                   # an all-zero block
    edge[256:512] *= 1e-38                             # tiny values (denormal range after scaling)
    edge[512:768] *= 3e4                               # large magnitudes
    edge[768:1024] = np.round(edge[768:1024] * 4) / 4  # many exact ties after scaling
    edge[1024] = -50.0                                 # negative extreme, for the signed max
    edge[1280:1536] = np.abs(edge[1280:1536])          # all positive
    edge[1536:1792] = -np.abs(edge[1536:1792])         # all negative
    # exact ties: each 32-block holds -127, so the scale is exactly 1 (Q8_0: d = 127/127;
    # Q8_K: iscale = -127/-127) and every other value lies halfway between two integers
    ties = (rng.integers(-120, 120, 512) + 0.5).astype(np.float32)
    ties[::32] = -127.0
    return {"gaussian": g, "edge": edge, "ties": ties}


def cmd_ggml(out):
    lib, cpu = find_ggml(), find_ggml("libggml-cpu.so")
    if lib is None or cpu is None:
        print("libggml-base/libggml-cpu (llama-cpp-python) not found", file=sys.stderr)
        sys.exit(77)
    cpu.ggml_cpu_init()
    import gguf
    T = gguf.GGMLQuantizationType
    rng = np.random.default_rng(99)
    for name, x in ggml_inputs(rng).items():
        for qt, fn in ((T.Q8_0, "quantize_row_q8_0_ref"), (T.Q8_1, "quantize_row_q8_1_ref"),
                       (T.Q8_K, "quantize_row_q8_K_ref"), (T.Q4_K, "quantize_row_q4_K_ref"),
                       (T.Q6_K, "quantize_row_q6_K_ref"), (T.Q5_0, "quantize_row_q5_0_ref")):
            # gguf's table gives Q8_1 its old 40-byte layout (f32 d, s); ggml's is 36 (fp16 d, s)
            block_elems, block_bytes = (32, 36) if qt == T.Q8_1 else gguf.GGML_QUANT_SIZES[qt]
            dst = np.zeros(x.size // block_elems * block_bytes, np.uint8)
            f = getattr(lib, fn)
            f.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
            f.restype = None
            f(x.ctypes.data, dst.ctypes.data, x.size)
            out.record(QUANT, int(qt), f"{fn} {name}", x.size, x, dst)
            if qt in (T.Q8_0, T.Q8_1, T.Q8_K):  # what llama.cpp runs on activations (no _ref)
                g = getattr(cpu, fn[:-4])
                g.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
                g.restype = None
                dst = np.zeros_like(dst)
                g(x.ctypes.data, dst.ctypes.data, x.size)
                out.record(QUANT, int(qt), f"{fn[:-4]} {name}", x.size, x, dst)


def cmd_ggml_dot(out):
    base, cpu = find_ggml(), find_ggml("libggml-cpu.so")
    if base is None or cpu is None:
        print("libggml-base/libggml-cpu (llama-cpp-python) not found", file=sys.stderr)
        sys.exit(77)
    import gguf
    T = gguf.GGMLQuantizationType
    cpu.ggml_cpu_init()
    rng = np.random.default_rng(7)
    pairs = ((T.Q4_0, "q8_0"), (T.Q4_1, "q8_1"), (T.Q5_0, "q8_0"), (T.Q8_0, "q8_0"),
             (T.Q4_K, "q8_K"), (T.Q5_K, "q8_K"), (T.Q6_K, "q8_K"))
    act_sizes = {"q8_0": (32, 34), "q8_1": (32, 36), "q8_K": (256, 292)}
    for qt, act in pairs:
        for k in (256, 1024, 2816):  # 2816 = 11 K-blocks: odd block counts
            for trial in range(3):
                w = random_blocks(rng, int(qt), k // gguf.GGML_QUANT_SIZES[qt][0])
                x = rng.standard_normal(k).astype(np.float32)
                if trial == 2:
                    x *= 100.0
                    x[rng.integers(0, k, 8)] = 0.0
                ae, ab = act_sizes[act]
                xq = np.zeros(k // ae * ab, np.uint8)
                qf = getattr(cpu, f"quantize_row_{act}")  # the run-time activation quantizer
                qf.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
                qf(x.ctypes.data, xq.ctypes.data, k)
                df = getattr(cpu, f"ggml_vec_dot_{qt.name.lower().replace('_k', '_K')}_{act}")
                df.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t,
                               ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
                res = np.zeros(1, np.float32)
                df(k, res.ctypes.data, 0, w.ctypes.data, 0, xq.ctypes.data, 0, 1)
                out.record(DOT, int(qt), f"ggml_vec_dot {qt.name} k={k} trial {trial}", k,
                           np.concatenate([w.view(np.uint8), x.view(np.uint8)]), res)


class GgmlInitParams(ctypes.Structure):
    _fields_ = [("mem_size", ctypes.c_size_t), ("mem_buffer", ctypes.c_void_p), ("no_alloc", ctypes.c_bool)]


def cmd_ggml_gelu(out):
    base, cpu = find_ggml(), find_ggml("libggml-cpu.so")
    if base is None or cpu is None:
        print("libggml-base/libggml-cpu (llama-cpp-python) not found", file=sys.stderr)
        sys.exit(77)
    cpu.ggml_cpu_init()  # builds the fp16 GELU table
    vp = ctypes.c_void_p
    base.ggml_init.argtypes, base.ggml_init.restype = [GgmlInitParams], vp
    base.ggml_new_tensor_1d.argtypes, base.ggml_new_tensor_1d.restype = [vp, ctypes.c_int, ctypes.c_int64], vp
    base.ggml_gelu.argtypes, base.ggml_gelu.restype = [vp, vp], vp
    base.ggml_new_graph.argtypes, base.ggml_new_graph.restype = [vp], vp
    base.ggml_build_forward_expand.argtypes, base.ggml_build_forward_expand.restype = [vp, vp], None
    base.ggml_get_data.argtypes, base.ggml_get_data.restype = [vp], vp
    base.ggml_free.argtypes, base.ggml_free.restype = [vp], None
    cpu.ggml_graph_compute_with_ctx.argtypes, cpu.ggml_graph_compute_with_ctx.restype = [vp, vp, ctypes.c_int], ctypes.c_int
    rng = np.random.default_rng(3)
    fp16 = np.arange(65536, dtype=np.uint16).view(np.float16).astype(np.float32)
    fp16 = fp16[np.isfinite(fp16)]
    x = np.concatenate([fp16, rng.standard_normal(20000).astype(np.float32) * 4,
                        np.array([-10.0, 10.0, -10.001, 10.001, -9.999, 9.999, 1e30, -1e30, 1e-41], np.float32)])
    ctx = base.ggml_init(GgmlInitParams(x.size * 8 + (64 << 20), None, False))
    t = base.ggml_new_tensor_1d(ctx, 0, x.size)  # GGML_TYPE_F32
    ctypes.memmove(base.ggml_get_data(t), x.ctypes.data, x.nbytes)
    g = base.ggml_gelu(ctx, t)
    gf = base.ggml_new_graph(ctx)
    base.ggml_build_forward_expand(gf, g)
    if cpu.ggml_graph_compute_with_ctx(ctx, gf, 1) != 0:
        sys.exit("ggml graph compute failed")
    y = np.zeros_like(x)
    ctypes.memmove(y.ctypes.data, base.ggml_get_data(g), y.nbytes)
    base.ggml_free(ctx)
    out.record(ACTIVATION, 0, "ggml_gelu", x.size, x, y)


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    out = Out(path)
    if cmd == "dequant":
        cmd_dequant(out, sys.argv[3:])
    elif cmd == "synthetic":
        cmd_synthetic(out)
    elif cmd == "ggml":
        cmd_ggml(out)
    elif cmd == "ggml-dot":
        cmd_ggml_dot(out)
    elif cmd == "ggml-gelu":
        cmd_ggml_gelu(out)
    else:
        sys.exit(f"unknown command {cmd}")
    out.f.close()


if __name__ == "__main__":
    main()
