#pragma once
// Q4_K, Q5_K and Q6_K x Q8_K on AMX-INT8 for batches of 16 or more rows (included by
// table_amx.cpp only).
//
// Roles: A = 16 activation rows x 64 bytes (packed per batch chunk and segment, see
// matmul_k_amx); B = 16 weight rows in the VNNI layout (built per super-block by k_unpack: a
// 16 x 16 dword transpose); C = 16 batch rows x 16 weight rows, so one C row is 16 consecutive
// outputs y[b][r..r+15] and the per-row float work is plain vector code.
//
// The sub-block scales are folded into the weights, so that one C tile accumulates a whole
// 256-element super-block with K = 64 products (the fastest AMX shape) and the float work is
// once per super-block, not once per sub-block:
//   w = q * sc    Q4_K: 0..945, Q5_K: 0..1953, Q6_K: (q - 32) * sc in -4096..4096
// split into two byte planes w = lo + 256 * hi (lo unsigned 0..255; hi 0..7 or, Q6_K, signed
// -16..16). C_lo = a . lo (tdpbsud: A signed, B unsigned), C_hi = a . hi (tdpbsud, or tdpbssd
// for Q6_K). The minimum term of Q4_K/Q5_K is a third plane: B_min holds m_s at every element
// of sub-block s, so C_min = a . B_min = sum_s m_s * (sum of the activations of sub-block s).
// Per super-block and output:
//   y += d_w * d_a * float(C_lo + 256 C_hi) - dmin_w * d_a * float(C_min)
// Exact integers: |C_lo| <= 256*255*127, |C_hi| <= 256*16*127, |C_min| <= 256*63*127, so
// C_lo + 256 C_hi fits an int32 easily; the float convert rounds it (relative 6e-8), within
// the matmul tests' tolerance like any float reordering. (The minimum term as 8 vpdpwssd of m_s
// with the Q8_K bsums per output row and super-block was measured slower than the third tile
// product.) Three planes leave tile registers for one batch tile at a time (A, B_lo, B_hi,
// B_min, 3 C); Q6_K takes two batch tiles at a time (A0, A1, B_lo, B_hi, 4 C).
//
// Stack use: KActs 260 KiB + KPanel 2 x 12 KiB + ~22 KiB = ~305 KiB (kernels never allocate; the
// pool threads, like the main thread, have 8 MiB stacks). Measured on Q4_K/Q6_K/Q8_0 4096x4096 and
// Q8_0 896x4864 at batch 512, t1: batch chunks of 192 rows (KActs 196 KiB) took 1.35-2.8x the time
// of chunks of 512 (each chunk re-reads and re-unpacks every weight); segments of 4 super-blocks
// instead of 2 gained nothing (and need twice the stack); 1 super-block lost 20%.

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

inline constexpr std::int64_t kAmxBatch = 512;  // batch rows per chunk (a multiple of 32)
inline constexpr int kKSeg = 2;                  // super-blocks per segment (24 KiB of unpacked weights)

// One super-block of a 16-row weight panel, ready for the tiles.
struct KPanel {
  alignas(64) std::uint8_t lo[4][16][64];  // B tiles of the low plane, one per 64 elements
  alignas(64) std::uint8_t hi[4][16][64];  // high plane
  alignas(64) float d[16];                 // per weight row (0 for rows past the panel's end)
  alignas(64) float dmin[16];
  alignas(64) std::uint8_t mp[4][16][64];  // Q4_K/Q5_K: B tiles of the minimum plane (m_s of each element)
};

template <class WB>
inline constexpr bool kHasMin = !std::is_same_v<WB, formats::BlockQ6_K>;

// Unpacks super-block ib of weight rows [p, p + nr) (nr <= 16) into the panel.
template <class WB>
__attribute__((noinline)) void k_unpack(const Matrix& w, std::int64_t p, int nr, std::int64_t ib, KPanel& kp) {
  alignas(64) std::uint8_t lo_rows[16][256];
  alignas(64) std::uint8_t hi_rows[16][256];
  alignas(64) std::int32_t mins[8][16];  // Q4_K/Q5_K: m_s of row n in each byte
  avx512::GemmWeights g;
  for (int n = 0; n < 16; ++n) {
    if (n >= nr) {
      std::memset(lo_rows[n], 0, 256);
      std::memset(hi_rows[n], 0, 256);
      kp.d[n] = kp.dmin[n] = 0.0f;
      if constexpr (kHasMin<WB>)
        for (int s = 0; s < 8; ++s) mins[s][n] = 0;
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
        mins[s][n] = m * 0x01010101;  // the 4 bytes of a B word
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
    if constexpr (kHasMin<WB>) {
      // Elements 64c..64c+31 (B rows 0-7) are sub-block 2c, the rest sub-block 2c + 1.
      const __m512i m0 = _mm512_load_si512(mins[2 * c]), m1 = _mm512_load_si512(mins[2 * c + 1]);
      for (int i = 0; i < 8; ++i) {
        _mm512_store_si512(kp.mp[c][i], m0);
        _mm512_store_si512(kp.mp[c][8 + i], m1);
      }
    }
  }
}

// Adds the products of one super-block for the nv valid batch rows of a tile (d_a of row i in
// da_rows[i]) to acc: c[0] = C_lo, c[1] = C_hi, c[2] = C_min (Q4_K/Q5_K).
template <class WB>
inline void k_post(const std::int32_t (*c)[16][16], const float* da_rows, int nv, const KPanel& kp,
                   float (*acc)[16]) noexcept {
  const __m512 d = _mm512_load_ps(kp.d), dmin = _mm512_load_ps(kp.dmin);
  for (int i = 0; i < nv; ++i) {
    const __m512 da = _mm512_set1_ps(da_rows[i]);
    const __m512i v = _mm512_add_epi32(_mm512_load_si512(c[0][i]), _mm512_slli_epi32(_mm512_load_si512(c[1][i]), 8));
    __m512 ac = _mm512_fmadd_ps(_mm512_cvtepi32_ps(v), _mm512_mul_ps(d, da), _mm512_load_ps(acc[i]));
    if constexpr (kHasMin<WB>)
      ac = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(_mm512_load_si512(c[2][i])), _mm512_mul_ps(dmin, da), ac);
    _mm512_store_ps(acc[i], ac);
  }
}

// One super-block of a batch tile's activations, packed: 4 A tiles of 16 rows x 64 bytes.
using ATiles = std::int8_t[4][16][64];

// Q6_K: the products of one super-block for one or two batch tiles (a0, a1) into c[4][16][16]:
// C_lo, C_hi of tile 0, then of tile 1.
template <bool kSignedHi>
inline void k_tiles(const KPanel& kp, const ATiles& a0, const ATiles* a1, std::int32_t (*c)[16][16]) noexcept {
  SLM_TILE_ZERO(4);
  SLM_TILE_ZERO(5);
  if (a1 != nullptr) {
    SLM_TILE_ZERO(6);
    SLM_TILE_ZERO(7);
    for (int k = 0; k < 4; ++k) {
      SLM_TILE_LOAD(0, a0[k], 64);
      SLM_TILE_LOAD(1, (*a1)[k], 64);
      SLM_TILE_LOAD(2, kp.lo[k], 64);
      SLM_TILE_LOAD(3, kp.hi[k], 64);
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
    SLM_TILE_STORE(4, c[0], 64);
    SLM_TILE_STORE(5, c[1], 64);
    SLM_TILE_STORE(6, c[2], 64);
    SLM_TILE_STORE(7, c[3], 64);
  } else {
    for (int k = 0; k < 4; ++k) {
      SLM_TILE_LOAD(0, a0[k], 64);
      SLM_TILE_LOAD(2, kp.lo[k], 64);
      SLM_TILE_LOAD(3, kp.hi[k], 64);
      SLM_TILE_DPBSUD(4, 0, 2);
      if constexpr (kSignedHi) {
        SLM_TILE_DPBSSD(5, 0, 3);
      } else {
        SLM_TILE_DPBSUD(5, 0, 3);
      }
    }
    SLM_TILE_STORE(4, c[0], 64);
    SLM_TILE_STORE(5, c[1], 64);
  }
}

// Q4_K/Q5_K: one batch tile against the three planes: c[0..2] = C_lo, C_hi, C_min.
inline void k_tiles_min(const KPanel& kp, const ATiles& a, std::int32_t (*c)[16][16]) noexcept {
  SLM_TILE_ZERO(4);
  SLM_TILE_ZERO(5);
  SLM_TILE_ZERO(6);
  for (int k = 0; k < 4; ++k) {
    SLM_TILE_LOAD(0, a[k], 64);
    SLM_TILE_LOAD(1, kp.lo[k], 64);
    SLM_TILE_LOAD(2, kp.hi[k], 64);
    SLM_TILE_LOAD(3, kp.mp[k], 64);
    SLM_TILE_DPBSUD(4, 0, 1);
    SLM_TILE_DPBSUD(5, 0, 2);
    SLM_TILE_DPBSUD(6, 0, 3);
  }
  SLM_TILE_STORE(4, c[0], 64);
  SLM_TILE_STORE(5, c[1], 64);
  SLM_TILE_STORE(6, c[2], 64);
}

// A chunk of activation rows for one segment, packed as A tiles (rows past the batch are zero).
struct KActs {
  alignas(64) ATiles a[kAmxBatch / 16][kKSeg];  // [batch tile][super-block]
  alignas(64) float d[kAmxBatch / 16][kKSeg][16];
};

// Packs activation rows [b0, b0 + nbc) of super-blocks [ib0, ib0 + ns).
inline void k_pack(const unsigned char* x, std::size_t act_row, std::int64_t b0, std::int64_t nbc, std::int64_t ib0,
                   int ns, KActs& pa) noexcept {
  const std::int64_t nt = (nbc + 15) / 16;
  for (std::int64_t b = 0; b < 16 * nt; ++b) {
    const std::int64_t t = b / 16, i = b % 16;
    for (int s = 0; s < ns; ++s) {
      if (b >= nbc) {
        for (int k = 0; k < 4; ++k) _mm512_store_si512(pa.a[t][s][k][i], _mm512_setzero_si512());
        pa.d[t][s][i] = 0.0f;
        continue;
      }
      const auto& blk = reinterpret_cast<const formats::BlockQ8_K*>(x + static_cast<std::size_t>(b0 + b) * act_row)[ib0 + s];
      for (int k = 0; k < 4; ++k) _mm512_store_si512(pa.a[t][s][k][i], _mm512_loadu_si512(blk.qs + 64 * k));
      pa.d[t][s][i] = blk.d;
    }
  }
}

// Needs batch >= 1 and valid shapes; meant for batch >= 16.
//
// Blocking (as a BLAS packs its operands): segments of kKSeg super-blocks; batch chunks of
// kAmxBatch rows, whose activations for the segment are packed as A tiles (KActs, 260 KiB: L2,
// contiguous) and then read by every 16-row weight panel of [r0, r1); per panel the segment's
// weights are unpacked once (kKSeg x 12 KiB) and reused by every batch tile of the chunk.
// Partial sums go to y between segments. Within a batch pair the tile products of super-block s
// are issued before the float work of s - 1 (double-buffered C), so that the tile unit and the
// vector code overlap instead of the vector loads waiting for the tile stores.
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
  alignas(64) KActs pa;
  alignas(64) KPanel kp[kKSeg];
  alignas(64) float acc[32][16];
  alignas(64) std::int32_t cbuf[2][6][16][16];
  for (std::int64_t bc = 0; bc < batch; bc += kAmxBatch) {
    const std::int64_t nbc = batch - bc < kAmxBatch ? batch - bc : kAmxBatch;
    for (std::int64_t ib0 = 0; ib0 < nb; ib0 += kKSeg) {
      const int ns = static_cast<int>(nb - ib0 < kKSeg ? nb - ib0 : kKSeg);
      k_pack(x, act_row, bc, nbc, ib0, ns, pa);
      for (std::int64_t p = r0; p < r1; p += 16) {
        const int nr = static_cast<int>(r1 - p < 16 ? r1 - p : 16);
        for (int s = 0; s < ns; ++s) k_unpack<WB>(w, p, nr, ib0 + s, kp[s]);
        // The next panel's weights (strided rows the hardware prefetcher does not follow) arrive
        // while this panel's tiles run.
        for (std::int64_t n = p + 16; n < r1 && n < p + 32; ++n) {
          const auto* row = static_cast<const char*>(w.data) + n * w.row_stride + ib0 * sizeof(WB);
          for (std::size_t off = 0; off < static_cast<std::size_t>(ns) * sizeof(WB); off += 64)
            _mm_prefetch(row + off, _MM_HINT_T0);
        }
        for (std::int64_t bt = 0; bt < nbc; bt += 32) {
          const std::int64_t t0 = bt / 16;
          const int nv0 = static_cast<int>(nbc - bt < 16 ? nbc - bt : 16);
          const int nv1 = static_cast<int>(nbc - bt - 16 <= 0 ? 0 : (nbc - bt - 16 < 16 ? nbc - bt - 16 : 16));
          const bool two = nv1 > 0;
          // The y lines this pair adds to at the end (one per batch row, ldy apart).
          if (ib0 > 0)
            for (int i = 0; i < nv0 + nv1; ++i)
              _mm_prefetch(reinterpret_cast<const char*>(y + (bc + bt + i) * ldy + p), _MM_HINT_T0);
          std::memset(acc, 0, sizeof(acc));
          const auto post = [&](int s) {
            const auto& c = cbuf[s & 1];
            k_post<WB>(c, pa.d[t0][s], nv0, kp[s], acc);
            if (two) k_post<WB>(c + (kHasMin<WB> ? 3 : 2), pa.d[t0 + 1][s], nv1, kp[s], acc + 16);
          };
          for (int s = 0; s < ns; ++s) {
            if constexpr (kHasMin<WB>) {
              // Three planes leave tile registers for one batch tile at a time.
              k_tiles_min(kp[s], pa.a[t0][s], cbuf[s & 1]);
              if (two) k_tiles_min(kp[s], pa.a[t0 + 1][s], cbuf[s & 1] + 3);
            } else {
              k_tiles<kSignedHi>(kp[s], pa.a[t0][s], two ? &pa.a[t0 + 1][s] : nullptr, cbuf[s & 1]);
            }
            if (s > 0) post(s - 1);
          }
          post(ns - 1);
          add_panel(acc, nv0, bc + bt, p, nr, ib0 == 0, y, ldy);
          if (two) add_panel(acc + 16, nv1, bc + bt + 16, p, nr, ib0 == 0, y, ldy);
        }
      }
    }
  }
  tile_release();
}

}  // namespace slm::kernels::arch::amx
