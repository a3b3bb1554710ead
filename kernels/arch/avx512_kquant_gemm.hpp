#pragma once
// Q4_K, Q5_K and Q6_K x Q8_K for batches of 16 or more rows (prefill), AVX512-VNNI, GEMM-style
// (included by table_avx512.cpp only).
//
// avx512_q4k.hpp dots one weight block with one activation row at a time, so every 4 vpdpbusd
// need 2 vpdpwssd for the sub-block scales and a convert: port 0 does 7 operations per 256 MACs
// of useful work. Here the roles of the lanes change: one zmm holds 4 consecutive activation
// bytes of 16 different batch rows, and vpdpbusd multiplies it by 4 weight bytes broadcast to
// every lane. A lane then accumulates a whole 32-element sub-block of one batch row, and the
// sub-block scale is applied once per 8 vpdpbusd (convert + FMA), not once per 2.
//
// Tiling: rows in chunks of kGRows; the batch in groups of 32 rows (two zmm of lanes); the row
// length in segments of kGSeg blocks, for which the group's activations are repacked into a
// stack scratch ([block][word][lane group] zmm, plus d_a and the bsum terms per lane); then 4
// weight rows x 32 batch rows of accumulators stay in registers over a segment's blocks.
// Accumulators survive between segments in acc_store.

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/formats/q4_k.hpp"
#include "kernels/formats/q5_k.hpp"
#include "kernels/formats/q6_k.hpp"
#include "kernels/formats/q8_k.hpp"
#include "kernels/kernels.hpp"

namespace slm::kernels::arch::avx512 {

inline constexpr std::int64_t kGRows = 256;  // weight rows per chunk (amortizes gemm_prepare)
inline constexpr std::int64_t kGSeg = 8;     // blocks per segment (2048 elements)
inline constexpr int kGT = 2;                // zmm lane groups per batch group
inline constexpr int kGLanes = 16 * kGT;     // batch rows per group
inline constexpr int kGR = 4;                // weight rows per register tile

struct GemmScratch {
  __m512i a[kGSeg][64][kGT];  // [block][word w = elements 4w..4w+3][lane group]
  __m512 da[kGSeg][kGT];      // d_a per lane
  __m512 ms[kGSeg][16][kGT];  // d_a * (sum of the activations of sub-block s) per lane
};

// Repacks activation rows [b0, b0 + nt) (nt <= 32; missing lanes are zero) for blocks [ib0, ib1).
// kSub = sub-blocks per 256 (8 of 32 elements for Q4_K, 16 of 16 for Q6_K) for the sums.
template <int kSub>
inline void gemm_prepare(const unsigned char* x, std::size_t act_row, std::int64_t b0, int nt, std::int64_t ib0,
                         std::int64_t ib1, GemmScratch& s) {
  if (nt < kGLanes || ib1 - ib0 < kGSeg) std::memset(static_cast<void*>(&s), 0, sizeof(GemmScratch));  // unused lanes = 0
  for (int l = 0; l < nt; ++l) {
    const auto* a = reinterpret_cast<const formats::BlockQ8_K*>(x + static_cast<std::size_t>(b0 + l) * act_row);
    const int t = l / 16, lane = l % 16;
    for (std::int64_t ib = ib0; ib < ib1; ++ib) {
      const auto bl = static_cast<std::size_t>(ib - ib0);
      const auto* words = reinterpret_cast<const std::int32_t*>(a[ib].qs);
      for (int w = 0; w < 64; ++w) reinterpret_cast<std::int32_t*>(&s.a[bl][w][t])[lane] = words[w];
      reinterpret_cast<float*>(&s.da[bl][t])[lane] = a[ib].d;
      for (int sb = 0; sb < kSub; ++sb) {
        const int sum = kSub == 8 ? a[ib].bsums[2 * sb] + a[ib].bsums[2 * sb + 1] : a[ib].bsums[sb];
        reinterpret_cast<float*>(&s.ms[bl][sb][t])[lane] = a[ib].d * static_cast<float>(sum);
      }
    }
  }
}

// One weight block for the GEMM: unsigned values u in element order and, per sub-block s, the
// factor of its integer dot (dsc) and of the activation sum it subtracts (dm):
//   block . a = d_a * sum_s dsc_s * (u . a)_s - sum_s dm_s * (d_a * sum_s(a))
struct GemmWeights {
  alignas(64) std::uint8_t q[256];
  float dsc[16];
  float dm[16];
};

// Q4_K / Q5_K scales and minimums: dsc = d * sc_s, dm = dmin * m_s (8 sub-blocks of 32). The
// 6-bit fields (layout in q4_k.hpp) are taken apart four at a time in 32-bit words and converted
// with one 512-bit operation: a scalar loop over the 8 sub-blocks, run for every weight block and
// batch group, made this kernel 12% slower on Zen 4 (docs/kernels.md, "Session 10").
inline void gemm_k_scales(const std::uint8_t* scales, float d, float dmin, GemmWeights& g) noexcept {
  std::uint32_t w[3];
  std::memcpy(w, scales, sizeof w);
  const std::uint32_t lo6 = 0x3f3f3f3fu, lo4 = 0x0f0f0f0fu, lo2 = 0x03030303u;
  const __m128i bytes = _mm_setr_epi32(static_cast<int>(w[0] & lo6),                                      // sc[0..3]
                                       static_cast<int>((w[2] & lo4) | (((w[0] >> 6) & lo2) << 4)),         // sc[4..7]
                                       static_cast<int>(w[1] & lo6),                                      // m[0..3]
                                       static_cast<int>(((w[2] >> 4) & lo4) | (((w[1] >> 6) & lo2) << 4)));  // m[4..7]
  const __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(bytes)),
                                 _mm512_insertf32x8(_mm512_set1_ps(d), _mm256_set1_ps(dmin), 1));
  _mm256_storeu_ps(g.dsc, _mm512_castps512_ps256(f));
  _mm256_storeu_ps(g.dm, _mm512_extractf32x8_ps(f, 1));
}

// Q4_K: u = the 4-bit q.
inline void gemm_unpack(const formats::BlockQ4_K& b, GemmWeights& g) noexcept {
  const __m256i m4 = _mm256_set1_epi8(0x0f);
  for (int c = 0; c < 4; ++c) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * c));
    _mm256_store_si256(reinterpret_cast<__m256i*>(g.q + 64 * c), _mm256_and_si256(x, m4));
    _mm256_store_si256(reinterpret_cast<__m256i*>(g.q + 64 * c + 32), _mm256_and_si256(_mm256_srli_epi16(x, 4), m4));
  }
  gemm_k_scales(b.scales, _cvtsh_ss(b.d), _cvtsh_ss(b.dmin), g);
}

// Q5_K: u = the 4-bit q plus 16 * its high bit (bit 2c / 2c+1 of qh[l] for chunk c).
inline void gemm_unpack(const formats::BlockQ5_K& b, GemmWeights& g) noexcept {
  const __m256i m4 = _mm256_set1_epi8(0x0f), one = _mm256_set1_epi8(1);
  const __m256i hb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh));
  for (int c = 0; c < 4; ++c) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * c));
    const __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2 * c), one), 4);
    const __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2 * c + 1), one), 4);
    _mm256_store_si256(reinterpret_cast<__m256i*>(g.q + 64 * c), _mm256_or_si256(_mm256_and_si256(x, m4), h0));
    _mm256_store_si256(reinterpret_cast<__m256i*>(g.q + 64 * c + 32),
                       _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(x, 4), m4), h1));
  }
  gemm_k_scales(b.scales, _cvtsh_ss(b.d), _cvtsh_ss(b.dmin), g);
}

// Q6_K: u = 6-bit q (value q - 32), dsc = d * sc_s, dm = 32 * d * sc_s (16 sub-blocks of 16).
inline void gemm_unpack(const formats::BlockQ6_K& b, GemmWeights& g) noexcept {
  const __m256i m4 = _mm256_set1_epi8(0x0f), m2 = _mm256_set1_epi8(0x03);
  for (int h = 0; h < 2; ++h) {
    const __m256i la = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.ql + 64 * h));
    const __m256i lb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.ql + 64 * h + 32));
    const __m256i hq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh + 32 * h));
    const auto high = [&](int shift) { return _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hq, shift), m2), 4); };
    auto* q = reinterpret_cast<__m256i*>(g.q + 128 * h);
    _mm256_store_si256(q + 0, _mm256_or_si256(_mm256_and_si256(la, m4), high(0)));
    _mm256_store_si256(q + 1, _mm256_or_si256(_mm256_and_si256(lb, m4), high(2)));
    _mm256_store_si256(q + 2, _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(la, 4), m4), high(4)));
    _mm256_store_si256(q + 3, _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(lb, 4), m4), high(6)));
  }
  const __m512 dsc = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)))),
                                   _mm512_set1_ps(_cvtsh_ss(b.d)));
  _mm512_storeu_ps(g.dsc, dsc);
  _mm512_storeu_ps(g.dm, _mm512_mul_ps(dsc, _mm512_set1_ps(32.0f)));
}

// R weight rows starting at row r, blocks [ib0, ib1) of the segment; acc[R][kGT] in/out.
template <class WB, int kSub, int R>
inline void gemm_rows(const Matrix& w, std::int64_t r, std::int64_t ib0, std::int64_t ib1, const GemmScratch& s,
                      __m512* acc /* [R][kGT] */) {
  constexpr int kWords = 64 / kSub;  // 4-byte words per sub-block
  __m512 ac[R][kGT];
  for (int i = 0; i < R; ++i)
    for (int t = 0; t < kGT; ++t) ac[i][t] = acc[kGT * i + t];
  GemmWeights g[R];
  for (std::int64_t ib = ib0; ib < ib1; ++ib) {
    const auto bl = static_cast<std::size_t>(ib - ib0);
    for (int i = 0; i < R; ++i)
      gemm_unpack(reinterpret_cast<const WB*>(static_cast<const unsigned char*>(w.data) + (r + i) * w.row_stride)[ib],
                  g[i]);
    __m512 blk[R][kGT];
    for (int i = 0; i < R; ++i)
      for (int t = 0; t < kGT; ++t) blk[i][t] = _mm512_setzero_ps();
    for (int sb = 0; sb < kSub; ++sb) {
      __m512i p[R][kGT];
      for (int i = 0; i < R; ++i)
        for (int t = 0; t < kGT; ++t) p[i][t] = _mm512_setzero_si512();
      for (int kk = 0; kk < kWords; ++kk) {
        const int wi = kWords * sb + kk;
        __m512i av[kGT];
        for (int t = 0; t < kGT; ++t) av[t] = s.a[bl][wi][t];
        for (int i = 0; i < R; ++i) {
          std::int32_t wv;
          std::memcpy(&wv, g[i].q + 4 * wi, 4);
          const __m512i wb = _mm512_set1_epi32(wv);
          for (int t = 0; t < kGT; ++t) p[i][t] = _mm512_dpbusd_epi32(p[i][t], wb, av[t]);
        }
      }
      for (int i = 0; i < R; ++i) {
        const __m512 f = _mm512_set1_ps(g[i].dsc[sb]);
        for (int t = 0; t < kGT; ++t) blk[i][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p[i][t]), f, blk[i][t]);
      }
    }
    for (int i = 0; i < R; ++i)
      for (int t = 0; t < kGT; ++t) {
        __m512 v = _mm512_fmadd_ps(blk[i][t], s.da[bl][t], ac[i][t]);
        for (int sb = 0; sb < kSub; ++sb) v = _mm512_fnmadd_ps(_mm512_set1_ps(g[i].dm[sb]), s.ms[bl][sb][t], v);
        ac[i][t] = v;
      }
  }
  for (int i = 0; i < R; ++i)
    for (int t = 0; t < kGT; ++t) acc[kGT * i + t] = ac[i][t];
}

// Writes the accumulators of rows [rc, re) (acc_store[row - rc][kGT], lane = batch row - b0) to
// y for batch rows [b0, b0 + nt). Shared with avx512_q32_gemm.hpp. 16 rows at a time go through
// an L1 buffer and a gather, so that each batch row gets one 16-float store: scalar stores down a
// column of y (stride ldy, usually a multiple of 1 KiB) all fall into the same L1 set and missed
// at every store (at k = 640 they took ~45% of the kernel's time).
inline void gemm_store(const __m512* acc_store, std::int64_t rc, std::int64_t re, std::int64_t b0, int nt, float* y,
                       std::int64_t ldy) {
  const __m512i row_idx = _mm512_mullo_epi32(
      _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi32(kGLanes));
  for (std::int64_t r = rc; r < re; r += 16) {
    const int nr = static_cast<int>(re - r < 16 ? re - r : 16);
    const auto m = static_cast<__mmask16>((1u << nr) - 1);
    alignas(64) float rows[16][kGLanes];  // [row][lane]
    for (int i = 0; i < nr; ++i)
      for (int t = 0; t < kGT; ++t) _mm512_store_ps(rows[i] + 16 * t, acc_store[kGT * (r - rc + i) + t]);
    for (int l = 0; l < nt; ++l) {
      const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, _mm512_add_epi32(row_idx, _mm512_set1_epi32(l)),
                                                &rows[0][0], 4);
      _mm512_mask_storeu_ps(y + (b0 + l) * ldy + r, m, v);
    }
  }
}

// Needs batch >= 1; meant for batch >= 16. GemmScratch is ~41 KiB and acc_store 16 KiB of stack.
// WB = BlockQ4_K / BlockQ5_K (kSub 8) or BlockQ6_K (kSub 16).
template <class WB, int kSub>
inline void matmul_k_gemm(const Matrix& w, const void* xq, std::int64_t batch, float* y, std::int64_t ldy,
                            std::int64_t r0, std::int64_t r1) {
  const std::int64_t nb = w.k / 256;
  const std::size_t act_row = static_cast<std::size_t>(nb) * sizeof(formats::BlockQ8_K);
  const auto* x = static_cast<const unsigned char*>(xq);
  alignas(64) GemmScratch scratch;
  alignas(64) __m512 acc_store[kGRows * kGT];
  for (std::int64_t rc = r0; rc < r1; rc += kGRows) {
    const std::int64_t re = r1 - rc < kGRows ? r1 : rc + kGRows;
    for (std::int64_t b0 = 0; b0 < batch; b0 += kGLanes) {
      const int nt = static_cast<int>(batch - b0 < kGLanes ? batch - b0 : kGLanes);
      for (auto& a : acc_store) a = _mm512_setzero_ps();
      for (std::int64_t ib0 = 0; ib0 < nb; ib0 += kGSeg) {
        const std::int64_t ib1 = nb - ib0 < kGSeg ? nb : ib0 + kGSeg;
        gemm_prepare<kSub>(x, act_row, b0, nt, ib0, ib1, scratch);
        std::int64_t r = rc;
        for (; r + kGR <= re; r += kGR) gemm_rows<WB, kSub, kGR>(w, r, ib0, ib1, scratch, acc_store + kGT * (r - rc));
        for (; r < re; ++r) gemm_rows<WB, kSub, 1>(w, r, ib0, ib1, scratch, acc_store + kGT * (r - rc));
      }
      gemm_store(acc_store, rc, re, b0, nt, y, ldy);
    }
  }
}

}  // namespace slm::kernels::arch::avx512
