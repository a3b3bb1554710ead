#pragma once
// SIMD prefill attention: a block of consecutive query tokens and the query heads that share
// one KV head, as two small GEMMs around the softmax. Query rows are r = t * n_q + h (token t,
// head h); keys are the block's whole span [lo, last position], in chunks of kKvChunk rows.
//
//   per K chunk:  stage the rows (F16 -> F32 once), then S[r][j] = scale * q_r . k_j in tiles of
//                 4 query rows x 3 keys (12 accumulators; each K vector load feeds 4 FMAs)
//   per row:      the level's softmax (soft-cap, masking) over the row's own causal/window range,
//                 zeros for the keys of its tile's span that it may not see
//   per V chunk:  stage the rows, then out[r] += sum_j S[r][j] v_j in tiles of 4 rows x 24
//                 columns (12 accumulators; each V vector load feeds 4 FMAs)
//
// So every K and V row is read (and converted) once per block instead of once per token. Key
// tiles outside a row tile's visible span are skipped, so the causal triangle costs nothing.
// Scores are kept whole in scratch (rows x span floats): the softmax is then exactly the
// single-query kernel's, which keeps the logits as close to llama.cpp's as before.

#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/kernels.hpp"
#include "kernels/ref/ref.hpp"
#include "kernels/simd/attention.hpp"
#include "kernels/simd/elementwise.hpp"

namespace slm::kernels::simd {
inline namespace SLM_SIMD_ISA_NS {

inline constexpr std::int64_t kKvChunk = 32;  // keys staged at a time (32 x 256 floats = 32 KiB)
inline constexpr int kRowTile = 4;            // query rows per register tile
inline constexpr int kKeyTile = 3;            // keys per QK^T register tile
inline constexpr int kColTile = 3;            // 8-column vectors per P.V register tile

// S[r][k] (r < NR, k < NK) = scale * q[r] . key[k] over d columns (d % 8 == 0).
template <int NR, int NK>
inline void qk_tile(const float* const* q, const float* const* key, std::int64_t d, float scale, float* s,
                    std::int64_t lds) noexcept {
  __m256 acc[NR][NK];
  for (int r = 0; r < NR; ++r)
    for (int k = 0; k < NK; ++k) acc[r][k] = _mm256_setzero_ps();
  for (std::int64_t i = 0; i < d; i += 8) {
    __m256 kv[NK];
    for (int k = 0; k < NK; ++k) kv[k] = _mm256_loadu_ps(key[k] + i);
    for (int r = 0; r < NR; ++r) {
      const __m256 qv = _mm256_loadu_ps(q[r] + i);
      for (int k = 0; k < NK; ++k) acc[r][k] = _mm256_fmadd_ps(qv, kv[k], acc[r][k]);
    }
  }
  for (int r = 0; r < NR; ++r)
    for (int k = 0; k < NK; ++k) s[r * lds + k] = scale * hsum8_a(acc[r][k]);
}

template <int NR>
inline void qk_row_tile(const float* const* q, const float* const* key, std::int64_t nk, std::int64_t d, float scale,
                        float* s, std::int64_t lds) noexcept {
  std::int64_t j = 0;
  for (; j + kKeyTile <= nk; j += kKeyTile) qk_tile<NR, kKeyTile>(q, key + j, d, scale, s + j, lds);
  if (nk - j == 2) qk_tile<NR, 2>(q, key + j, d, scale, s + j, lds);
  else if (nk - j == 1) qk_tile<NR, 1>(q, key + j, d, scale, s + j, lds);
}

// out[r][col + 8c ...] += sum_{j < nj} p[r][j] * val[j][col + 8c ...]  (r < NR, c < NC).
template <int NR, int NC>
inline void pv_tile(const float* const* p, const float* const* val, std::int64_t nj, float* const* out,
                    std::int64_t col) noexcept {
  __m256 acc[NR][NC];
  for (int r = 0; r < NR; ++r)
    for (int c = 0; c < NC; ++c) acc[r][c] = _mm256_loadu_ps(out[r] + col + 8 * c);
  for (std::int64_t j = 0; j < nj; ++j) {
    __m256 vv[NC];
    for (int c = 0; c < NC; ++c) vv[c] = _mm256_loadu_ps(val[j] + col + 8 * c);
    for (int r = 0; r < NR; ++r) {
      const __m256 pr = _mm256_broadcast_ss(p[r] + j);
      for (int c = 0; c < NC; ++c) acc[r][c] = _mm256_fmadd_ps(pr, vv[c], acc[r][c]);
    }
  }
  for (int r = 0; r < NR; ++r)
    for (int c = 0; c < NC; ++c) _mm256_storeu_ps(out[r] + col + 8 * c, acc[r][c]);
}

template <int NR>
inline void pv_row_tile(const float* const* p, const float* const* val, std::int64_t nj, float* const* out,
                        std::int64_t d) noexcept {
  std::int64_t col = 0;
  for (; col + 8 * kColTile <= d; col += 8 * kColTile) pv_tile<NR, kColTile>(p, val, nj, out, col);
  if (d - col == 16) pv_tile<NR, 2>(p, val, nj, out, col);
  else if (d - col == 8) pv_tile<NR, 1>(p, val, nj, out, col);
}

// Pointers to the n float rows of key positions first_pos.. (cache rows wrap modulo ring):
// straight into an F32 cache, or into buf after converting F16 rows.
inline void stage_rows(const void* base, bool f16, std::size_t stride, std::int64_t first_pos, std::int64_t n,
                       std::int64_t ring, std::int64_t d, float* buf, const float** rows) noexcept {
  std::int64_t row = first_pos % ring;
  for (std::int64_t j = 0; j < n; ++j, row = row + 1 == ring ? 0 : row + 1) {
    const auto* src = static_cast<const unsigned char*>(base) + static_cast<std::size_t>(row) * stride;
    if (!f16) {
      rows[j] = reinterpret_cast<const float*>(src);
      continue;
    }
    float* dst = buf + j * d;
    for (std::int64_t i = 0; i < d; i += 8) _mm256_storeu_ps(dst + i, load_kv8(src, true, i));
    rows[j] = dst;
  }
}

template <class Tr>
void attention_block(const AttentionBlockArgs& a) {
  const std::int64_t lo = a.window > 0 ? std::max<std::int64_t>(0, a.pos0 - a.window + 1) : 0;
  const std::int64_t span = a.pos0 + a.n_tok - lo;  // keys [lo, lo + span)
  const bool ok = (a.kv_type == DType::F32 || a.kv_type == DType::F16) && a.n_tok > 0 && a.n_q > 0 &&
                  a.pos0 >= 0 && a.window >= 0 && a.head_dim > 0 && a.head_dim % 8 == 0 && a.ring >= span;
  if (!ok) return ref::attention_block(a);
  const bool f16 = a.kv_type == DType::F16;
  const std::int64_t d = a.head_dim, n_rows = a.n_tok * a.n_q;
  float* const scores = a.scratch;         // [n_rows][span]
  float* const buf = a.scratch + n_rows * span;  // [kKvChunk][d] staged F16 rows
  // Row r's own keys, as indices into the span: [row_first(r), row_last(r)]. Both are
  // non-decreasing in r, so a tile of rows [r0, r1) spans [row_first(r0), row_last(r1 - 1)].
  auto row_first = [&](std::int64_t r) {
    const std::int64_t p = a.pos0 + r / a.n_q;
    return (a.window > 0 ? std::max<std::int64_t>(0, p - a.window + 1) : 0) - lo;
  };
  auto row_last = [&](std::int64_t r) { return a.pos0 + r / a.n_q - lo; };
  auto q_row = [&](std::int64_t r) { return a.q + (r / a.n_q) * a.q_stride + (r % a.n_q) * d; };
  auto out_row = [&](std::int64_t r) { return a.out + (r / a.n_q) * a.out_stride + (r % a.n_q) * d; };
  const float* rows[kKvChunk];

  // Scores, one K chunk at a time.
  for (std::int64_t c0 = 0; c0 < span; c0 += kKvChunk) {
    const std::int64_t nc = std::min(kKvChunk, span - c0);
    stage_rows(a.k, f16, a.kv_row_stride, lo + c0, nc, a.ring, d, buf, rows);
    for (std::int64_t r0 = 0; r0 < n_rows; r0 += kRowTile) {
      const std::int64_t nr = std::min<std::int64_t>(kRowTile, n_rows - r0);
      const std::int64_t j0 = std::max(c0, row_first(r0)), j1 = std::min(c0 + nc, row_last(r0 + nr - 1) + 1);
      if (j0 >= j1) continue;
      const float* q[kRowTile];
      for (std::int64_t r = 0; r < nr; ++r) q[r] = q_row(r0 + r);
      float* s = scores + r0 * span + j0;
      const float* const* key = rows + (j0 - c0);
      switch (nr) {
        case 1: qk_row_tile<1>(q, key, j1 - j0, d, a.scale, s, span); break;
        case 2: qk_row_tile<2>(q, key, j1 - j0, d, a.scale, s, span); break;
        case 3: qk_row_tile<3>(q, key, j1 - j0, d, a.scale, s, span); break;
        default: qk_row_tile<4>(q, key, j1 - j0, d, a.scale, s, span); break;
      }
    }
  }
  // Softmax over each row's own keys; zero weight for the rest of its tile's span.
  for (std::int64_t r = 0; r < n_rows; ++r) {
    const std::int64_t t0 = r - r % kRowTile, t1 = std::min<std::int64_t>(t0 + kRowTile, n_rows);
    const std::int64_t f = row_first(r), l = row_last(r);
    float* s = scores + r * span;
    for (std::int64_t j = row_first(t0); j < f; ++j) s[j] = 0.0f;
    for (std::int64_t j = l + 1; j <= row_last(t1 - 1); ++j) s[j] = 0.0f;
    softmax<Tr>(s + f, l - f + 1, a.softcap);
  }
  for (std::int64_t r = 0; r < n_rows; ++r) {
    float* o = out_row(r);
    for (std::int64_t i = 0; i < d; i += 8) _mm256_storeu_ps(o + i, _mm256_setzero_ps());
  }
  // Weighted sums of V, one V chunk at a time.
  for (std::int64_t c0 = 0; c0 < span; c0 += kKvChunk) {
    const std::int64_t nc = std::min(kKvChunk, span - c0);
    stage_rows(a.v, f16, a.kv_row_stride, lo + c0, nc, a.ring, d, buf, rows);
    for (std::int64_t r0 = 0; r0 < n_rows; r0 += kRowTile) {
      const std::int64_t nr = std::min<std::int64_t>(kRowTile, n_rows - r0);
      const std::int64_t j0 = std::max(c0, row_first(r0)), j1 = std::min(c0 + nc, row_last(r0 + nr - 1) + 1);
      if (j0 >= j1) continue;
      const float* p[kRowTile];
      float* o[kRowTile];
      for (std::int64_t r = 0; r < nr; ++r) {
        p[r] = scores + (r0 + r) * span + j0;
        o[r] = out_row(r0 + r);
      }
      const float* const* val = rows + (j0 - c0);
      switch (nr) {
        case 1: pv_row_tile<1>(p, val, j1 - j0, o, d); break;
        case 2: pv_row_tile<2>(p, val, j1 - j0, o, d); break;
        case 3: pv_row_tile<3>(p, val, j1 - j0, o, d); break;
        default: pv_row_tile<4>(p, val, j1 - j0, o, d); break;
      }
    }
  }
}

}  // namespace SLM_SIMD_ISA_NS
}  // namespace slm::kernels::simd
