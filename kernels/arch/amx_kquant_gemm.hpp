#pragma once
// Q4_K, Q5_K and Q6_K x Q8_K on AMX-INT8 for batches of 16 or more rows (included by
// table_amx.cpp only).
//
// Roles: A = 16 activation rows x 64 bytes, loaded straight from the Q8_K rows (tileloadd takes
// a row stride, so activations need no repacking); B = 16 weight rows in the VNNI layout (built
// per super-block, see below); C = 16 batch rows x 16 weight rows, so one C row is 16
// consecutive outputs y[b][r..r+15] and the per-row float work is plain vector code.
//
// The sub-block scales are folded into the weights, so that one C tile accumulates a whole
// 256-element super-block with K = 64 products (the fastest AMX shape) and the float work is
// once per super-block, not once per sub-block:
//   w = q * sc    Q4_K: 0..945, Q5_K: 0..1953, Q6_K: (q - 32) * sc in -4096..4096
// split into two byte planes w = lo + 256 * hi (lo unsigned 0..255; hi 0..7 or, Q6_K, signed
// -16..16). Two C tiles per batch tile: C_lo = a . lo (tdpbsud: A signed, B unsigned) and
// C_hi = a . hi (tdpbsud, or tdpbssd for Q6_K); then per super-block
//   y += d_w * d_a * float(C_lo + 256 C_hi) - dmin_w * d_a * sum_s m_s * bsum_s
// (the minimum term of Q4_K/Q5_K: vpdpwssd of m_s with the Q8_K bsums, 16-element sums, with
// m_s repeated in both int16 halves of a dword). Exact integers: |C_lo| <= 256*255*127 and
// |C_hi| <= 256*16*127, so C_lo + 256 C_hi fits an int32 easily; the float convert rounds it
// (relative 6e-8), which is within the matmul tests' tolerance like any float reordering.
//
// Loop: batch chunks of kAmxBatch rows; 16-row weight panels; super-blocks. Per (panel, super-
// block) the weights are unpacked once (8 KiB, L1) and reused by every batch tile of the chunk,
// two batch tiles at a time: tiles A0 A1 (activations), B_lo B_hi, and 4 C. The float
// accumulators of the panel live in acc[kAmxBatch][16] (16 KiB). Stack use: ~32 KiB.

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/arch/amx_tile.hpp"
#include "kernels/arch/avx512_kquant_gemm.hpp"
#include "kernels/formats/q4_k.hpp"
#include "kernels/formats/q5_k.hpp"
#include "kernels/formats/q6_k.hpp"
#include "kernels/formats/q8_k.hpp"
#include "kernels/kernels.hpp"

namespace slm::kernels::arch::amx {

inline constexpr std::int64_t kAmxBatch = 256;  // batch rows per chunk (acc[] size)

// One super-block of a 16-row weight panel, ready for the tiles.
struct KPanel {
  alignas(64) std::uint8_t lo[4][16][64];  // B tiles of the low plane, one per 64 elements
  alignas(64) std::uint8_t hi[4][16][64];  // high plane
  alignas(64) float d[16];                 // per weight row (0 for rows past the panel's end)
  alignas(64) float dmin[16];
  alignas(64) std::int32_t m[8][16];       // m_s of row n in both int16 halves (Q4_K/Q5_K)
};

template <class WB>
inline constexpr bool kHasMin = !std::is_same_v<WB, formats::BlockQ6_K>;

// Unpacks super-block ib of weight rows [p, p + nr) (nr <= 16) into the panel.
template <class WB>
inline void k_unpack(const Matrix& w, std::int64_t p, int nr, std::int64_t ib, KPanel& kp) {
  alignas(64) std::uint8_t lo_rows[16][256];
  alignas(64) std::uint8_t hi_rows[16][256];
  avx512::GemmWeights g;
  for (int n = 0; n < 16; ++n) {
    if (n >= nr) {
      std::memset(lo_rows[n], 0, 256);
      std::memset(hi_rows[n], 0, 256);
      kp.d[n] = kp.dmin[n] = 0.0f;
      if constexpr (kHasMin<WB>)
        for (int s = 0; s < 8; ++s) kp.m[s][n] = 0;
      continue;
    }
    const WB& b = reinterpret_cast<const WB*>(static_cast<const unsigned char*>(w.data) + (p + n) * w.row_stride)[ib];
    avx512::gemm_unpack(b, g);  // g.q: unsigned values in element order
    if constexpr (kHasMin<WB>) {
      kp.d[n] = _cvtsh_ss(b.d);
      kp.dmin[n] = _cvtsh_ss(b.dmin);
      for (int s = 0; s < 8; ++s) {
        int sc, m;
        formats::k_scale_min(b.scales, s, sc, m);
        kp.m[s][n] = m | (m << 16);
        const __m512i v = _mm512_mullo_epi16(
            _mm512_cvtepu8_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(g.q + 32 * s))),
            _mm512_set1_epi16(static_cast<short>(sc)));
        _mm256_store_si256(reinterpret_cast<__m256i*>(lo_rows[n] + 32 * s), _mm512_cvtepi16_epi8(v));
        _mm256_store_si256(reinterpret_cast<__m256i*>(hi_rows[n] + 32 * s),
                           _mm512_cvtepi16_epi8(_mm512_srli_epi16(v, 8)));
      }
    } else {
      kp.d[n] = _cvtsh_ss(b.d);
      for (int s = 0; s < 8; ++s) {  // 32 elements = sub-blocks 2s, 2s+1 of 16
        const __m512i sc = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi16(b.scales[2 * s])),
                                              _mm256_set1_epi16(b.scales[2 * s + 1]), 1);
        const __m512i q = _mm512_sub_epi16(
            _mm512_cvtepu8_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(g.q + 32 * s))),
            _mm512_set1_epi16(32));
        const __m512i v = _mm512_mullo_epi16(q, sc);
        _mm256_store_si256(reinterpret_cast<__m256i*>(lo_rows[n] + 32 * s), _mm512_cvtepi16_epi8(v));
        _mm256_store_si256(reinterpret_cast<__m256i*>(hi_rows[n] + 32 * s),
                           _mm512_cvtepi16_epi8(_mm512_srai_epi16(v, 8)));
      }
    }
  }
  for (int c = 0; c < 4; ++c) {
    __m512i r[16];
    for (int n = 0; n < 16; ++n) r[n] = _mm512_load_si512(lo_rows[n] + 64 * c);
    transpose16x16_epi32(r);
    for (int i = 0; i < 16; ++i) _mm512_store_si512(kp.lo[c][i], r[i]);
    for (int n = 0; n < 16; ++n) r[n] = _mm512_load_si512(hi_rows[n] + 64 * c);
    transpose16x16_epi32(r);
    for (int i = 0; i < 16; ++i) _mm512_store_si512(kp.hi[c][i], r[i]);
  }
}

// Adds C (cl = C_lo rows, ch = C_hi rows, [16][16] int32) of super-block ib for the nv valid
// batch rows of a tile whose Q8_K blocks start at blk (row stride st) to acc.
template <class WB>
inline void k_post(const std::int32_t (*cl)[16], const std::int32_t (*ch)[16], const unsigned char* blk,
                   std::size_t st, int nv, const KPanel& kp, float (*acc)[16]) noexcept {
  const __m512 d = _mm512_load_ps(kp.d);
  for (int i = 0; i < nv; ++i) {
    const auto* a = reinterpret_cast<const formats::BlockQ8_K*>(blk + i * st);
    const __m512 da = _mm512_set1_ps(a->d);
    const __m512i v = _mm512_add_epi32(_mm512_load_si512(cl[i]), _mm512_slli_epi32(_mm512_load_si512(ch[i]), 8));
    __m512 ac = _mm512_fmadd_ps(_mm512_cvtepi32_ps(v), _mm512_mul_ps(d, da), _mm512_load_ps(acc[i]));
    if constexpr (kHasMin<WB>) {
      __m512i s = _mm512_setzero_si512();
      for (int j = 0; j < 8; ++j) {
        std::int32_t pair;  // bsums 2j, 2j+1: the two 16-element halves of sub-block j
        std::memcpy(&pair, a->bsums + 2 * j, 4);
        s = _mm512_dpwssd_epi32(s, _mm512_load_si512(kp.m[j]), _mm512_set1_epi32(pair));
      }
      ac = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(_mm512_load_ps(kp.dmin), da), ac);
    }
    _mm512_store_ps(acc[i], ac);
  }
}

// Needs batch >= 1 and valid shapes (simd_can); meant for batch >= 16.
template <class WB>
void matmul_k_amx(const Matrix& w, const void* xq, std::int64_t batch, float* y, std::int64_t ldy, std::int64_t r0,
                  std::int64_t r1) {
  constexpr bool kSignedHi = !kHasMin<WB>;
  const std::int64_t nb = w.k / 256;
  const std::size_t act_row = static_cast<std::size_t>(nb) * sizeof(formats::BlockQ8_K);
  const auto* x = static_cast<const unsigned char*>(xq);
  TileConfig cfg;
  for (int t = 0; t < 8; ++t) {  // every tile 16 x 64 bytes
    cfg.rows[t] = 16;
    cfg.colsb[t] = 64;
  }
  tile_config(cfg);
  alignas(64) KPanel kp;
  alignas(64) float acc[kAmxBatch][16];
  alignas(64) std::int32_t cbuf[4][16][16];
  alignas(64) unsigned char pad[16][sizeof(formats::BlockQ8_K)];  // a partial batch tile, zero rows
  for (std::int64_t bc = 0; bc < batch; bc += kAmxBatch) {
    const std::int64_t nbc = batch - bc < kAmxBatch ? batch - bc : kAmxBatch;
    for (std::int64_t p = r0; p < r1; p += 16) {
      const int nr = static_cast<int>(r1 - p < 16 ? r1 - p : 16);
      std::memset(acc, 0, sizeof(float) * 16 * static_cast<std::size_t>(nbc));
      for (std::int64_t ib = 0; ib < nb; ++ib) {
        k_unpack<WB>(w, p, nr, ib, kp);
        for (std::int64_t bt = 0; bt < nbc; bt += 32) {
          // Two batch tiles (the second may be partial or absent).
          const unsigned char* src[2];
          std::size_t st[2];
          int nv[2];
          for (int t = 0; t < 2; ++t) {
            const std::int64_t b = bt + 16 * t;
            nv[t] = static_cast<int>(nbc - b <= 0 ? 0 : (nbc - b < 16 ? nbc - b : 16));
            src[t] = x + static_cast<std::size_t>(bc + b) * act_row + static_cast<std::size_t>(ib) * sizeof(formats::BlockQ8_K);
            st[t] = act_row;
            if (nv[t] > 0 && nv[t] < 16) {
              std::memset(pad, 0, sizeof(pad));
              for (int i = 0; i < nv[t]; ++i) std::memcpy(pad[i], src[t] + i * act_row, sizeof(formats::BlockQ8_K));
              src[t] = pad[0];
              st[t] = sizeof(formats::BlockQ8_K);
            }
          }
          constexpr std::size_t kQs = offsetof(formats::BlockQ8_K, qs);
          SLM_TILE_ZERO(4);
          SLM_TILE_ZERO(5);
          if (nv[1] > 0) {
            SLM_TILE_ZERO(6);
            SLM_TILE_ZERO(7);
            for (int c = 0; c < 4; ++c) {
              SLM_TILE_LOAD(0, src[0] + kQs + 64 * c, st[0]);
              SLM_TILE_LOAD(1, src[1] + kQs + 64 * c, st[1]);
              SLM_TILE_LOAD(2, kp.lo[c], 64);
              SLM_TILE_LOAD(3, kp.hi[c], 64);
              SLM_TILE_DPBSUD(4, 0, 2);
              SLM_TILE_DPBSUD(6, 1, 2);
              if constexpr (kSignedHi) {
                SLM_TILE_DPBSSD(5, 0, 3);
                SLM_TILE_DPBSSD(7, 1, 3);
              } else {
                SLM_TILE_DPBSUD(5, 0, 3);
                SLM_TILE_DPBSUD(7, 1, 3);
              }
            }
            SLM_TILE_STORE(4, cbuf[0], 64);
            SLM_TILE_STORE(5, cbuf[1], 64);
            SLM_TILE_STORE(6, cbuf[2], 64);
            SLM_TILE_STORE(7, cbuf[3], 64);
          } else {
            for (int c = 0; c < 4; ++c) {
              SLM_TILE_LOAD(0, src[0] + kQs + 64 * c, st[0]);
              SLM_TILE_LOAD(2, kp.lo[c], 64);
              SLM_TILE_LOAD(3, kp.hi[c], 64);
              SLM_TILE_DPBSUD(4, 0, 2);
              if constexpr (kSignedHi) {
                SLM_TILE_DPBSSD(5, 0, 3);
              } else {
                SLM_TILE_DPBSUD(5, 0, 3);
              }
            }
            SLM_TILE_STORE(4, cbuf[0], 64);
            SLM_TILE_STORE(5, cbuf[1], 64);
          }
          for (int t = 0; t < 2; ++t)
            if (nv[t] > 0) k_post<WB>(cbuf[2 * t], cbuf[2 * t + 1], src[t], st[t], nv[t], kp, acc + bt + 16 * t);
        }
      }
      store_panel(acc, nbc, bc, p, nr, y, ldy);
    }
  }
  tile_release();
}

}  // namespace slm::kernels::arch::amx
