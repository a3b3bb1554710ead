#pragma once
// The 32-element formats (Q8_0, Q4_0, Q5_0 x Q8_0; Q4_1 x Q8_1) on AMX-INT8 for batches of 8
// or more rows (included by table_amx.cpp only). Roles as in amx_kquant_gemm.hpp: A = 16
// activation rows x 32 bytes (packed per batch chunk and segment), B =
// 16 weight rows of one block in the VNNI layout (8 rows x 64 bytes), C = 16 batch rows x 16
// weight rows.
//
// Each block has its own d_w and d_a, so a C tile covers one block (K = 32 products) and is
// scaled right after: y += d_w * d_a * C (+ m_w * s_a for Q4_1). The weights are signed for
// tdpbssd (Q8_0 as stored, Q4_0 as q - 8, Q5_0 as q - 16), or unsigned for Q4_1 (tdpbsud, its
// minimum from the Q8_1 sum s); no offset correction is needed. Two C tiles alternate between
// consecutive blocks so the tile unit works on one while the vector code scales an earlier one.
//
// Loop: see matmul_q32_amx.

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/arch/amx_kquant_gemm.hpp"
#include "kernels/arch/amx_tile.hpp"
#include "kernels/arch/avx512_q32.hpp"
#include "kernels/kernels.hpp"

namespace slm::kernels::arch::amx {

inline constexpr std::int64_t kQ32Seg = 16;  // blocks per segment (even: blocks are unpacked in pairs)

struct Q32Panel {
  alignas(64) std::uint8_t b[kQ32Seg][8][64];  // B tile of each block
  alignas(64) float dw[kQ32Seg][16];           // d_w per weight row (0 past the panel's end)
  alignas(64) float mw[kQ32Seg][16];           // Q4_1 minimum
};

// Unpacks blocks [ib0, ib1) of weight rows [p, p + nr) into the panel.
template <class P>
inline void q32_unpack(const Matrix& w, std::int64_t p, int nr, std::int64_t ib0, std::int64_t ib1, Q32Panel& qp) {
  using WB = typename P::WB;
  const __m256i off = _mm256_set1_epi8(static_cast<char>(P::kOffset));
  const WB* rows[16];
  for (int n = 0; n < nr; ++n)
    rows[n] = reinterpret_cast<const WB*>(static_cast<const unsigned char*>(w.data) + (p + n) * w.row_stride);
  for (std::int64_t ib = ib0; ib < ib1; ib += 2) {
    const auto j = static_cast<std::size_t>(ib - ib0);
    const bool two = ib + 1 < ib1;
    __m512i r[16];
    for (int n = 0; n < 16; ++n) {
      if (n >= nr) {
        r[n] = _mm512_setzero_si512();
        continue;
      }
      const __m256i v0 = _mm256_sub_epi8(P::u(rows[n][ib]), off);
      const __m256i v1 = two ? _mm256_sub_epi8(P::u(rows[n][ib + 1]), off) : _mm256_setzero_si256();
      r[n] = _mm512_inserti64x4(_mm512_castsi256_si512(v0), v1, 1);
    }
    transpose16x16_epi32(r);  // r[0..7]: block ib's B tile, r[8..15]: block ib + 1's
    auto* dst = reinterpret_cast<__m512i*>(qp.b[j]);
    for (int i = 0; i < 16; ++i) _mm512_store_si512(dst + i, r[i]);
    for (int n = 0; n < 16; ++n) {
      for (int h = 0; h < (two ? 2 : 1); ++h) {
        qp.dw[j + h][n] = n < nr ? _cvtsh_ss(rows[n][ib + h].d) : 0.0f;
        qp.mw[j + h][n] = n < nr ? P::m(rows[n][ib + h]) : 0.0f;
      }
    }
  }
}

// A chunk of activation rows for one segment, packed as A tiles (rows past the batch are zero):
// the tile loads read contiguous memory and the scales are floats, ready to broadcast.
struct Q32Acts {
  alignas(64) std::int8_t a[kAmxBatch / 16][kQ32Seg][16][32];  // [batch tile][block][row][element]
  alignas(64) float d[kAmxBatch / 16][kQ32Seg][16];             // d_a
  alignas(64) float s[kAmxBatch / 16][kQ32Seg][16];             // Q8_1's s (Q4_1 only)
};

// Packs activation rows [b0, b0 + nbc) of blocks [ib0, ib0 + ns).
template <class P>
inline void q32_pack(const unsigned char* x, std::size_t act_row, std::int64_t b0, std::int64_t nbc, std::int64_t ib0,
                     std::int64_t ns, Q32Acts& pa) noexcept {
  using AB = typename P::AB;
  const std::int64_t nt = (nbc + 15) / 16;
  for (std::int64_t b = 0; b < 16 * nt; ++b) {
    const std::int64_t t = b / 16, i = b % 16;
    const auto* row = reinterpret_cast<const AB*>(x + static_cast<std::size_t>(b0 + b) * act_row) + ib0;
    for (std::int64_t j = 0; j < ns; ++j) {
      if (b >= nbc) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(pa.a[t][j][i]), _mm256_setzero_si256());
        pa.d[t][j][i] = 0.0f;
        pa.s[t][j][i] = 0.0f;
        continue;
      }
      _mm256_store_si256(reinterpret_cast<__m256i*>(pa.a[t][j][i]),
                         _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row[j].qs)));
      pa.d[t][j][i] = _cvtsh_ss(row[j].d);
      if constexpr (P::kMin) pa.s[t][j][i] = _cvtsh_ss(row[j].s);
    }
  }
}

// acc[i] += C[i] * d_w * d_a(i) (+ m_w * s_a(i)) for the 16 rows of a tile (rows past the batch
// have d_a = s_a = 0).
template <class P>
inline void q32_post(const std::int32_t (*c)[16], const float* da, const float* sa, const float* dw, const float* mw,
                     __m512* acc) noexcept {
  const __m512 d = _mm512_load_ps(dw);
  for (int i = 0; i < 16; ++i) {
    const __m512 f = _mm512_cvtepi32_ps(_mm512_load_si512(c[i]));
    acc[i] = _mm512_fmadd_ps(f, _mm512_mul_ps(d, _mm512_set1_ps(da[i])), acc[i]);
    if constexpr (P::kMin) acc[i] = _mm512_fmadd_ps(_mm512_load_ps(mw), _mm512_set1_ps(sa[i]), acc[i]);
  }
}

// Needs batch >= 1 and valid shapes; meant for batch >= 8. Blocking as in matmul_k_amx: batch
// chunks; segments of kQ32Seg blocks, packed; every 16-row weight panel over the packed
// activations, its weights unpacked once per segment; partial sums to y between segments.
// Within a batch tile the 16 accumulator rows stay in zmm over the segment. Stack: Q32Acts
// 320 KiB + ~12 KiB (see amx_kquant_gemm.hpp for the sizes' measurements).
template <class P>
void matmul_q32_amx(const Matrix& w, const void* xq, std::int64_t batch, float* y, std::int64_t ldy, std::int64_t r0,
                    std::int64_t r1) {
  using AB = typename P::AB;
  const std::int64_t nb = w.k / 32;
  const std::size_t act_row = static_cast<std::size_t>(nb) * sizeof(AB);
  const auto* x = static_cast<const unsigned char*>(xq);
  TileConfig cfg;
  for (int t = 0; t < 2; ++t) {  // A: 16 batch rows x 32 bytes
    cfg.rows[t] = 16;
    cfg.colsb[t] = 32;
  }
  for (int t = 2; t < 4; ++t) {  // B: 8 rows (32 K / 4) x 16 weight rows x 4 bytes
    cfg.rows[t] = 8;
    cfg.colsb[t] = 64;
  }
  for (int t = 4; t < 6; ++t) {  // C: 16 x 16 int32
    cfg.rows[t] = 16;
    cfg.colsb[t] = 64;
  }
  tile_config(cfg);
  alignas(64) Q32Acts pa;
  alignas(64) Q32Panel qp;
  alignas(64) std::int32_t cbuf[3][16][16];
  alignas(64) float acc[16][16];
  for (std::int64_t bc = 0; bc < batch; bc += kAmxBatch) {
    const std::int64_t nbc = batch - bc < kAmxBatch ? batch - bc : kAmxBatch;
    for (std::int64_t ib0 = 0; ib0 < nb; ib0 += kQ32Seg) {
      const std::int64_t ib1 = nb - ib0 < kQ32Seg ? nb : ib0 + kQ32Seg;
      const std::int64_t ns = ib1 - ib0;
      q32_pack<P>(x, act_row, bc, nbc, ib0, ns, pa);
      for (std::int64_t p = r0; p < r1; p += 16) {
        const int nr = static_cast<int>(r1 - p < 16 ? r1 - p : 16);
        q32_unpack<P>(w, p, nr, ib0, ib1, qp);
        for (std::int64_t bt = 0; bt < nbc; bt += 16) {
          const std::int64_t t = bt / 16;
          const int nv = static_cast<int>(nbc - bt < 16 ? nbc - bt : 16);
          if (ib0 > 0)
            for (int i = 0; i < nv; ++i) _mm_prefetch(reinterpret_cast<const char*>(y + (bc + bt + i) * ldy + p), _MM_HINT_T0);
          __m512 a[16];
          for (int i = 0; i < 16; ++i) a[i] = _mm512_setzero_ps();
          // Software pipeline, two blocks deep: iteration j issues the tile product of block j
          // (tiles of parity j & 1), stores the C of block j - 1 and scales the C of block j - 2,
          // stored one iteration earlier. Storing a C tile and loading it into zmm right away
          // stalled on the tile product and the store (~1/3 of the time in perf).
          for (std::int64_t j = 0; j < ns + 2; ++j) {
            if (j < ns) {
              if (j & 1) {
                SLM_TILE_ZERO(5);
                SLM_TILE_LOAD(1, pa.a[t][j], 32);
                SLM_TILE_LOAD(3, qp.b[j], 64);
                if constexpr (P::kMin) {
                  SLM_TILE_DPBSUD(5, 1, 3);
                } else {
                  SLM_TILE_DPBSSD(5, 1, 3);
                }
              } else {
                SLM_TILE_ZERO(4);
                SLM_TILE_LOAD(0, pa.a[t][j], 32);
                SLM_TILE_LOAD(2, qp.b[j], 64);
                if constexpr (P::kMin) {
                  SLM_TILE_DPBSUD(4, 0, 2);
                } else {
                  SLM_TILE_DPBSSD(4, 0, 2);
                }
              }
            }
            if (j >= 1 && j <= ns) {
              if ((j - 1) & 1) {
                SLM_TILE_STORE(5, cbuf[(j - 1) % 3], 64);
              } else {
                SLM_TILE_STORE(4, cbuf[(j - 1) % 3], 64);
              }
            }
            if (j >= 2) q32_post<P>(cbuf[(j - 2) % 3], pa.d[t][j - 2], pa.s[t][j - 2], qp.dw[j - 2], qp.mw[j - 2], a);
          }
          for (int i = 0; i < 16; ++i) _mm512_store_ps(acc[i], a[i]);
          add_panel(acc, nv, bc + bt, p, nr, ib0 == 0, y, ldy);
        }
      }
    }
  }
  tile_release();
}

}  // namespace slm::kernels::arch::amx
