#pragma once
// Scalar reference kernels: the plain, readable definition of every KernelTable entry. They
// are the correctness oracle for the SIMD levels and the table used on CPUs without AVX2.
// Contracts are those documented in kernels/kernels.hpp.

#include "kernels/kernels.hpp"

namespace slm::kernels::ref {

void matmul_f32(const Matrix& w, const float* x, std::int64_t batch, float* y, std::int64_t ldy,
                std::int64_t r0, std::int64_t r1);
void matmul_q8(const Matrix& w, const void* xq, std::int64_t batch, float* y, std::int64_t ldy,
               std::int64_t r0, std::int64_t r1);
void quantize_activations(DType act_type, const float* x, std::int64_t k, void* out);

void rmsnorm(const float* x, const float* w, float eps, std::int64_t n, float* y);
void rope(RopeLayout layout, float* x, std::int64_t n_heads, std::int64_t head_dim, std::int64_t n_rot,
          float pos, const float* inv_freq);
void softmax(float* x, std::int64_t n, float softcap);
void swiglu(const float* gate, const float* up, std::int64_t n, float* out);
void geglu(const float* gate, const float* up, std::int64_t n, float* out);
void geglu_fp16(const float* gate, const float* up, std::int64_t n, float* out);
float gelu_fp16(float g);  // one element of geglu_fp16's activation
void add(const float* a, const float* b, std::int64_t n, float* out);
void scale(const float* x, float s, std::int64_t n, float* out);
void softcap(float* x, std::int64_t n, float cap);
void attention_block(const AttentionBlockArgs& a);

// The definition of attention for one query token: n_q query heads that share one KV head,
// over n_kv cached positions. Key j lives in cache row (first + j) % ring. attention_block
// (the table entry) is this, per token of a block; the SIMD levels are tested against it.
struct AttentionArgs {
  const float* q;            // [n_q][head_dim]
  std::int64_t n_q;
  std::int64_t head_dim;
  const void* k;             // cache rows of head_dim elements of kv_type
  const void* v;
  DType kv_type;             // F32 or F16
  std::size_t kv_row_stride; // bytes between consecutive cache rows
  std::int64_t first;        // cache row of the first key
  std::int64_t n_kv;         // keys to attend to (mask already applied by choosing the range)
  std::int64_t ring;         // rows wrap modulo ring
  float scale;               // score = scale * q.k, then soft-capped if softcap > 0
  float softcap;             // 0 = none; else score = softcap * tanh(score / softcap)
  float* out;                // [n_q][head_dim]
  float* scratch;            // >= n_q * n_kv floats
};

void attention(const AttentionArgs& a);

// The scalar KernelTable (Isa::Scalar) holding the functions above.
const KernelTable& table();

}  // namespace slm::kernels::ref
