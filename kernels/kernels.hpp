#pragma once
// The kernel library's interface: plain functions over raw rows, no knowledge of models.
//
// Each kernel has one scalar reference (kernels/ref/) and SIMD variants beside it. A
// KernelTable holds one ISA level's implementations; the active table is chosen once at
// start-up (best level the CPU supports, capped by SLM_ISA=scalar|avx2|avx512|amx) and tests
// reach every level the host supports through kernels_for().
//
// Conventions:
//  - A weight matrix is stored as GGUF stores it: n_rows rows of k elements (ne0 = k, the
//    input features; ne1 = n_rows, the output features), each row row_stride bytes.
//  - Activations are row-major [batch][k] floats; outputs row-major [batch][ldy] floats.
//  - Matmuls compute only rows [r0, r1) of the output, so callers can split rows across
//    threads; kernels never allocate and never spawn threads.
//  - k must be a multiple of the weight type's block size (32 or 256); any n_rows, any batch.
//    The format functions and the scalar matmuls throw slm::Error for an unsupported type, a
//    ragged k or a row range outside the matrix; callers validate shapes once (at load time)
//    and SIMD levels may assume valid arguments.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/dtype.hpp"

namespace slm::kernels {

// How far ahead of their reads the matrix-vector kernels prefetch weights (kernels/simd/prefetch.hpp
// says why this distance); util::ReadProbe's prefetched passes read the same way.
inline constexpr std::size_t kPrefetchBytes = 3072;

// Whether the matrix-vector kernels prefetch their weight stream in software at all. Chosen once
// at start-up: on, except on AMD (and Hygon) CPUs, whose hardware prefetchers read the stream
// faster alone (Zen 4, docs/kernels.md: one thread 17 -> 22 GB/s for Q4_K, 18 -> 26 for Q6_K),
// while on the Intel machine the kernels were tuned on the prefetches added 3-9% to decode.
// SLM_PREFETCH=0|1 overrides the choice.
bool stream_prefetch() noexcept;

// Amx = the Avx512 table plus AMX-INT8 tile kernels for the integer matmul at prefill batches.
enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2, Amx = 3 };
const char* isa_name(Isa isa) noexcept;

struct Matrix {
  DType type;
  const void* data;
  std::int64_t k;       // elements per row (multiple of the type's block size)
  std::int64_t n_rows;  // output features
  std::size_t row_stride;
};

// Rotary embedding layout as stored in GGUF: Adjacent rotates (x[2i], x[2i+1]) (Llama, whose
// Q/K rows the converter permuted); Neox rotates (x[i], x[i + n_rot/2]) (Qwen2, Gemma).
enum class RopeLayout { Adjacent, Neox };

// Attention of a block of n_tok consecutive query tokens (positions pos0, pos0 + 1, ...) and the
// n_q query heads that share one KV head (GQA/MQA: each K and V row is read once for all of them;
// decode is a block of one token). Per (token, head) it is ref::attention (kernels/ref/ref.hpp):
// softmax(scale * q.k, soft-capped) weighted sum of v. The token at position p sees key positions
// [max(0, p - window + 1), p] (window 0: [0, p]); key position P lives in cache row P % ring, so
// ring must be at least the block's key span (window + n_tok - 1, or pos0 + n_tok).
struct AttentionBlockArgs {
  const float* q;            // token t, head h at q + t * q_stride + h * head_dim
  std::int64_t q_stride;     // floats between consecutive tokens' query rows
  std::int64_t n_tok;
  std::int64_t n_q;
  std::int64_t head_dim;
  const void* k;             // cache rows of head_dim elements of kv_type
  const void* v;
  DType kv_type;             // F32 or F16
  std::size_t kv_row_stride; // bytes between consecutive cache rows
  std::int64_t pos0;         // position of token 0
  std::int64_t window;       // 0 = causal only; else sliding window of this many keys
  std::int64_t ring;         // rows wrap modulo ring
  float scale;
  float softcap;
  float* out;                // token t, head h at out + t * out_stride + h * head_dim
  std::int64_t out_stride;
  float* scratch;            // >= attention_block_scratch(n_tok, n_q, head_dim, key span) floats
};

// Scratch floats attention_block needs when the block's keys span at most max_keys positions:
// one token's scores (the scalar reference), plus per query row the scores of a 32-key chunk
// (48 floats: a key tile may overhang it) and a running max and sum (the SIMD levels' online
// softmax), plus 32 staged key rows.
inline std::size_t attention_block_scratch(std::int64_t n_tok, std::int64_t n_q, std::int64_t head_dim,
                                           std::int64_t max_keys) noexcept {
  return std::size_t(n_q * max_keys + n_tok * n_q * 50 + 32 * head_dim);
}

struct KernelTable {
  Isa isa;

  // ---- matrix products (Y[b][r] = sum_i W[r][i] * X[b][i], r in [r0, r1), b < batch)
  // Float activations; weights dequantized on the fly. Any supported weight type.
  void (*matmul_f32)(const Matrix& w, const float* x, std::int64_t batch, float* y, std::int64_t ldy,
                     std::int64_t r0, std::int64_t r1);
  // Integer path: xq holds `batch` rows of k elements quantized by quantize_activations with
  // activation_type(w.type), each row act_row_bytes(w.type, k) bytes. For float weight types
  // (F32/F16/BF16) activation_type is F32: xq is then plain floats and this is matmul_f32.
  void (*matmul_q8)(const Matrix& w, const void* xq, std::int64_t batch, float* y, std::int64_t ldy,
                    std::int64_t r0, std::int64_t r1);
  // act_type: Q8_0, Q8_1, Q8_K or F32 (copy). Bit-identical to what llama.cpp's CPU backend
  // runs on activations (quantize_row_q8_*: ties to even), which differs from quantize_row's
  // Q8_0/Q8_1 (llama.cpp's reference rounding, used for weights) on exact ties.
  void (*quantize_activations)(DType act_type, const float* x, std::int64_t k, void* out);

  // ---- element-wise (y may alias x)
  // y = x / sqrt(mean(x^2) + eps) * w   (w == nullptr: no weight)
  void (*rmsnorm)(const float* x, const float* w, float eps, std::int64_t n, float* y);
  // Rotates the first n_rot dims of each of n_heads heads of x ([n_heads][head_dim]) at
  // position pos; angle_i = pos * inv_freq[i] for i < n_rot/2.
  void (*rope)(RopeLayout layout, float* x, std::int64_t n_heads, std::int64_t head_dim,
               std::int64_t n_rot, float pos, const float* inv_freq);
  // In-place softmax of x[0..n) after score = softcap>0 ? softcap*tanh(x/softcap) : x.
  // -inf entries are masked: they stay -inf through the soft-cap and get probability 0.
  // n >= 1 and at least one entry finite.
  void (*softmax)(float* x, std::int64_t n, float softcap);
  // out = act(gate) * up, act = SiLU (swiglu) or GELU tanh form (geglu), computed in fp32.
  // (llama.cpp's CPU backend instead uses an fp16 table: see geglu_fp16 below.)
  void (*swiglu)(const float* gate, const float* up, std::int64_t n, float* out);
  void (*geglu)(const float* gate, const float* up, std::int64_t n, float* out);
  void (*add)(const float* a, const float* b, std::int64_t n, float* out);
  void (*scale)(const float* x, float s, std::int64_t n, float* out);
  // In place x = cap * tanh(x / cap), cap > 0 (Gemma 2's final-logit soft-capping).
  void (*softcap)(float* x, std::int64_t n, float cap);
  // geglu as llama.cpp's CPU backend computes it (use this one to match its logits): the gate
  // rounded to fp16, GELU (tanh form) of it rounded to fp16, gate <= -10 -> 0, gate >= 10 ->
  // gate; then times up in fp32. Bit-identical to ggml's GELU (tests/kernels/activation_test).
  void (*geglu_fp16)(const float* gate, const float* up, std::int64_t n, float* out);
  // Attention: a block of consecutive tokens against one KV head (AttentionBlockArgs).
  void (*attention_block)(const AttentionBlockArgs& a);
};

// ---- formats (scalar, exact; shared by every level)
// Dequantize n elements (a multiple of the block size) of type t.
void dequantize_row(DType t, const void* src, float* dst, std::int64_t n);
// Quantize n floats into type t. Available for Q5_0, Q8_0, Q8_1, Q4_K, Q6_K, Q8_K (and F32/F16/BF16).
void quantize_row(DType t, const float* src, void* dst, std::int64_t n);
bool can_quantize(DType t) noexcept;
// The activation format a weight type pairs with on the integer path (Q8_0 family or Q8_K);
// F32 for float weight types, which have no integer path.
DType activation_type(DType weight_type) noexcept;
std::size_t act_row_bytes(DType weight_type, std::int64_t k) noexcept;

// ---- dispatch
const KernelTable& kernels();          // the active table
const KernelTable& kernels_for(Isa);   // a given level (must be available)
Isa best_isa() noexcept;               // best level this CPU supports
std::vector<Isa> available_isas();     // every level this CPU supports, scalar first
// CPU model, the features the kernels care about, the available and the active level
// (several "name: value" lines; printed by `slm inspect --system`).
std::string system_description();

}  // namespace slm::kernels
