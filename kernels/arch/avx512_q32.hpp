#pragma once
// The 32-element formats (Q8_0, Q4_0, Q5_0 x Q8_0; Q4_1 x Q8_1) on 512-bit AVX512-VNNI
// (included by table_avx512.cpp only). Two consecutive blocks form one zmm, so one vpdpbusd
// covers 64 weights of one activation row.
//
// vpdpbusd multiplies unsigned by signed bytes. AVX-512 has no vpsignb for the sign trick, so
// the weights are made unsigned with an offset instead: u = w + off (Q8_0: 128, Q4_0: 8, Q5_0:
// 16, Q4_1: its stored nibbles) and sum(w a) = sum(u a) - off * sum(a). Everything that depends
// only on an activation block is computed once per tile of activation rows and segment of the
// row, into a stack scratch area, and then reused by every weight row of the chunk:
//   A  the two blocks' int8 values, contiguous (one aligned zmm load)
//   DA d_a of each block in its 8 lanes
//   E  the offset term in lane 0 / lane 8 of each block: -off * d_a * sum(a) (Q8_0 family), or
//      the Q8_1 sum s = d_a * sum(a) (Q4_1, multiplied there by the weight minimum m)
// Per weight-block pair and activation row: 1 vpdpbusd, 1 convert, 2 FMA.

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/formats/q4_0.hpp"
#include "kernels/formats/q4_1.hpp"
#include "kernels/formats/q5_0.hpp"
#include "kernels/formats/q8_0.hpp"
#include "kernels/formats/q8_1.hpp"
#include "kernels/kernels.hpp"

namespace slm::kernels::arch::avx512 {

inline __m256i nibbles32_512(const std::uint8_t* qs) noexcept {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(x, 4), x), _mm256_set1_epi8(0x0f));
}

// The 16 nibble bytes of blocks a and b -> [elements 0-31 of a | elements 0-31 of b] (low
// nibbles are elements 0-15, high nibbles 16-31): one 128-bit insert, one lane shuffle, one
// variable shift, one AND for two blocks.
inline __m512i nibbles64_512(const std::uint8_t* qa, const std::uint8_t* qb) noexcept {
  const __m256i ab = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qa))),
                                             _mm_loadu_si128(reinterpret_cast<const __m128i*>(qb)), 1);
  const __m512i aabb = _mm512_shuffle_i64x2(_mm512_castsi256_si512(ab), _mm512_castsi256_si512(ab), _MM_SHUFFLE(1, 1, 0, 0));
  return _mm512_and_si512(_mm512_srlv_epi64(aabb, _mm512_setr_epi64(0, 0, 4, 4, 0, 0, 4, 4)), _mm512_set1_epi8(0x0f));
}

// Each policy: u(b) = one block's 32 unsigned weights (w + kOffset) in a ymm; pair(a, b) = the
// same for two blocks in one zmm (a first); m(b) = Q4_1's minimum.
struct PolQ8_0 {
  using WB = formats::BlockQ8_0;
  using AB = formats::BlockQ8_0;
  static constexpr int kOffset = 128;
  static constexpr bool kMin = false;
  static __m256i u(const WB& b) noexcept {
    return _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs)), _mm256_set1_epi8(-128));
  }
  static __m512i pair(const WB& a, const WB& b) noexcept {
    const __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs))),
                                         _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs)), 1);
    return _mm512_xor_si512(q, _mm512_set1_epi8(-128));
  }
  static float m(const WB&) noexcept { return 0.f; }
};
struct PolQ4_0 {
  using WB = formats::BlockQ4_0;
  using AB = formats::BlockQ8_0;
  static constexpr int kOffset = 8;
  static constexpr bool kMin = false;
  static __m256i u(const WB& b) noexcept { return nibbles32_512(b.qs); }
  static __m512i pair(const WB& a, const WB& b) noexcept { return nibbles64_512(a.qs, b.qs); }
  static float m(const WB&) noexcept { return 0.f; }
};
struct PolQ5_0 {
  using WB = formats::BlockQ5_0;
  using AB = formats::BlockQ8_0;
  static constexpr int kOffset = 16;
  static constexpr bool kMin = false;
  static __m256i u(const WB& b) noexcept {
    std::uint32_t qh;
    std::memcpy(&qh, b.qh, 4);
    const __m256i spread = _mm256_shuffle_epi8(
        _mm256_set1_epi32(static_cast<int>(qh)),
        _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0x0000000000000000));
    const __m256i sel = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
    const __m256i bit = _mm256_cmpeq_epi8(_mm256_and_si256(spread, sel), sel);
    return _mm256_or_si256(nibbles32_512(b.qs), _mm256_and_si256(bit, _mm256_set1_epi8(0x10)));
  }
  static __m512i pair(const WB& a, const WB& b) noexcept {
    std::uint32_t ha, hb;  // bit j = bit 4 of element j; nibbles <= 15, so adding 16 sets it
    std::memcpy(&ha, a.qh, 4);
    std::memcpy(&hb, b.qh, 4);
    const __m512i q = nibbles64_512(a.qs, b.qs);
    return _mm512_mask_add_epi8(q, _cvtu64_mask64(ha | static_cast<std::uint64_t>(hb) << 32), q, _mm512_set1_epi8(0x10));
  }
  static float m(const WB&) noexcept { return 0.f; }
};
struct PolQ4_1 {
  using WB = formats::BlockQ4_1;
  using AB = formats::BlockQ8_1;
  static constexpr int kOffset = 0;
  static constexpr bool kMin = true;
  static __m256i u(const WB& b) noexcept { return nibbles32_512(b.qs); }
  static __m512i pair(const WB& a, const WB& b) noexcept { return nibbles64_512(a.qs, b.qs); }
  static float m(const WB& b) noexcept { return _cvtsh_ss(b.m); }
};

struct PairScratch {  // one activation row, one pair of blocks
  __m512i a;
  __m512 da;
  __m512 e;
};

inline constexpr std::int64_t kQ32Rows = 64;    // weight rows per chunk (amortizes q32_prepare)
inline constexpr int kQ32Tile = 8;              // activation rows per tile
inline constexpr std::int64_t kQ32Pairs = 32;   // block pairs per segment (2048 elements)

inline __m512 lanes2(float lo, float hi) noexcept {
  return _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps(lo)), _mm256_set1_ps(hi), 1);
}

template <class P>
inline float act_e(const typename P::AB& a, float da) noexcept {
  if constexpr (P::kMin) {
    return _cvtsh_ss(a.s);
  } else {
    const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs));
    const __m256i s16 = _mm256_maddubs_epi16(_mm256_set1_epi8(1), q);
    const __m256i s32 = _mm256_madd_epi16(s16, _mm256_set1_epi16(1));
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(s32), _mm256_extracti128_si256(s32, 1));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0x4e));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, 0xb1));
    return -static_cast<float>(P::kOffset) * da * static_cast<float>(_mm_cvtsi128_si32(t));
  }
}

// Fills the scratch of pairs [p0, p1) for activation rows [0, nt) of the tile.
template <class P>
void q32_prepare(const unsigned char* xb, std::size_t act_row, std::int64_t nb, int nt, std::int64_t p0,
                 std::int64_t p1, PairScratch* s) {
  for (int j = 0; j < nt; ++j) {
    const auto* a = reinterpret_cast<const typename P::AB*>(xb + static_cast<std::size_t>(j) * act_row);
    for (std::int64_t p = p0; p < p1; ++p) {
      PairScratch& ps = s[(p - p0) * kQ32Tile + j];
      const std::int64_t b0 = 2 * p, b1 = 2 * p + 1;
      const float da0 = _cvtsh_ss(a[b0].d);
      const __m256i q0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[b0].qs));
      float da1 = 0.f, e1 = 0.f;
      __m256i q1 = _mm256_setzero_si256();
      if (b1 < nb) {
        da1 = _cvtsh_ss(a[b1].d);
        q1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a[b1].qs));
        e1 = act_e<P>(a[b1], da1);
      }
      ps.a = _mm512_inserti64x4(_mm512_castsi256_si512(q0), q1, 1);
      ps.da = lanes2(da0, da1);
      ps.e = _mm512_maskz_mov_ps(0x0101, lanes2(act_e<P>(a[b0], da0), e1));
    }
  }
}

template <class P, int N>
void q32_rows(const Matrix& w, const PairScratch* s, std::int64_t nb, std::int64_t p0, std::int64_t p1,
              std::int64_t r0, std::int64_t r1, __m512* acc_store) {
  using WB = typename P::WB;
  for (std::int64_t r = r0; r < r1; ++r) {
    const auto* wr = reinterpret_cast<const WB*>(static_cast<const unsigned char*>(w.data) + r * w.row_stride);
    __m512* st = acc_store + (r - r0) * kQ32Tile;
    __m512 acc[N];
    for (int j = 0; j < N; ++j) acc[j] = st[j];
    // Matrix-vector: stream the weights from DRAM with a prefetch 4 rows ahead.
    const auto* ahead = reinterpret_cast<const char*>(wr) + 4 * w.row_stride;
    const bool prefetch = N <= 2 && r + 4 < w.n_rows;
    for (std::int64_t p = p0; p < p1; ++p) {
      const std::int64_t b0 = 2 * p, b1 = 2 * p + 1;
      const bool two = b1 < nb;
      if (prefetch) _mm_prefetch(ahead + static_cast<std::size_t>(b0) * sizeof(WB), _MM_HINT_T0);
      if (prefetch) _mm_prefetch(ahead + static_cast<std::size_t>(b0) * sizeof(WB) + 63, _MM_HINT_T0);
      const __m512i u = _mm512_inserti64x4(_mm512_castsi256_si512(P::u(wr[b0])),
                                           two ? P::u(wr[b1]) : _mm256_setzero_si256(), 1);
      const __m512 dw = lanes2(_cvtsh_ss(wr[b0].d), two ? _cvtsh_ss(wr[b1].d) : 0.f);
      __m512 mw = _mm512_setzero_ps();
      if constexpr (P::kMin) mw = lanes2(P::m(wr[b0]), two ? P::m(wr[b1]) : 0.f);
      const PairScratch* sp = s + (p - p0) * kQ32Tile;
      for (int j = 0; j < N; ++j) {
        const __m512 dot = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(_mm512_setzero_si512(), u, sp[j].a));
        if constexpr (P::kMin) {
          acc[j] = _mm512_fmadd_ps(_mm512_mul_ps(dot, sp[j].da), dw, acc[j]);
          acc[j] = _mm512_fmadd_ps(sp[j].e, mw, acc[j]);
        } else {
          acc[j] = _mm512_fmadd_ps(_mm512_fmadd_ps(dot, sp[j].da, sp[j].e), dw, acc[j]);
        }
      }
    }
    for (int j = 0; j < N; ++j) st[j] = acc[j];
  }
}

template <class P>
void matmul_q32(const Matrix& w, const void* xq, std::int64_t batch, float* y, std::int64_t ldy, std::int64_t r0,
                std::int64_t r1) {
  const std::int64_t nb = w.k / 32;
  const std::int64_t np = (nb + 1) / 2;
  const std::size_t act_row = static_cast<std::size_t>(nb) * sizeof(typename P::AB);
  const auto* x = static_cast<const unsigned char*>(xq);
  alignas(64) PairScratch scratch[kQ32Pairs * kQ32Tile];
  alignas(64) __m512 acc_store[kQ32Rows * kQ32Tile];
  for (std::int64_t rc = r0; rc < r1; rc += kQ32Rows) {
    const std::int64_t re = r1 - rc < kQ32Rows ? r1 : rc + kQ32Rows;
    for (std::int64_t b0 = 0; b0 < batch; b0 += kQ32Tile) {
      const unsigned char* xb = x + static_cast<std::size_t>(b0) * act_row;
      const int nt = static_cast<int>(batch - b0 < kQ32Tile ? batch - b0 : kQ32Tile);
      for (auto& a : acc_store) a = _mm512_setzero_ps();
      for (std::int64_t p0 = 0; p0 < np; p0 += kQ32Pairs) {
        const std::int64_t p1 = np - p0 < kQ32Pairs ? np : p0 + kQ32Pairs;
        q32_prepare<P>(xb, act_row, nb, nt, p0, p1, scratch);
        switch (nt) {
          case 1: q32_rows<P, 1>(w, scratch, nb, p0, p1, rc, re, acc_store); break;
          case 2: q32_rows<P, 2>(w, scratch, nb, p0, p1, rc, re, acc_store); break;
          case 3: q32_rows<P, 3>(w, scratch, nb, p0, p1, rc, re, acc_store); break;
          case 4: q32_rows<P, 4>(w, scratch, nb, p0, p1, rc, re, acc_store); break;
          case 5: q32_rows<P, 5>(w, scratch, nb, p0, p1, rc, re, acc_store); break;
          case 6: q32_rows<P, 6>(w, scratch, nb, p0, p1, rc, re, acc_store); break;
          case 7: q32_rows<P, 7>(w, scratch, nb, p0, p1, rc, re, acc_store); break;
          default: q32_rows<P, 8>(w, scratch, nb, p0, p1, rc, re, acc_store); break;
        }
      }
      for (std::int64_t r = rc; r < re; ++r)
        for (int j = 0; j < nt; ++j) y[(b0 + j) * ldy + r] = _mm512_reduce_add_ps(acc_store[(r - rc) * kQ32Tile + j]);
    }
  }
}

}  // namespace slm::kernels::arch::avx512
