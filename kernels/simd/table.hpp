#pragma once
// Builds the KernelTable of one SIMD level from its Traits: type switches for the matrix
// kernels, element-wise kernels, activation quantization. Included by exactly one translation
// unit per ISA (kernels/arch/table_*.cpp).
//
// Anything this level does not handle (an unsupported type, a row length that is not whole
// blocks, a bad row range) goes to the scalar reference, which validates and throws slm::Error
// from a baseline translation unit.

#include <cstdint>

#include "kernels/kernels.hpp"
#include "kernels/ref/ref.hpp"
#include "kernels/simd/attention_block.hpp"
#include "kernels/simd/elementwise.hpp"
#include "kernels/simd/matmul.hpp"
#include "kernels/simd/quantize.hpp"

namespace slm::kernels::simd {
inline namespace SLM_SIMD_ISA_NS {

// Block size of the types this level computes with; 0 for anything else.
inline std::int64_t simd_block_elems(DType t) noexcept {
  switch (t) {
    case DType::F32: case DType::F16: case DType::BF16:
    case DType::Q4_0: case DType::Q4_1: case DType::Q5_0: case DType::Q8_0: return 32;
    case DType::Q4_K: case DType::Q5_K: case DType::Q6_K: return 256;
    default: return 0;
  }
}

inline bool simd_can(const Matrix& w, std::int64_t r0, std::int64_t r1) noexcept {
  const std::int64_t be = simd_block_elems(w.type);
  return be > 0 && w.k > 0 && w.k % be == 0 && r0 >= 0 && r0 <= r1 && r1 <= w.n_rows;
}

template <class Tr>
void matmul_f32_dispatch(const Matrix& w, const float* x, std::int64_t batch, float* y, std::int64_t ldy,
                         std::int64_t r0, std::int64_t r1) {
  if (!simd_can(w, r0, r1)) return ref::matmul_f32(w, x, batch, y, ldy, r0, r1);
  switch (w.type) {
    case DType::F32: return matmul_f32<Tr, FloatF32>(w, x, batch, y, ldy, r0, r1);
    case DType::F16: return matmul_f32<Tr, FloatF16>(w, x, batch, y, ldy, r0, r1);
    case DType::BF16: return matmul_f32<Tr, FloatBF16>(w, x, batch, y, ldy, r0, r1);
    case DType::Q4_0: return matmul_f32<Tr, FloatQ4_0>(w, x, batch, y, ldy, r0, r1);
    case DType::Q4_1: return matmul_f32<Tr, FloatQ4_1>(w, x, batch, y, ldy, r0, r1);
    case DType::Q5_0: return matmul_f32<Tr, FloatQ5_0>(w, x, batch, y, ldy, r0, r1);
    case DType::Q8_0: return matmul_f32<Tr, FloatQ8_0>(w, x, batch, y, ldy, r0, r1);
    case DType::Q4_K: return matmul_f32<Tr, FloatQ4_K>(w, x, batch, y, ldy, r0, r1);
    case DType::Q5_K: return matmul_f32<Tr, FloatQ5_K>(w, x, batch, y, ldy, r0, r1);
    case DType::Q6_K: return matmul_f32<Tr, FloatQ6_K>(w, x, batch, y, ldy, r0, r1);
    default: return ref::matmul_f32(w, x, batch, y, ldy, r0, r1);
  }
}

template <class Tr>
void matmul_q8_dispatch(const Matrix& w, const void* xq, std::int64_t batch, float* y, std::int64_t ldy,
                        std::int64_t r0, std::int64_t r1) {
  if (!simd_can(w, r0, r1)) return ref::matmul_q8(w, xq, batch, y, ldy, r0, r1);
  switch (w.type) {
    case DType::Q4_0: return matmul_q8<Tr, KernelQ4_0>(w, xq, batch, y, ldy, r0, r1);
    case DType::Q4_1: return matmul_q8<Tr, KernelQ4_1>(w, xq, batch, y, ldy, r0, r1);
    case DType::Q5_0: return matmul_q8<Tr, KernelQ5_0>(w, xq, batch, y, ldy, r0, r1);
    case DType::Q8_0: return matmul_q8<Tr, KernelQ8_0>(w, xq, batch, y, ldy, r0, r1);
    case DType::Q4_K: return matmul_q8<Tr, KernelQ4_K>(w, xq, batch, y, ldy, r0, r1);
    case DType::Q5_K: return matmul_q8<Tr, KernelQ5_K>(w, xq, batch, y, ldy, r0, r1);
    case DType::Q6_K: return matmul_q8<Tr, KernelQ6_K>(w, xq, batch, y, ldy, r0, r1);
    // Float weights have no integer path: the "activations" are the float rows themselves.
    case DType::F32: case DType::F16: case DType::BF16:
      return matmul_f32_dispatch<Tr>(w, static_cast<const float*>(xq), batch, y, ldy, r0, r1);
    default: return ref::matmul_q8(w, xq, batch, y, ldy, r0, r1);
  }
}

template <class Tr>
KernelTable make_table(Isa isa, const KernelTable& fallback) {
  KernelTable t = fallback;
  t.isa = isa;
  t.matmul_f32 = &matmul_f32_dispatch<Tr>;
  t.matmul_q8 = &matmul_q8_dispatch<Tr>;
  t.quantize_activations = &quantize_activations;
  t.rmsnorm = &rmsnorm<Tr>;
  t.rope = &rope<Tr>;
  t.softmax = &softmax<Tr>;
  t.swiglu = &swiglu<Tr>;
  t.geglu = &geglu<Tr>;
  t.geglu_fp16 = &geglu_fp16<Tr>;
  t.add = &add<Tr>;
  t.scale = &scale<Tr>;
  t.softcap = &softcap<Tr>;
  t.attention_block = &attention_block<Tr>;
  return t;
}

}  // namespace SLM_SIMD_ISA_NS
}  // namespace slm::kernels::simd
