#pragma once
// Q6_K x Q8_K on 512-bit AVX512-VNNI for batches below 16 (decode), included by
// table_avx512.cpp only. The shared 256-bit kernel spent ~90 instructions per block (two
// instructions per 6-bit value pair, a per-16-element scale vector built from scalars); here:
//
// One 64-element chunk is one zmm of unsigned 6-bit values (q, 0..63) matching 64 contiguous
// activation bytes. A block half (128 elements) is one zmm of ql (low nibbles = elements 0-63,
// high nibbles = 64-127) and 32 bytes of qh broadcast to both halves of a zmm, whose 2-bit
// fields are moved to bits 4-5 by one variable 64-bit shift per chunk (lower 256 bits one
// amount, upper 256 bits another), so a chunk costs 4 ALU operations. A chunk is then one
// vpdpbusd; each lane's sum of 4 products q a <= 4 * 63 * 127 fits int16, so two chunks are
// packed (vpackssdw) and multiplied by their 16-element sub-block scales with one vpdpwssd (as
// avx512_q4k.hpp does with Q4_K's 32-element ones). The -32 offset of the values goes through
// the Q8_K bsums: sum_s 32 sc_s bsum_s, one vpmaddwd per block and activation row.
//
// A weight block is unpacked once and dotted with up to 8 activation rows.

#include <immintrin.h>

#include <cstdint>

#include "kernels/arch/avx512_q4k.hpp"
#include "kernels/formats/q6_k.hpp"
#include "kernels/formats/q8_k.hpp"
#include "kernels/kernels.hpp"
#include "kernels/simd/prefetch.hpp"

namespace slm::kernels::arch::avx512 {

struct Q6KUnpacked {
  __m512i q[4];      // chunk c: elements 64c..64c+63, unsigned
  __m512i s01, s23;  // int16 scales laid out like packs(P0, P1) and packs(P2, P3)
  __m256i sc16;      // the 16 scales as int16, to pair with the bsums
  float d;
};

inline Q6KUnpacked unpack_q6k(const formats::BlockQ6_K& b) noexcept {
  Q6KUnpacked u;
  const __m512i m4 = _mm512_set1_epi8(0x0f);
  const __m512i m_hi = _mm512_set1_epi8(0x30);
  // Within a half, element j < 32 of chunk 2h takes qh bits 0-1, j >= 32 bits 2-3; in chunk
  // 2h+1 bits 4-5 and 6-7 (layout in kernels/formats/q6_k.hpp): to bits 4-5 by these shifts.
  const __m512i shl_lo = _mm512_set_epi64(2, 2, 2, 2, 4, 4, 4, 4);
  const __m512i shr_hi = _mm512_set_epi64(2, 2, 2, 2, 0, 0, 0, 0);
  for (int h = 0; h < 2; ++h) {
    const __m512i l = _mm512_loadu_si512(b.ql + 64 * h);
    const __m512i hb = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh + 32 * h)));
    // (x & m4) | t in one vpternlogd (0xf8 = A | (B & C) with A = t).
    u.q[2 * h] = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_sllv_epi64(hb, shl_lo), m_hi), l, m4, 0xf8);
    u.q[2 * h + 1] = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srlv_epi64(hb, shr_hi), m_hi),
                                               _mm512_srli_epi16(l, 4), m4, 0xf8);
  }
  u.sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)));
  // 128-bit lane L of packs(Pa, Pb): 4 words of Pa's lanes 4L.. (sub-block 4a + L), then 4 of
  // Pb's (sub-block 4b + L).
  const __m512i idx01 = _mm512_set_epi16(7, 7, 7, 7, 3, 3, 3, 3, 6, 6, 6, 6, 2, 2, 2, 2,  //
                                         5, 5, 5, 5, 1, 1, 1, 1, 4, 4, 4, 4, 0, 0, 0, 0);
  const __m512i sc = _mm512_castsi256_si512(u.sc16);
  u.s01 = _mm512_permutexvar_epi16(idx01, sc);
  u.s23 = _mm512_permutexvar_epi16(_mm512_add_epi16(idx01, _mm512_set1_epi16(8)), sc);
  u.d = _cvtsh_ss(b.d);
  return u;
}

inline void dot_q6k(const Q6KUnpacked& u, const formats::BlockQ8_K& a, __m512& acc) noexcept {
  __m512i sumi = scaled_block_dot(u.q, u.s01, u.s23, a.qs);
  // Only the total over the lanes matters, so the offset goes into the lower 8.
  const __m256i off = _mm256_slli_epi32(_mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bsums)), u.sc16), 5);
  sumi = _mm512_sub_epi32(sumi, _mm512_zextsi256_si512(off));
  acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sumi), _mm512_set1_ps(u.d * a.d), acc);
}

template <int N>
void q6k_tile(const Matrix& w, const unsigned char* xq, std::size_t act_row, float* y, std::int64_t ldy,
              std::int64_t r0, std::int64_t r1) {
  const std::int64_t nb = w.k / 256;
  const formats::BlockQ8_K* a[N];
  for (int j = 0; j < N; ++j) a[j] = reinterpret_cast<const formats::BlockQ8_K*>(xq + static_cast<std::size_t>(j) * act_row);
  const bool prefetching = N <= 2 && stream_prefetch();
  for (std::int64_t r = r0; r < r1; ++r) {
    const auto* wr = reinterpret_cast<const formats::BlockQ6_K*>(static_cast<const unsigned char*>(w.data) + r * w.row_stride);
    __m512 acc[N];
    for (int j = 0; j < N; ++j) acc[j] = _mm512_setzero_ps();
    // Matrix-vector products stream the weights from DRAM (kernels/simd/prefetch.hpp).
    const bool prefetch = simd::prefetch_inside(prefetching, r, w.n_rows, w.row_stride);
    simd::LinePrefetch pf(wr);
    for (std::int64_t ib = 0; ib < nb; ++ib) {
      if (prefetch) pf.advance(wr + ib + 1);
      const Q6KUnpacked u = unpack_q6k(wr[ib]);
      for (int j = 0; j < N; ++j) dot_q6k(u, a[j][ib], acc[j]);
    }
    for (int j = 0; j < N; ++j) y[j * ldy + r] = hsum512(acc[j]);
  }
}

// Rows in chunks of 16 (their weights stay in L1/L2 across the batch tiles), batch in tiles of 8.
inline void matmul_q6k(const Matrix& w, const void* xq, std::int64_t batch, float* y, std::int64_t ldy,
                       std::int64_t r0, std::int64_t r1) {
  constexpr std::int64_t kRows = 16;
  constexpr std::int64_t kTile = 8;
  const std::size_t act_row = static_cast<std::size_t>(w.k / 256) * sizeof(formats::BlockQ8_K);
  const auto* x = static_cast<const unsigned char*>(xq);
  for (std::int64_t rc = r0; rc < r1; rc += kRows) {
    const std::int64_t re = r1 - rc < kRows ? r1 : rc + kRows;
    for (std::int64_t b0 = 0; b0 < batch; b0 += kTile) {
      const unsigned char* xb = x + static_cast<std::size_t>(b0) * act_row;
      float* yb = y + b0 * ldy;
      with_tile_rows(batch - b0, [&](auto n) { q6k_tile<decltype(n)::value>(w, xb, act_row, yb, ldy, rc, re); });
    }
  }
}

}  // namespace slm::kernels::arch::avx512
