#pragma once
// Q4_K x Q8_K on 512-bit AVX512-VNNI, the prefill workhorse (included by table_avx512.cpp only).
//
// One 64-element chunk of a Q4_K block (32 bytes of nibbles: low = sub-block 2c, high = 2c+1) is
// one zmm of unsigned values matching 64 contiguous activation bytes, so a chunk is one vpdpbusd.
// The per-sub-block 6-bit scales are applied without a 32-bit multiply: each vpdpbusd lane holds
// a sum of 4 products |q a| <= 4 * 15 * 127 = 7620, which fits int16, so two chunks' partial sums
// are packed to int16 (vpackssdw, never saturating) and multiplied by the scales with vpdpwssd.
// Per 256 weights and activation row: 4 vpdpbusd + 2 vpackssdw + 2 vpdpwssd, then one
// int->float conversion and FMA (plus the minimum term through the Q8_K bsums).
//
// A weight block is unpacked once and dotted with up to kTile activation rows.

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "kernels/formats/q4_k.hpp"
#include "kernels/formats/q8_k.hpp"
#include "kernels/kernels.hpp"
#include "kernels/simd/prefetch.hpp"

namespace slm::kernels::arch::avx512 {

// The 16-byte heads (d, dmin, the 12 scale bytes) of up to four consecutive blocks, one block per
// 128-bit lane, decoded together with a few vector operations. Decoding each block's scales with
// ~20 scalar instructions instead held the DRAM-cycled matrix-vector product at 85-87% of the
// read bandwidth; with this decode it reads 88-93% (docs/kernels.md).
struct Q4KHeads {
  __m512i sm;  // lane b: bytes sc[0..3], m[0..3], sc[4..7], m[4..7] of block b (layout in q4_k.hpp)
  __m256 dd;   // d, dmin of block 0, d, dmin of block 1, ...
};

inline Q4KHeads decode_heads(const formats::BlockQ4_K* b, int n) noexcept {
  static_assert(offsetof(formats::BlockQ4_K, scales) == 4, "head = d, dmin, scales");
  // Lanes past n stay zero (d = dmin = 0), which add_min_terms relies on.
  __m512i v = _mm512_zextsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b)));
  if (n > 1) v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 1)), 1);
  if (n > 2) v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 2)), 2);
  if (n > 3) v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 3)), 3);
  // Dwords of a lane: [d|dmin, w0, w1, w2], w = scale bytes 0-3, 4-7, 8-11. Wanted:
  // [w0 & 0x3f.., w1 & 0x3f.., (w2 & 0x0f..) | ((w0 >> 6) & 3..) << 4, ((w2 >> 4) & 0x0f..) | ((w1 >> 6) & 3..) << 4].
  const __m512i lo = _mm512_and_si512(
      _mm512_srlv_epi32(_mm512_shuffle_epi32(v, _MM_PERM_DDCB), _mm512_set4_epi32(4, 0, 0, 0)),
      _mm512_set4_epi32(0x0f0f0f0f, 0x0f0f0f0f, 0x3f3f3f3f, 0x3f3f3f3f));
  const __m512i hi = _mm512_srli_epi32(_mm512_shuffle_epi32(v, _MM_PERM_CBAA), 2);
  Q4KHeads h;
  // lo | (hi & mask) in one vpternlogd (0xf8 = A | (B & C)).
  h.sm = _mm512_ternarylogic_epi32(lo, hi, _mm512_set4_epi32(0x30303030, 0x30303030, 0, 0), 0xf8);
  const __m512i heads = _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), v);
  h.dd = _mm256_cvtph_ps(_mm512_castsi512_si128(heads));
  return h;
}

struct Q4KUnpacked {
  __m512i q[4];       // chunk c: 32 low nibbles | 32 high nibbles
  __m512i s01, s23;   // int16 scales laid out like packs(P0, P1) and packs(P2, P3)
  __m512 d;           // d, broadcast
};

// u's scales and d for block i of the group whose heads are h: lane i of h.sm to all four lanes,
// then bytes to int16 words by idx01 (index -1 = zero; sc[0..3] for packs(P0, P1), the same
// pattern 8 bytes on, sc[4..7], for packs(P2, P3)).
inline void set_scales(const Q4KHeads& h, int i, __m512i idx01, Q4KUnpacked& u) noexcept {
  const __m512i r = _mm512_permutexvar_epi32(
      _mm512_add_epi32(_mm512_set1_epi32(4 * i), _mm512_set4_epi32(3, 2, 1, 0)), h.sm);
  u.s01 = _mm512_shuffle_epi8(r, idx01);
  u.s23 = _mm512_shuffle_epi8(r, _mm512_add_epi16(idx01, _mm512_set1_epi16(8)));
  u.d = _mm512_permutexvar_ps(_mm512_set1_epi32(2 * i), _mm512_castps256_ps512(h.dd));
}

// Block i of the group whose heads are h (i < 4).
inline Q4KUnpacked unpack_q4k(const formats::BlockQ4_K& b, const Q4KHeads& h, int i) noexcept {
  Q4KUnpacked u;
  // Broadcast the 32 bytes to both halves (a load-port uop) and shift only the upper half: no
  // 256-bit insert, which would compete with the packs and permutes below for port 5.
  const __m512i m4 = _mm512_set1_epi8(0x0f);
  const __m512i hi_half = _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0);
  for (int c = 0; c < 4; ++c) {
    const __m512i x = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * c)));
    u.q[c] = _mm512_and_si512(_mm512_srlv_epi64(x, hi_half), m4);
  }
  // 128-bit lane L of packs(Pa, Pb): 4 words of Pa's lanes 4L.. then 4 of Pb's; lanes 0-7 of a
  // chunk's P are its low sub-block, lanes 8-15 its high one: lanes 0-1 want sc[0], sc[2], lanes
  // 2-3 sc[1], sc[3].
  set_scales(h, i,
             _mm512_set_epi8(  //
                 -1, 3, -1, 3, -1, 3, -1, 3, -1, 1, -1, 1, -1, 1, -1, 1, -1, 3, -1, 3, -1, 3, -1, 3, -1, 1, -1, 1, -1, 1, -1, 1,
                 -1, 2, -1, 2, -1, 2, -1, 2, -1, 0, -1, 0, -1, 0, -1, 0, -1, 2, -1, 2, -1, 2, -1, 2, -1, 0, -1, 0, -1, 0, -1, 0),
             u);
  return u;
}

// Block i of the group whose heads are h, for activations whose blocks are reordered by
// reorder_pairs (sub-blocks 0, 2, 1, 3, 4, 6, 5, 7): chunk pair (2c, 2c + 1)'s 64 bytes are one load
// whose low nibbles are sub-blocks 4c and 4c + 2 and whose high nibbles are 4c + 1 and 4c + 3, so the
// nibbles need two loads, two shifts and four ANDs instead of four broadcasts, four variable
// shifts and four ANDs: the kernel benchmark slm/Q4_K/4096x4096/b1/t1 75 -> 95 GFLOP/s, engine
// decode +5-8% at 1 and 2 threads on this AMD host (docs/kernels.md, "Session 12"). Matrix-vector
// products only: the reordered copy of the one activation row is made once per call.
inline Q4KUnpacked unpack_q4k_pairs(const formats::BlockQ4_K& b, const Q4KHeads& h, int i) noexcept {
  Q4KUnpacked u;
  const __m512i m4 = _mm512_set1_epi8(0x0f);
  const __m512i x0 = _mm512_loadu_si512(b.qs), x1 = _mm512_loadu_si512(b.qs + 64);
  u.q[0] = _mm512_and_si512(x0, m4);
  u.q[1] = _mm512_and_si512(_mm512_srli_epi16(x0, 4), m4);
  u.q[2] = _mm512_and_si512(x1, m4);
  u.q[3] = _mm512_and_si512(_mm512_srli_epi16(x1, 4), m4);
  // packs(P0, P1) now holds sub-blocks 0 and 1 in lanes 0-1, 2 and 3 in lanes 2-3.
  set_scales(h, i,
             _mm512_set_epi8(  //
                 -1, 3, -1, 3, -1, 3, -1, 3, -1, 2, -1, 2, -1, 2, -1, 2, -1, 3, -1, 3, -1, 3, -1, 3, -1, 2, -1, 2, -1, 2, -1, 2,
                 -1, 1, -1, 1, -1, 1, -1, 1, -1, 0, -1, 0, -1, 0, -1, 0, -1, 1, -1, 1, -1, 1, -1, 1, -1, 0, -1, 0, -1, 0, -1, 0),
             u);
  return u;
}

// The 256 quants of each of nb activation blocks with sub-blocks 1 and 2, and 5 and 6, swapped
// (the order unpack_q4k_pairs's nibbles come in).
inline void reorder_pairs(const formats::BlockQ8_K* a, std::int64_t nb, std::int8_t* out) noexcept {
  for (std::int64_t ib = 0; ib < nb; ++ib) {
    const auto* q = reinterpret_cast<const __m256i*>(a[ib].qs);
    auto* o = reinterpret_cast<__m256i*>(out + ib * 256);
    for (int h = 0; h < 8; h += 4) {
      _mm256_storeu_si256(o + h, _mm256_loadu_si256(q + h));
      _mm256_storeu_si256(o + h + 1, _mm256_loadu_si256(q + h + 2));
      _mm256_storeu_si256(o + h + 2, _mm256_loadu_si256(q + h + 1));
      _mm256_storeu_si256(o + h + 3, _mm256_loadu_si256(q + h + 3));
    }
  }
}

// The activation side of the minimum term, once per activation block and tile instead of once
// per weight row: the 8 sub-block sums bsum_2s + bsum_2s+1 (|sum| <= 32 * 128, int16) and d_a
// four times, so that four consecutive blocks' values are one 512-bit load each.
struct ActSums {
  std::int16_t* sums;  // [row][block][8]
  float* da;           // [row][block][4]
};

inline void fill_act_sums(const formats::BlockQ8_K& a, std::int16_t* sums, float* da) noexcept {
  for (int s = 0; s < 8; ++s) sums[s] = static_cast<std::int16_t>(a.bsums[2 * s] + a.bsums[2 * s + 1]);
  for (int k = 0; k < 4; ++k) da[k] = a.d;
}

// Adds the minimum term of the blocks of a head group, sum_b dmin_b * d_a,b * sum_s m_b,s * sums_b,s,
// to lanes 4b..4b+3 of accm, for n <= 4 blocks: the 6-bit m of four blocks widened to one vector of 32
// int16 and dotted with the sums by one vpdpwssd. Per block in float, as before, the kernel was
// 6% slower on Zen 4 in the L3-resident benchmark, and the engine's one-thread decode spent 710-790
// instead of 702-732 ms in its FFN sublayers (docs/kernels.md, "Session 11").
inline void add_min_terms(const Q4KHeads& h, int n, const std::int16_t* sums, const float* da, __m512& accm) noexcept {
  const auto mask = static_cast<__mmask16>((1u << (4 * n)) - 1);
  // Lane b: m[0..3] (bytes 4-7) then m[4..7] (bytes 12-15) in its low 8 bytes; those four
  // quadwords together; bytes to words.
  const __m512i idx = _mm512_set4_epi32(-1, -1, 0x0f0e0d0c, 0x07060504);
  const __m512i mq = _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 2, 4, 6, 0, 0, 0, 0), _mm512_shuffle_epi8(h.sm, idx));
  const __m512i m16 = _mm512_cvtepu8_epi16(_mm512_castsi512_si256(mq));
  const __m512i p = _mm512_dpwssd_epi32(_mm512_setzero_si512(), m16, _mm512_maskz_loadu_epi32(mask, sums));
  const __m512 dmin = _mm512_permutexvar_ps(_mm512_setr_epi32(1, 1, 1, 1, 3, 3, 3, 3, 5, 5, 5, 5, 7, 7, 7, 7),
                                            _mm512_castps256_ps512(h.dd));
  accm = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), _mm512_mul_ps(dmin, _mm512_maskz_loadu_ps(mask, da)), accm);
}

// The 4 chunks of unsigned weights q (64 elements each) dotted with the block's 256 activations,
// each lane's sum (< 2^15) scaled by its sub-block scale: packs(P0, P1) and packs(P2, P3) times
// s01 and s23, which hold the scales in that packed layout. Shared with avx512_q6k.hpp.
inline __m512i scaled_block_dot(const __m512i (&q)[4], __m512i s01, __m512i s23, const std::int8_t* qs) noexcept {
  const __m512i z = _mm512_setzero_si512();
  const auto* aq = reinterpret_cast<const __m512i*>(qs);
  const __m512i p0 = _mm512_dpbusd_epi32(z, q[0], _mm512_loadu_si512(aq));
  const __m512i p1 = _mm512_dpbusd_epi32(z, q[1], _mm512_loadu_si512(aq + 1));
  const __m512i p2 = _mm512_dpbusd_epi32(z, q[2], _mm512_loadu_si512(aq + 2));
  const __m512i p3 = _mm512_dpbusd_epi32(z, q[3], _mm512_loadu_si512(aq + 3));
  return _mm512_dpwssd_epi32(_mm512_dpwssd_epi32(z, _mm512_packs_epi32(p0, p1), s01), _mm512_packs_epi32(p2, p3), s23);
}

// The 16 lanes of v added (row results of the 512-bit kernels).
inline float hsum512(__m512 v) noexcept {
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

// u dotted with 256 activation quants qs of scale d_a (a block's own, or its reorder_pairs copy).
inline void dot_q4k(const Q4KUnpacked& u, const std::int8_t* qs, float d_a, __m512& acc) noexcept {
  const __m512i sumi = scaled_block_dot(u.q, u.s01, u.s23, qs);
  acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sumi), _mm512_mul_ps(u.d, _mm512_set1_ps(d_a)), acc);
}

// Row lengths up to kMaxBlocks * 256 take this path (the per-tile activation sums live on the
// stack: kernels never allocate).
inline constexpr std::int64_t kMaxBlocks = 256;

template <int N>
void q4k_tile(const Matrix& w, const unsigned char* xq, std::size_t act_row, const ActSums& as, float* y,
              std::int64_t ldy, std::int64_t r0, std::int64_t r1, const std::int8_t* pairs = nullptr) {
  const std::int64_t nb = w.k / 256;
  const formats::BlockQ8_K* a[N];
  for (int j = 0; j < N; ++j) a[j] = reinterpret_cast<const formats::BlockQ8_K*>(xq + static_cast<std::size_t>(j) * act_row);
  const bool prefetching = N <= 2 && stream_prefetch();
  for (std::int64_t r = r0; r < r1; ++r) {
    const auto* wr = reinterpret_cast<const formats::BlockQ4_K*>(static_cast<const unsigned char*>(w.data) + r * w.row_stride);
    __m512 acc[N], accm[N];
    for (int j = 0; j < N; ++j) acc[j] = accm[j] = _mm512_setzero_ps();
    // Matrix-vector products stream the weights from DRAM: prefetch into L2 (T1) ahead of the
    // reads (simd/prefetch.hpp; the hardware prefetcher alone leaves a third of the bandwidth
    // unused here). 1.11 GiB cycled, 2 threads, 8 rows ahead: T0 (4 rows) 20.9 GB/s, T1 22.0, T2
    // 21.1, NTA 8.7 (probe 26.4-27.6); T1 3 KiB ahead read 2-4% more than T1 8 rows (session 6).
    const auto* ahead = reinterpret_cast<const char*>(wr) + kPrefetchBytes;
    const bool prefetch = simd::prefetch_inside(prefetching, r, w.n_rows, w.row_stride);
    // Blocks in groups of four sharing one head decode. The prefetches stay three per block
    // (overlapping lines): issuing a group's nine at once read ~15% less from DRAM, one per line
    // (simd::LinePrefetch) 5-15% less (docs/kernels.md).
    const auto group = [&](std::int64_t g, auto n) {
      const Q4KHeads h = decode_heads(wr + g, n);
      for (int i = 0; i < n; ++i) {
        if (prefetch) {
          _mm_prefetch(ahead + (g + i) * 144, _MM_HINT_T1);
          _mm_prefetch(ahead + (g + i) * 144 + 64, _MM_HINT_T1);
          _mm_prefetch(ahead + (g + i) * 144 + 128, _MM_HINT_T1);
        }
        if constexpr (N == 1) {
          if (pairs) {
            dot_q4k(unpack_q4k_pairs(wr[g + i], h, i), pairs + (g + i) * 256, a[0][g + i].d, acc[0]);
            continue;
          }
        }
        const Q4KUnpacked u = unpack_q4k(wr[g + i], h, i);
        for (int j = 0; j < N; ++j) dot_q4k(u, a[j][g + i].qs, a[j][g + i].d, acc[j]);
      }
      for (int j = 0; j < N; ++j)
        add_min_terms(h, n, as.sums + (j * nb + g) * 8, as.da + (j * nb + g) * 4, accm[j]);
    };
    std::int64_t g = 0;
    for (; g + 4 <= nb; g += 4) group(g, std::integral_constant<int, 4>{});
    if (g < nb) group(g, static_cast<int>(nb - g));
    for (int j = 0; j < N; ++j)
      y[j * ldy + r] = hsum512(_mm512_sub_ps(acc[j], accm[j]));
  }
}

// Calls f(std::integral_constant<int, N>{}) for N = n (1..8; more counts as 8): the tile
// kernels take their number of activation rows as a template parameter, so that their
// accumulators stay in registers. Shared with avx512_q6k.hpp.
template <class F>
inline void with_tile_rows(std::int64_t n, F&& f) {
  switch (n) {
    case 1: return f(std::integral_constant<int, 1>{});
    case 2: return f(std::integral_constant<int, 2>{});
    case 3: return f(std::integral_constant<int, 3>{});
    case 4: return f(std::integral_constant<int, 4>{});
    case 5: return f(std::integral_constant<int, 5>{});
    case 6: return f(std::integral_constant<int, 6>{});
    case 7: return f(std::integral_constant<int, 7>{});
    default: return f(std::integral_constant<int, 8>{});
  }
}

// Batches of up to 8 (decode): one pass over the rows. Larger: rows in chunks of 16 (their
// weights stay in L1/L2 across the batch tiles), batch in tiles of 8.
inline void matmul_q4k(const Matrix& w, const void* xq, std::int64_t batch, float* y, std::int64_t ldy,
                       std::int64_t r0, std::int64_t r1) {
  constexpr std::int64_t kRows = 16;
  constexpr std::int64_t kTile = 8;
  const std::size_t act_row = static_cast<std::size_t>(w.k / 256) * sizeof(formats::BlockQ8_K);
  const std::int64_t nb = w.k / 256;
  const auto* x = static_cast<const unsigned char*>(xq);
  alignas(64) std::int16_t sums[kTile * kMaxBlocks * 8];
  alignas(64) float da[kTile * kMaxBlocks * 4];
  const ActSums as{sums, da};
  const auto fill_sums = [&](const unsigned char* xb, std::int64_t nt) {
    for (std::int64_t j = 0; j < nt; ++j) {
      const auto* a = reinterpret_cast<const formats::BlockQ8_K*>(xb + static_cast<std::size_t>(j) * act_row);
      for (std::int64_t ib = 0; ib < nb; ++ib) fill_act_sums(a[ib], sums + (j * nb + ib) * 8, da + (j * nb + ib) * 4);
    }
  };
  if (batch == 1) {  // matrix-vector: the activation reordered once for unpack_q4k_pairs
    alignas(64) std::int8_t pairs[kMaxBlocks * 256];
    fill_sums(x, 1);
    reorder_pairs(reinterpret_cast<const formats::BlockQ8_K*>(x), nb, pairs);
    return q4k_tile<1>(w, x, act_row, as, y, ldy, r0, r1, pairs);
  }
  if (batch <= kTile) {  // one tile (decode): its activation sums once, then every row in one pass
    fill_sums(x, batch);
    with_tile_rows(batch, [&](auto n) { q4k_tile<decltype(n)::value>(w, x, act_row, as, y, ldy, r0, r1); });
    return;
  }
  for (std::int64_t rc = r0; rc < r1; rc += kRows) {
    const std::int64_t re = r1 - rc < kRows ? r1 : rc + kRows;
    for (std::int64_t b0 = 0; b0 < batch; b0 += kTile) {
      const unsigned char* xb = x + static_cast<std::size_t>(b0) * act_row;
      const std::int64_t nt = batch - b0 < kTile ? batch - b0 : kTile;
      fill_sums(xb, nt);
      with_tile_rows(nt, [&](auto n) { q4k_tile<decltype(n)::value>(w, xb, act_row, as, y + b0 * ldy, ldy, rc, re); });
    }
  }
}

}  // namespace slm::kernels::arch::avx512
