#pragma once
// The 32-element formats (Q8_0, Q4_0, Q5_0 x Q8_0; Q4_1 x Q8_1) for batches of 16 or more rows
// (prefill), AVX512-VNNI, GEMM-style (included by table_avx512.cpp only).
//
// avx512_q32.hpp puts two weight blocks side by side in one zmm, so every vpdpbusd (64 MACs)
// needs its own convert and two FMAs for the per-block scales: 4 operations per 64 MACs. Here,
// as in avx512_kquant_gemm.hpp, the lanes are batch rows: one zmm holds 4 consecutive
// activation bytes of 16 batch rows, multiplied by 4 weight bytes broadcast from memory, and a
// lane accumulates one whole 32-element block in 8 vpdpbusd before the block's scales are
// applied (1 convert + 2 FMAs, Q4_1 3). The weights are made unsigned by the offsets of
// avx512_q32.hpp's policies (u = w + off); the activation-only terms (d_a and -off * d_a *
// sum(a), or Q8_1's s) are per lane, in the repacked activations:
//   Q8_0 family: y += d_w * (d_a * (u . a) + e),  e = -off * d_a * sum(a)
//   Q4_1:        y += d_w * (d_a * (u . a)) + m_w * s
//
// Tiling: rows in chunks of kQGRows; the batch in groups of 32 rows (two zmm of lanes); the row
// length in segments of kQGSeg blocks, for which the group's activations are repacked into a
// stack scratch; then 4 weight rows x 32 batch rows of accumulators stay in registers over the
// segment. Accumulators survive between segments in acc_store.

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/arch/avx512_kquant_gemm.hpp"
#include "kernels/arch/avx512_q32.hpp"
#include "kernels/kernels.hpp"

namespace slm::kernels::arch::avx512 {

inline constexpr std::int64_t kQGRows = 256;  // weight rows per chunk (amortizes the repack)
inline constexpr std::int64_t kQGSeg = 64;    // blocks per segment (2048 elements)
inline constexpr int kQGR = 4;                // weight rows per register tile

struct Q32GemmScratch {
  alignas(64) std::int32_t a[kQGSeg][8][kGLanes];  // [block][word w = elements 4w..4w+3][lane]
  alignas(64) float da[kQGSeg][kGLanes];           // d_a per lane
  alignas(64) float e[kQGSeg][kGLanes];            // -off * d_a * sum(a), or Q8_1's s
};

// Repacks activation rows [b0, b0 + nt) (nt <= 32; missing lanes are zero) for blocks [ib0, ib1).
template <class P>
inline void q32_gemm_prepare(const unsigned char* x, std::size_t act_row, std::int64_t b0, int nt, std::int64_t ib0,
                             std::int64_t ib1, Q32GemmScratch& s) {
  if (nt < kGLanes) std::memset(static_cast<void*>(&s), 0, sizeof(Q32GemmScratch));
  for (int l = 0; l < nt; ++l) {
    const auto* a = reinterpret_cast<const typename P::AB*>(x + static_cast<std::size_t>(b0 + l) * act_row);
    for (std::int64_t ib = ib0; ib < ib1; ++ib) {
      const auto bl = static_cast<std::size_t>(ib - ib0);
      for (int w = 0; w < 8; ++w) std::memcpy(&s.a[bl][w][l], a[ib].qs + 4 * w, 4);
      s.da[bl][l] = _cvtsh_ss(a[ib].d);
      if constexpr (P::kMin) s.e[bl][l] = _cvtsh_ss(a[ib].s);
    }
  }
  if constexpr (!P::kMin) {
    // e = -off * d_a * sum(a) for 16 lanes at once: the sums are vpdpbusd with ones.
    const __m512i ones = _mm512_set1_epi8(1);
    const __m512 neg_off = _mm512_set1_ps(-static_cast<float>(P::kOffset));
    for (std::int64_t ib = ib0; ib < ib1; ++ib) {
      const auto bl = static_cast<std::size_t>(ib - ib0);
      for (int t = 0; t < kGT; ++t) {
        __m512i sum = _mm512_setzero_si512();
        for (int w = 0; w < 8; ++w) sum = _mm512_dpbusd_epi32(sum, ones, _mm512_load_si512(&s.a[bl][w][16 * t]));
        const __m512 da = _mm512_load_ps(&s.da[bl][16 * t]);
        _mm512_store_ps(&s.e[bl][16 * t], _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(sum), da), neg_off));
      }
    }
  }
}

// R weight rows starting at row r, blocks [ib0, ib1) of the segment; acc[R][kGT] in/out.
// The weights are unpacked for the whole segment first: the dot loop then broadcasts each 4-byte
// word straight from L1 (a load-port uop), where unpacking into registers would make the compiler
// extract and broadcast every word with two shuffles on the port that also runs the FMAs.
template <class P, int R>
inline void q32_gemm_rows(const Matrix& w, std::int64_t r, std::int64_t ib0, std::int64_t ib1,
                          const Q32GemmScratch& s, __m512* acc /* [R][kGT] */) {
  using WB = typename P::WB;
  alignas(64) std::uint8_t q[kQGSeg][R][32];
  float dw[kQGSeg][R], mw[kQGSeg][R];
  for (int i = 0; i < R; ++i) {
    const auto* row = reinterpret_cast<const WB*>(static_cast<const unsigned char*>(w.data) + (r + i) * w.row_stride);
    for (std::int64_t ib = ib0; ib < ib1; ++ib) {
      const auto bl = static_cast<std::size_t>(ib - ib0);
      _mm256_store_si256(reinterpret_cast<__m256i*>(q[bl][i]), P::u(row[ib]));
      dw[bl][i] = _cvtsh_ss(row[ib].d);
      mw[bl][i] = P::m(row[ib]);
    }
  }
  __m512 ac[R][kGT];
  for (int i = 0; i < R; ++i)
    for (int t = 0; t < kGT; ++t) ac[i][t] = acc[kGT * i + t];
  for (std::int64_t ib = ib0; ib < ib1; ++ib) {
    const auto bl = static_cast<std::size_t>(ib - ib0);
    __m512i p[R][kGT];
    for (int i = 0; i < R; ++i)
      for (int t = 0; t < kGT; ++t) p[i][t] = _mm512_setzero_si512();
    for (int wi = 0; wi < 8; ++wi) {
      __m512i av[kGT];
      for (int t = 0; t < kGT; ++t) av[t] = _mm512_load_si512(&s.a[bl][wi][16 * t]);
      for (int i = 0; i < R; ++i) {
        std::int32_t wv;
        std::memcpy(&wv, q[bl][i] + 4 * wi, 4);
        const __m512i wb = _mm512_set1_epi32(wv);
        for (int t = 0; t < kGT; ++t) p[i][t] = _mm512_dpbusd_epi32(p[i][t], wb, av[t]);
      }
    }
    for (int t = 0; t < kGT; ++t) {
      const __m512 da = _mm512_load_ps(&s.da[bl][16 * t]);
      const __m512 e = _mm512_load_ps(&s.e[bl][16 * t]);
      for (int i = 0; i < R; ++i) {
        const __m512 f = _mm512_cvtepi32_ps(p[i][t]);
        if constexpr (P::kMin) {
          ac[i][t] = _mm512_fmadd_ps(_mm512_mul_ps(f, da), _mm512_set1_ps(dw[bl][i]), ac[i][t]);
          ac[i][t] = _mm512_fmadd_ps(e, _mm512_set1_ps(mw[bl][i]), ac[i][t]);
        } else {
          ac[i][t] = _mm512_fmadd_ps(_mm512_fmadd_ps(f, da, e), _mm512_set1_ps(dw[bl][i]), ac[i][t]);
        }
      }
    }
  }
  for (int i = 0; i < R; ++i)
    for (int t = 0; t < kGT; ++t) acc[kGT * i + t] = ac[i][t];
}

// Needs batch >= 1; meant for batch >= 16. Q32GemmScratch is 80 KiB and acc_store 32 KiB of stack.
template <class P>
inline void matmul_q32_gemm(const Matrix& w, const void* xq, std::int64_t batch, float* y, std::int64_t ldy,
                            std::int64_t r0, std::int64_t r1) {
  const std::int64_t nb = w.k / 32;
  const std::size_t act_row = static_cast<std::size_t>(nb) * sizeof(typename P::AB);
  const auto* x = static_cast<const unsigned char*>(xq);
  alignas(64) Q32GemmScratch scratch;
  alignas(64) __m512 acc_store[kQGRows * kGT];
  for (std::int64_t rc = r0; rc < r1; rc += kQGRows) {
    const std::int64_t re = r1 - rc < kQGRows ? r1 : rc + kQGRows;
    for (std::int64_t b0 = 0; b0 < batch; b0 += kGLanes) {
      const int nt = static_cast<int>(batch - b0 < kGLanes ? batch - b0 : kGLanes);
      for (auto& a : acc_store) a = _mm512_setzero_ps();
      for (std::int64_t ib0 = 0; ib0 < nb; ib0 += kQGSeg) {
        const std::int64_t ib1 = nb - ib0 < kQGSeg ? nb : ib0 + kQGSeg;
        q32_gemm_prepare<P>(x, act_row, b0, nt, ib0, ib1, scratch);
        std::int64_t r = rc;
        for (; r + kQGR <= re; r += kQGR) q32_gemm_rows<P, kQGR>(w, r, ib0, ib1, scratch, acc_store + kGT * (r - rc));
        for (; r < re; ++r) q32_gemm_rows<P, 1>(w, r, ib0, ib1, scratch, acc_store + kGT * (r - rc));
      }
      gemm_store(acc_store, rc, re, b0, nt, y, ldy);
    }
  }
}

}  // namespace slm::kernels::arch::avx512
