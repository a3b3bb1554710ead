#pragma once
// SIMD attention for one KV head and the n_q query heads that share it (GQA): each K and V
// cache row is loaded (and converted from F16) once per tile of up to kHeadTile query heads,
// instead of once per head.
//
//   scores[h][j] = scale * q_h . k_j      (one pass over K, all heads of the tile)
//   softmax per head (with soft-cap)      (the level's SIMD softmax)
//   out[h] = sum_j p[h][j] v_j            (one pass over V per 8 columns, all heads of the tile)

#include <immintrin.h>

#include <cstdint>

#include "kernels/kernels.hpp"
#include "kernels/ref/ref.hpp"
#include "kernels/simd/elementwise.hpp"

namespace slm::kernels::simd {
inline namespace SLM_SIMD_ISA_NS {

inline constexpr std::int64_t kHeadTile = 8;

inline __m256 load_kv8(const unsigned char* row, bool f16, std::int64_t i) noexcept {
  if (f16) return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * i)));
  return _mm256_loadu_ps(reinterpret_cast<const float*>(row + 4 * i));
}

inline float hsum8_a(__m256 v) noexcept {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// One tile of NH query heads starting at h0. NH is a compile-time constant so that the NH
// accumulators stay in registers (with a run-time head count they were spilled to the stack and
// every FMA waited on a store-to-load round trip).
template <class Tr, int NH>
void attention_tile(const AttentionArgs& a, std::int64_t h0, bool f16) {
  const std::int64_t d = a.head_dim;
  const auto* kbase = static_cast<const unsigned char*>(a.k);
  const auto* vbase = static_cast<const unsigned char*>(a.v);
  // Scores: one pass over the keys. Cache rows advance with a wrap test, not a division per
  // row (a 64-bit modulo per key cost more than the key's FMAs).
  std::int64_t krow_i = a.first % a.ring;
  for (std::int64_t j = 0; j < a.n_kv; ++j, krow_i = krow_i + 1 == a.ring ? 0 : krow_i + 1) {
    const unsigned char* krow = kbase + static_cast<std::size_t>(krow_i) * a.kv_row_stride;
    __m256 acc[NH];
    for (int h = 0; h < NH; ++h) acc[h] = _mm256_setzero_ps();
    for (std::int64_t i = 0; i < d; i += 8) {
      const __m256 kv = load_kv8(krow, f16, i);
      for (int h = 0; h < NH; ++h) acc[h] = _mm256_fmadd_ps(_mm256_loadu_ps(a.q + (h0 + h) * d + i), kv, acc[h]);
    }
    for (int h = 0; h < NH; ++h) a.scratch[(h0 + h) * a.n_kv + j] = a.scale * hsum8_a(acc[h]);
  }
  for (int h = 0; h < NH; ++h) softmax<Tr>(a.scratch + (h0 + h) * a.n_kv, a.n_kv, a.softcap);
  // Weighted sum of V, 8 columns at a time.
  for (std::int64_t i = 0; i < d; i += 8) {
    __m256 acc[NH];
    for (int h = 0; h < NH; ++h) acc[h] = _mm256_setzero_ps();
    std::int64_t vrow_i = a.first % a.ring;
    for (std::int64_t j = 0; j < a.n_kv; ++j, vrow_i = vrow_i + 1 == a.ring ? 0 : vrow_i + 1) {
      const unsigned char* vrow = vbase + static_cast<std::size_t>(vrow_i) * a.kv_row_stride;
      const __m256 vv = load_kv8(vrow, f16, i);
      for (int h = 0; h < NH; ++h)
        acc[h] = _mm256_fmadd_ps(_mm256_set1_ps(a.scratch[(h0 + h) * a.n_kv + j]), vv, acc[h]);
    }
    for (int h = 0; h < NH; ++h) _mm256_storeu_ps(a.out + (h0 + h) * d + i, acc[h]);
  }
}

template <class Tr>
void attention(const AttentionArgs& a) {
  const bool ok = (a.kv_type == DType::F32 || a.kv_type == DType::F16) && a.n_kv > 0 && a.ring > 0 &&
                  a.head_dim > 0 && a.head_dim % 8 == 0;
  if (!ok) return ref::attention(a);
  const bool f16 = a.kv_type == DType::F16;
  static_assert(kHeadTile == 8, "the dispatch below lists tiles of 1..8 heads");
  for (std::int64_t h0 = 0; h0 < a.n_q; h0 += kHeadTile) {
    switch (a.n_q - h0 < kHeadTile ? a.n_q - h0 : kHeadTile) {
      case 1: attention_tile<Tr, 1>(a, h0, f16); break;
      case 2: attention_tile<Tr, 2>(a, h0, f16); break;
      case 3: attention_tile<Tr, 3>(a, h0, f16); break;
      case 4: attention_tile<Tr, 4>(a, h0, f16); break;
      case 5: attention_tile<Tr, 5>(a, h0, f16); break;
      case 6: attention_tile<Tr, 6>(a, h0, f16); break;
      case 7: attention_tile<Tr, 7>(a, h0, f16); break;
      default: attention_tile<Tr, 8>(a, h0, f16); break;
    }
  }
}

}  // namespace SLM_SIMD_ISA_NS
}  // namespace slm::kernels::simd
