#pragma once
// SIMD attention: a block of consecutive query tokens and the query heads that share one KV
// head, as two small GEMMs around an online (flash-attention style) softmax. Query rows are
// r = t * n_q + h (token t, head h); keys are the block's whole span [lo, last position], taken
// in chunks of kKvChunk rows. Per chunk:
//
//   S[r][j] = scale * q_r . k_j in register tiles of NR query rows x NK keys, NR * NK = one
//   vector's lanes (4 x 4 on AVX-512's 16, 4 x 2 on 8), whose NR * NK dot products are reduced
//   together by one transposing shuffle tree (V::reduce) rather than a horizontal sum each;
//   per row: soft-cap, then weights exp(s - m) against the row's running max m over the keys it
//   may see (causal/window range), zeros for the rest; when m grows, the row's running sum and
//   output so far are rescaled by exp(m_old - m_new);
//   out[r] += sum_j w[r][j] v_j in tiles of 4 rows x 3 vectors (4 x 4 on AVX-512).
//
// and finally out[r] /= sum. Prefill blocks (attention_block_with) stage each chunk's K and V
// rows once per block (F16 -> F32), so every row is read and converted once per block instead
// of once per token; chunks a row tile cannot see are skipped, so the causal triangle costs
// nothing. Decode (attention_decode_with: one token, every row sees the same keys) reads the rows
// straight from the cache. Scores never leave L1 and scratch does not grow with the context.
// The result equals the single-query kernel's up to float rounding (the rescaling adds a few ulp).

#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/kernels.hpp"
#include "kernels/ref/ref.hpp"
#include "kernels/simd/elementwise.hpp"

namespace slm::kernels::simd {
inline namespace SLM_SIMD_ISA_NS {

inline constexpr std::int64_t kKvChunk = 32;  // keys staged at a time (32 x 256 floats = 32 KiB)
// Floats per row of chunk scores: a last key tile may overhang the chunk by up to 15 keys.
inline constexpr std::int64_t kLds = kKvChunk + 16;
static_assert(kKvChunk == 32, "attention_block_scratch (kernels.hpp) budgets 32-key chunks of 48 floats");
inline constexpr int kRowTile = 4;            // query rows per register tile

// The float vector the tiles compute with: 8 lanes everywhere, 16 on AVX-512 translation units
// when head_dim allows (the tiles have no ragged columns).
struct Vec8 {
  using T = __m256;
  static constexpr int kLanes = 8;
  // 16 registers: 4 x 3 P.V accumulators plus the operands.
  static constexpr int kColTile = 3;  // vectors per P.V register tile
  static T zero() noexcept { return _mm256_setzero_ps(); }
  static T load(const float* p) noexcept { return _mm256_loadu_ps(p); }
  static void store(float* p, T v) noexcept { _mm256_storeu_ps(p, v); }
  static T bcast(const float* p) noexcept { return _mm256_broadcast_ss(p); }
  static T fma(T a, T b, T c) noexcept { return _mm256_fmadd_ps(a, b, c); }
  static T load_f16(const void* p) noexcept { return _mm256_cvtph_ps(_mm_loadu_si128(static_cast<const __m128i*>(p))); }
  // Lane i of the result = the sum of v[i]'s lanes: 8 horizontal sums in 21 shuffles and adds.
  static T reduce(const T* v) noexcept {
    T x[4], y[2];
    for (int i = 0; i < 4; ++i)
      x[i] = _mm256_add_ps(_mm256_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm256_unpackhi_ps(v[2 * i], v[2 * i + 1]));
    for (int i = 0; i < 2; ++i) {
      const __m256d a = _mm256_castps_pd(x[2 * i]), b = _mm256_castps_pd(x[2 * i + 1]);
      y[i] = _mm256_add_ps(_mm256_castpd_ps(_mm256_unpacklo_pd(a, b)), _mm256_castpd_ps(_mm256_unpackhi_pd(a, b)));
    }
    return _mm256_add_ps(_mm256_permute2f128_ps(y[0], y[1], 0x20), _mm256_permute2f128_ps(y[0], y[1], 0x31));
  }
};
#ifdef __AVX512F__
struct Vec16 {
  using T = __m512;
  static constexpr int kLanes = 16;
  // 32 registers: 4 x 4 P.V accumulators, so that loads stay below the FMAs.
  static constexpr int kColTile = 4;
  static T zero() noexcept { return _mm512_setzero_ps(); }
  static T load(const float* p) noexcept { return _mm512_loadu_ps(p); }
  static void store(float* p, T v) noexcept { _mm512_storeu_ps(p, v); }
  static T bcast(const float* p) noexcept { return _mm512_set1_ps(*p); }
  static T fma(T a, T b, T c) noexcept { return _mm512_fmadd_ps(a, b, c); }
  static T load_f16(const void* p) noexcept { return _mm512_cvtph_ps(_mm256_loadu_si256(static_cast<const __m256i*>(p))); }
  // Lane i of the result = the sum of v[i]'s lanes: 16 horizontal sums in 45 shuffles and adds
  // (pairs within 128-bit lanes, then 64-bit pairs, then 128-bit lanes twice).
  static T reduce(const T* v) noexcept {
    T x[8], y[4], z[2];
    for (int i = 0; i < 8; ++i)
      x[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
    for (int i = 0; i < 4; ++i) {
      const __m512d a = _mm512_castps_pd(x[2 * i]), b = _mm512_castps_pd(x[2 * i + 1]);
      y[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)), _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
    }
    for (int i = 0; i < 2; ++i)
      z[i] = _mm512_add_ps(_mm512_shuffle_f32x4(y[2 * i], y[2 * i + 1], 0x88), _mm512_shuffle_f32x4(y[2 * i], y[2 * i + 1], 0xDD));
    return _mm512_add_ps(_mm512_shuffle_f32x4(z[0], z[1], 0x88), _mm512_shuffle_f32x4(z[0], z[1], 0xDD));
  }
};
#endif

// Row i of a chunk: head_dim elements of F32 (F16 = false) or F16.
template <class V, bool F16>
[[gnu::always_inline]] inline typename V::T load_row(const void* row, std::int64_t i) noexcept {
  if constexpr (F16) return V::load_f16(static_cast<const unsigned char*>(row) + 2 * i);
  else return V::load(static_cast<const float*>(row) + i);
}

// s[r][j + k] = scale * q[r] . key[k] for r < NR, k < NK = V::kLanes / NR, over d columns.
template <class V, bool F16, int NR>
[[gnu::always_inline]] inline void qk_tile(const float* const* q, const void* const* key, std::int64_t d, float scale,
                                           float* const* s, std::int64_t j) noexcept {
  constexpr int NK = V::kLanes / NR;
  typename V::T acc[NR * NK];
  for (auto& x : acc) x = V::zero();
  for (std::int64_t i = 0; i < d; i += V::kLanes) {
    typename V::T kv[NK];
    for (int k = 0; k < NK; ++k) kv[k] = load_row<V, F16>(key[k], i);
    for (int r = 0; r < NR; ++r) {
      const typename V::T qv = V::load(q[r] + i);
      for (int k = 0; k < NK; ++k) acc[r * NK + k] = V::fma(qv, kv[k], acc[r * NK + k]);
    }
  }
  alignas(64) float t[V::kLanes];
  V::store(t, V::reduce(acc));
  for (int r = 0; r < NR; ++r)
    for (int k = 0; k < NK; ++k) s[r][j + k] = scale * t[r * NK + k];
}

// Scores of nk keys (rounded up to whole key tiles: key[] must hold that many rows, s[r] that
// many floats) for a tile of nr <= 4 rows. Row tiles are 4, 2 or 1 rows; 3 rows run as 4 with
// the first repeated, which computes and writes the very same values to that row twice.
template <class V, bool F16>
inline void qk_rows(const float* const* q, const void* const* key, std::int64_t nk, std::int64_t d, float scale,
                    float* const* s, std::int64_t nr) noexcept {
  const float* q4[4] = {q[0], q[nr > 1 ? 1 : 0], q[nr > 2 ? 2 : 0], q[nr > 3 ? 3 : 0]};
  float* s4[4] = {s[0], s[nr > 1 ? 1 : 0], s[nr > 2 ? 2 : 0], s[nr > 3 ? 3 : 0]};
  if (nr >= 3) {
    for (std::int64_t j = 0; j < nk; j += V::kLanes / 4) qk_tile<V, F16, 4>(q4, key + j, d, scale, s4, j);
  } else if (nr == 2) {
    for (std::int64_t j = 0; j < nk; j += V::kLanes / 2) qk_tile<V, F16, 2>(q4, key + j, d, scale, s4, j);
  } else {
    for (std::int64_t j = 0; j < nk; j += V::kLanes) qk_tile<V, F16, 1>(q4, key + j, d, scale, s4, j);
  }
}

// out[r][col + w c ...] += sum_{j < nj} p[r][j] * val[j][col + w c ...]  (r < NR, c < NC, w lanes).
template <class V, bool F16, int NR, int NC>
[[gnu::always_inline]] inline void pv_tile(const float* const* p, const void* const* val, std::int64_t nj,
                                           float* const* out, std::int64_t col) noexcept {
  constexpr int w = V::kLanes;
  typename V::T acc[NR][NC];
  for (int r = 0; r < NR; ++r)
    for (int c = 0; c < NC; ++c) acc[r][c] = V::load(out[r] + col + w * c);
  for (std::int64_t j = 0; j < nj; ++j) {
    typename V::T vv[NC];
    for (int c = 0; c < NC; ++c) vv[c] = load_row<V, F16>(val[j], col + w * c);
    for (int r = 0; r < NR; ++r) {
      const typename V::T pr = V::bcast(p[r] + j);
      for (int c = 0; c < NC; ++c) acc[r][c] = V::fma(pr, vv[c], acc[r][c]);
    }
  }
  for (int r = 0; r < NR; ++r)
    for (int c = 0; c < NC; ++c) V::store(out[r] + col + w * c, acc[r][c]);
}

template <class V, bool F16, int NR>
inline void pv_row_tile(const float* const* p, const void* const* val, std::int64_t nj, float* const* out,
                        std::int64_t d) noexcept {
  constexpr int w = V::kLanes;
  std::int64_t col = 0;
  for (; col + w * V::kColTile <= d; col += w * V::kColTile) pv_tile<V, F16, NR, V::kColTile>(p, val, nj, out, col);
  switch ((d - col) / w) {  // the column tile's tail (kColTile <= 4)
    case 3: pv_tile<V, F16, NR, 3>(p, val, nj, out, col); break;
    case 2: pv_tile<V, F16, NR, 2>(p, val, nj, out, col); break;
    case 1: pv_tile<V, F16, NR, 1>(p, val, nj, out, col); break;
    default: break;
  }
}

template <class V, bool F16>
inline void pv_rows(const float* const* p, const void* const* val, std::int64_t nj, float* const* out, std::int64_t d,
                    std::int64_t nr) noexcept {
  switch (nr) {
    case 1: pv_row_tile<V, F16, 1>(p, val, nj, out, d); break;
    case 2: pv_row_tile<V, F16, 2>(p, val, nj, out, d); break;
    case 3: pv_row_tile<V, F16, 3>(p, val, nj, out, d); break;
    default: pv_row_tile<V, F16, 4>(p, val, nj, out, d); break;
  }
}

// rows[0..kLds) = the cache rows of key positions first_pos .. first_pos + n - 1 (wrapping
// modulo ring), then the last of them again up to kLds (a key tile's overhang reads real rows
// and its scores are never used). With buf, F16 rows are converted into buf and rows point there.
inline void chunk_rows(const void* base, std::size_t stride, std::int64_t first_pos, std::int64_t n, std::int64_t ring,
                       std::int64_t d, float* buf, const void** rows) noexcept {
  std::int64_t row = first_pos % ring;
  for (std::int64_t j = 0; j < n; ++j, row = row + 1 == ring ? 0 : row + 1) {
    const auto* src = static_cast<const unsigned char*>(base) + static_cast<std::size_t>(row) * stride;
    rows[j] = src;
    if (buf) {
      float* dst = buf + j * d;
      for (std::int64_t i = 0; i < d; i += 8) Vec8::store(dst + i, Vec8::load_f16(src + 2 * i));
      rows[j] = dst;
    }
  }
  for (std::int64_t j = n; j < kLds; ++j) rows[j] = rows[n - 1];
}

// Turns row r's raw scores s[0..n) of one chunk into weights relative to its running max m
// (soft-capped as the single-query softmax does; -inf stays masked), adding them to the running
// sum l. Returns the factor by which the row's earlier weights and output must be rescaled.
template <class Tr>
inline float online_softmax_chunk(float* s, std::int64_t n, float softcap, float& m, float& l) {
  using B = FloatBatch<Tr>;
  if (softcap > 0.f) {
    const B cap(softcap), inv(1.0f / softcap), masked(-INFINITY);
    map1<Tr>(s, n, s, [cap, inv, masked](auto v) { return xsimd::select(v == masked, v, cap * xsimd::tanh(v * inv)); });
  }
  // Max and sum over lanes first: a scalar loop would be one long dependency chain per row.
  constexpr std::int64_t w = B::size;
  std::int64_t j = 0;
  B vmax(m);
  for (; j + w <= n; j += w) vmax = xsimd::max(vmax, B::load_unaligned(s + j));
  float mc = hmax<Tr>(vmax);
  for (; j < n; ++j) mc = s[j] > mc ? s[j] : mc;
  if (mc == -INFINITY) {  // everything so far masked: nothing to weigh yet
    for (j = 0; j < n; ++j) s[j] = 0.0f;
    return 1.0f;
  }
  const B bm(mc);
  map1<Tr>(s, n, s, [bm](auto v) { return xsimd::exp(v - bm); });
  B vsum(0.0f);
  for (j = 0; j + w <= n; j += w) vsum += B::load_unaligned(s + j);
  float sum = hsum<Tr>(vsum);
  for (; j < n; ++j) sum += s[j];
  const float alpha = m == -INFINITY ? 0.0f : (mc == m ? 1.0f : __builtin_expf(m - mc));
  m = mc;
  l = l * alpha + sum;
  return alpha;
}

template <class Tr, class V>
void attention_block_with(const AttentionBlockArgs& a) {
  const std::int64_t lo = a.window > 0 ? std::max<std::int64_t>(0, a.pos0 - a.window + 1) : 0;
  const std::int64_t span = a.pos0 + a.n_tok - lo;  // keys [lo, lo + span)
  const bool f16 = a.kv_type == DType::F16;
  const std::int64_t d = a.head_dim, n_rows = a.n_tok * a.n_q;
  float* const scores = a.scratch;                 // [n_rows][kLds] scores of one chunk
  float* const run_max = scores + n_rows * kLds;   // [n_rows] running max of each row
  float* const run_sum = run_max + n_rows;         // [n_rows] running sum of its weights
  float* const buf = run_sum + n_rows;             // [kKvChunk][d] staged F16 rows
  // Row r's own keys, as indices into the span: [row_first(r), row_last(r)]. Both are
  // non-decreasing in r, so a tile of rows [r0, r1) spans [row_first(r0), row_last(r1 - 1)].
  auto row_first = [&](std::int64_t r) {
    const std::int64_t p = a.pos0 + r / a.n_q;
    return (a.window > 0 ? std::max<std::int64_t>(0, p - a.window + 1) : 0) - lo;
  };
  auto row_last = [&](std::int64_t r) { return a.pos0 + r / a.n_q - lo; };
  auto q_row = [&](std::int64_t r) { return a.q + (r / a.n_q) * a.q_stride + (r % a.n_q) * d; };
  auto out_row = [&](std::int64_t r) { return a.out + (r / a.n_q) * a.out_stride + (r % a.n_q) * d; };
  const void* rows[kLds];

  for (std::int64_t r = 0; r < n_rows; ++r) {
    run_max[r] = -INFINITY;
    run_sum[r] = 0.0f;
    float* o = out_row(r);
    for (std::int64_t i = 0; i < d; i += 8) _mm256_storeu_ps(o + i, _mm256_setzero_ps());
  }
  for (std::int64_t c0 = 0; c0 < span; c0 += kKvChunk) {
    const std::int64_t nc = std::min(kKvChunk, span - c0);
    // Scores of this chunk, for the row tiles that see any of it.
    chunk_rows(a.k, a.kv_row_stride, lo + c0, nc, a.ring, d, f16 ? buf : nullptr, rows);
    for (std::int64_t r0 = 0; r0 < n_rows; r0 += kRowTile) {
      const std::int64_t nr = std::min<std::int64_t>(kRowTile, n_rows - r0);
      const std::int64_t j0 = std::max(c0, row_first(r0)), j1 = std::min(c0 + nc, row_last(r0 + nr - 1) + 1);
      if (j0 >= j1) continue;
      const float* q[kRowTile];
      float* s[kRowTile];
      for (std::int64_t r = 0; r < nr; ++r) {
        q[r] = q_row(r0 + r);
        s[r] = scores + (r0 + r) * kLds + (j0 - c0);
      }
      qk_rows<V, false>(q, rows + (j0 - c0), j1 - j0, d, a.scale, s, nr);
      // Weights relative to each row's running max; zero for the keys of the tile's range
      // that the row may not see; earlier output rescaled when the max grew.
      for (std::int64_t r = r0; r < r0 + nr; ++r) {
        const std::int64_t f = std::max(j0, row_first(r)), l = std::min(j1, row_last(r) + 1);
        float* sr = scores + r * kLds - c0;  // indexed by span position
        for (std::int64_t j = j0; j < std::min(f, j1); ++j) sr[j] = 0.0f;
        for (std::int64_t j = std::max(l, j0); j < j1; ++j) sr[j] = 0.0f;
        if (f >= l) continue;
        const float alpha = online_softmax_chunk<Tr>(sr + f, l - f, a.softcap, run_max[r], run_sum[r]);
        if (alpha != 1.0f) scale<Tr>(out_row(r), alpha, d, out_row(r));
      }
    }
    // Weighted sum of this chunk's V rows.
    chunk_rows(a.v, a.kv_row_stride, lo + c0, nc, a.ring, d, f16 ? buf : nullptr, rows);
    for (std::int64_t r0 = 0; r0 < n_rows; r0 += kRowTile) {
      const std::int64_t nr = std::min<std::int64_t>(kRowTile, n_rows - r0);
      const std::int64_t j0 = std::max(c0, row_first(r0)), j1 = std::min(c0 + nc, row_last(r0 + nr - 1) + 1);
      if (j0 >= j1) continue;
      // Keys [b, e) for rows [r0, r0 + n) of the tile.
      const auto pv = [&](std::int64_t rb, std::int64_t n, std::int64_t b, std::int64_t e) {
        if (b >= e) return;
        const float* p[kRowTile];
        float* o[kRowTile];
        for (std::int64_t r = 0; r < n; ++r) {
          p[r] = scores + (rb + r) * kLds + (b - c0);
          o[r] = out_row(rb + r);
        }
        pv_rows<V, false>(p, rows + (b - c0), e - b, o, d, n);
      };
      // The keys every row of the tile sees as one tile; each row's other keys alone. A key a
      // row may not see has weight 0, but 0 * Inf or NaN in its V row would still poison the
      // row (a later token's non-finite values must not reach earlier rows).
      const std::int64_t jf = std::max(j0, row_first(r0 + nr - 1)), jl = std::min(j1, row_last(r0) + 1);
      pv(r0, nr, jf, jl);
      for (std::int64_t r = r0; r < r0 + nr; ++r) {
        const std::int64_t f = std::max(j0, row_first(r)), l = std::min(j1, row_last(r) + 1);
        if (jf >= jl) {
          pv(r, 1, f, l);
        } else {
          pv(r, 1, f, std::min(jf, l));
          pv(r, 1, std::max(jl, f), l);
        }
      }
    }
  }
  for (std::int64_t r = 0; r < n_rows; ++r) scale<Tr>(out_row(r), 1.0f / run_sum[r], d, out_row(r));
}

// Decode: one query token, so every row (the n_q heads of the KV head) sees the same keys and
// no other row tile shares a staged row: K and V rows are read (F16 converted) straight from
// the cache, once per tile of up to 4 rows.
template <class Tr, class V, bool F16>
void attention_decode_with(const AttentionBlockArgs& a) {
  const std::int64_t lo = a.window > 0 ? std::max<std::int64_t>(0, a.pos0 - a.window + 1) : 0;
  const std::int64_t span = a.pos0 + 1 - lo, d = a.head_dim, n_q = a.n_q;
  float* const scores = a.scratch;                  // [n_q][kLds] scores of one chunk
  float* const run_max = scores + n_q * kLds;
  float* const run_sum = run_max + n_q;
  const void* krows[kLds];
  const void* vrows[kLds];
  for (std::int64_t r = 0; r < n_q; ++r) {
    run_max[r] = -INFINITY;
    run_sum[r] = 0.0f;
    float* o = a.out + r * d;
    for (std::int64_t i = 0; i < d; i += 8) _mm256_storeu_ps(o + i, _mm256_setzero_ps());
  }
  for (std::int64_t c0 = 0; c0 < span; c0 += kKvChunk) {
    const std::int64_t nc = std::min(kKvChunk, span - c0);
    chunk_rows(a.k, a.kv_row_stride, lo + c0, nc, a.ring, d, nullptr, krows);
    chunk_rows(a.v, a.kv_row_stride, lo + c0, nc, a.ring, d, nullptr, vrows);
    for (std::int64_t r0 = 0; r0 < n_q; r0 += kRowTile) {
      const std::int64_t nr = std::min<std::int64_t>(kRowTile, n_q - r0);
      const float* q[kRowTile];
      float* o[kRowTile];
      float* s[kRowTile];
      for (std::int64_t r = 0; r < nr; ++r) {
        q[r] = a.q + (r0 + r) * d;
        o[r] = a.out + (r0 + r) * d;
        s[r] = scores + (r0 + r) * kLds;
      }
      qk_rows<V, F16>(q, krows, nc, d, a.scale, s, nr);
      for (std::int64_t r = 0; r < nr; ++r) {
        const float alpha = online_softmax_chunk<Tr>(s[r], nc, a.softcap, run_max[r0 + r], run_sum[r0 + r]);
        if (alpha != 1.0f) scale<Tr>(o[r], alpha, d, o[r]);
      }
      pv_rows<V, F16>(s, vrows, nc, o, d, nr);
    }
  }
  for (std::int64_t r = 0; r < n_q; ++r) scale<Tr>(a.out + r * d, 1.0f / run_sum[r], d, a.out + r * d);
}

template <class Tr, class V>
void attention_with(const AttentionBlockArgs& a) {
  if (a.n_tok > 1) return attention_block_with<Tr, V>(a);
  if (a.kv_type == DType::F16) return attention_decode_with<Tr, V, true>(a);
  attention_decode_with<Tr, V, false>(a);
}

template <class Tr>
void attention_block(const AttentionBlockArgs& a) {
  const std::int64_t lo = a.window > 0 ? std::max<std::int64_t>(0, a.pos0 - a.window + 1) : 0;
  const bool ok = (a.kv_type == DType::F32 || a.kv_type == DType::F16) && a.n_tok > 0 && a.n_q > 0 &&
                  a.pos0 >= 0 && a.window >= 0 && a.head_dim > 0 && a.head_dim % 8 == 0 &&
                  a.ring >= a.pos0 + a.n_tok - lo;
  if (!ok) return ref::attention_block(a);
#ifdef __AVX512F__
  if (FloatBatch<Tr>::size == 16 && a.head_dim % 16 == 0) return attention_with<Tr, Vec16>(a);
#endif
  attention_with<Tr, Vec8>(a);
}

}  // namespace SLM_SIMD_ISA_NS
}  // namespace slm::kernels::simd
