#pragma once
// Matrix-vector products (batch 1) of the 32-element formats (Q8_0, Q4_0, Q5_0 x Q8_0; Q4_1 x
// Q8_1) on 512-bit AVX512-VNNI, with the per-block float arithmetic done 16 blocks at a time
// (included by table_avx512.cpp only; the weight policies are avx512_q32.hpp's).
//
// A 32-element block carries its own scale, so a per-block kernel spends most of its
// instructions on the block's float terms (convert two fp16 scales, broadcast, FMA), not on the
// dot product: the 256-bit path ran Q4_1 at ~10 GB/s and Q5_0 at ~12 GB/s from L3, compute-bound.
// Here one lane is one block:
//   1. two blocks per zmm (policy-unsigned weights u = w + off), one vpdpbusd each with the
//      activation pair: 8 zmm of partial sums for 16 blocks, 8 lanes per block;
//   2. a 3-level vpermt2d tree adds each block's 8 lanes, leaving lane i = block i's sum(u a);
//   3. one gather fetches the 16 blocks' first 32-bit words (d, and Q4_1's m), and
//      y += d_w * d_a * (sum(u a) - off * sum(a))  [+ m_w * s_a]  for 16 blocks in 3 vector ops.
// Everything that depends only on the activations (contiguous int8 pairs, d_a, off * sum(a) or
// s_a) is prepared once per call on the stack, zero-padded to whole groups of 16 blocks, so a
// partial last group needs no special arithmetic: its missing blocks are neither loaded nor
// gathered (masked), and contribute zeros.

#include <immintrin.h>

#include <cstdint>

#include "kernels/arch/avx512_q32.hpp"
#include "kernels/arch/avx512_q4k.hpp"
#include "kernels/kernels.hpp"
#include "kernels/simd/prefetch.hpp"

namespace slm::kernels::arch::avx512 {

// Row lengths up to kMvMaxBlocks * 32 take this path (the activation scratch is on the stack).
inline constexpr std::int64_t kMvMaxBlocks = 1024;

// The activation side, one slot per block, groups of 16 blocks.
struct MvScratch {
  alignas(64) std::int8_t q[kMvMaxBlocks * 32];  // block i's 32 values at 32 i
  alignas(64) float da[kMvMaxBlocks];            // d_a
  alignas(64) std::int32_t off_sum[kMvMaxBlocks];  // off * sum(a) (Q8_0 family)
  alignas(64) float sa[kMvMaxBlocks];            // Q8_1's s = d_a * sum(a) (Q4_1)
};

// Adds the 8 lanes of each block: p[j] holds blocks 2j (lanes 0-7) and 2j+1 (lanes 8-15);
// the result has block i's sum in lane i.
inline __m512i block_sums16(const __m512i (&p)[8]) noexcept {
  const __m512i a1 = _mm512_setr_epi32(0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
  const __m512i b1 = _mm512_setr_epi32(4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
  const __m512i a2 = _mm512_setr_epi32(0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29);
  const __m512i b2 = _mm512_setr_epi32(2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31);
  const __m512i a3 = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i b3 = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  auto fold = [](__m512i x, __m512i y, __m512i ia, __m512i ib) {
    return _mm512_add_epi32(_mm512_permutex2var_epi32(x, ia, y), _mm512_permutex2var_epi32(x, ib, y));
  };
  const __m512i q0 = fold(p[0], p[1], a1, b1), q1 = fold(p[2], p[3], a1, b1);  // 4 lanes per block
  const __m512i q2 = fold(p[4], p[5], a1, b1), q3 = fold(p[6], p[7], a1, b1);
  const __m512i r0 = fold(q0, q1, a2, b2), r1 = fold(q2, q3, a2, b2);  // 2 lanes per block
  return fold(r0, r1, a3, b3);
}

template <class P>
void prepare_matvec_activations(const typename P::AB* a, std::int64_t nb, MvScratch& s) noexcept {
  const std::int64_t padded = (nb + 15) / 16 * 16;
  const __m256i ones = _mm256_set1_epi8(1);
  for (std::int64_t i = 0; i < padded; ++i) {
    __m256i q = _mm256_setzero_si256();
    float da = 0.f, sa = 0.f;
    std::int32_t off_sum = 0;
    if (i < nb) {
      q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[i].qs));
      da = _cvtsh_ss(a[i].d);
      if constexpr (P::kMin) {
        sa = _cvtsh_ss(a[i].s);
      } else {
        const __m256i s8 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), ones, q);  // 1 x a, 4 per lane
        const __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s8), _mm256_extracti128_si256(s8, 1));
        const __m128i s2 = _mm_add_epi32(s4, _mm_unpackhi_epi64(s4, s4));
        off_sum = P::kOffset * (_mm_cvtsi128_si32(s2) + _mm_extract_epi32(s2, 1));
      }
    }
    _mm256_store_si256(reinterpret_cast<__m256i*>(s.q + 32 * i), q);
    s.da[i] = da;
    s.off_sum[i] = off_sum;
    s.sa[i] = sa;
  }
}

template <class P>
void matvec_q32(const Matrix& w, const void* xq, float* y, std::int64_t r0, std::int64_t r1) {
  using WB = typename P::WB;
  const std::int64_t nb = w.k / 32;
  MvScratch s;
  prepare_matvec_activations<P>(static_cast<const typename P::AB*>(xq), nb, s);
  // Byte offsets of 16 consecutive blocks, for the gather of their first 32-bit words.
  const __m512i block_offsets = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                                   _mm512_set1_epi32(static_cast<int>(sizeof(WB))));
  const bool prefetching = stream_prefetch();
  for (std::int64_t r = r0; r < r1; ++r) {
    const auto* wr = reinterpret_cast<const WB*>(static_cast<const unsigned char*>(w.data) + r * w.row_stride);
    const bool prefetch = simd::prefetch_inside(prefetching, r, w.n_rows, w.row_stride);  // weights stream from DRAM here
    simd::LinePrefetch pf(wr);
    __m512 acc = _mm512_setzero_ps();
    for (std::int64_t g = 0; g < nb; g += 16) {
      const std::int64_t n = nb - g < 16 ? nb - g : 16;
      const WB* b = wr + g;
      if (prefetch) pf.advance(b + 16);
      __m512i p[8];
      for (int j = 0; j < 8; ++j) {
        const std::int64_t i = 2 * j;
        if (i < n) {  // a lone last block is paired with itself: the other half's activations are zero
          const __m512i u = P::pair(b[i], b[i + 1 < n ? i + 1 : i]);
          p[j] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, _mm512_load_si512(s.q + 32 * (g + i)));
        } else {
          p[j] = _mm512_setzero_si512();
        }
      }
      const __mmask16 live = static_cast<__mmask16>((1u << n) - 1);
      const __m512i words = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), live, block_offsets, b, 1);
      const __m512 dw = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(words));
      const __m512 da = _mm512_load_ps(s.da + g);
      if constexpr (P::kMin) {
        const __m512 dot = _mm512_cvtepi32_ps(block_sums16(p));
        const __m512 mw = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(words, 16)));
        acc = _mm512_fmadd_ps(_mm512_mul_ps(dot, da), dw, acc);
        acc = _mm512_fmadd_ps(mw, _mm512_load_ps(s.sa + g), acc);
      } else {
        const __m512i dot = _mm512_sub_epi32(block_sums16(p), _mm512_load_si512(s.off_sum + g));
        acc = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(dot), da), dw, acc);
      }
    }
    y[r] = hsum512(acc);
  }
}

}  // namespace slm::kernels::arch::avx512
