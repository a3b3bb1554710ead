#pragma once
// Matrix-product drivers shared by the SIMD levels: Y[b][r] = sum_i W[r][i] X[b][i].
//
// Blocking: rows are taken in chunks of kRowChunk (their weight bytes stay in L1/L2), and within
// a chunk the batch in tiles of kBatchTile rows. Each weight block is loaded and unpacked ONCE
// per (row, batch tile) and then dotted against every activation row of the tile, so prefill
// reads the weights batch/kBatchTile times from cache instead of batch times.
//
//   matmul_q8<Tr, K>   integer path: int8 dots of unpacked weight blocks with Q8 activations
//   matmul_f32<Tr, K>  float path: the unpacked block is turned into 32..256 floats in L1, then
//                      FMA'd with the float activations

#include <cstdint>

#include "kernels/kernels.hpp"
#include "kernels/simd/dequant_blocks.hpp"
#include "kernels/simd/int8_blocks.hpp"
#include "kernels/simd/prefetch.hpp"

namespace slm::kernels::simd {
inline namespace SLM_SIMD_ISA_NS {

inline constexpr std::int64_t kRowChunk = 16;
inline constexpr int kBatchTile = 4;

template <class Tr, class K, int N>
void q8_tile(const Matrix& w, const unsigned char* xq, std::size_t act_row, float* y, std::int64_t ldy,
             std::int64_t r0, std::int64_t r1) {
  using WB = typename K::WBlock;
  using AB = typename K::ABlock;
  const std::int64_t nb = w.k / K::kElems;
  const AB* a[N];
  for (int j = 0; j < N; ++j) a[j] = reinterpret_cast<const AB*>(xq + static_cast<std::size_t>(j) * act_row);
  const bool prefetching = N <= 2 && stream_prefetch();
  for (std::int64_t r = r0; r < r1; ++r) {
    const auto* wr = reinterpret_cast<const WB*>(static_cast<const unsigned char*>(w.data) + r * w.row_stride);
    Acc acc[N];
    // Matrix-vector products stream the weights from DRAM (prefetch.hpp).
    const auto* ahead = reinterpret_cast<const char*>(wr) + kPrefetchBytes;
    const bool prefetch = prefetch_inside(prefetching, r, w.n_rows, w.row_stride);
    for (std::int64_t ib = 0; ib < nb; ++ib) {
      if (prefetch)
        for (std::size_t off = 0; off < sizeof(WB); off += 64)
          _mm_prefetch(ahead + static_cast<std::size_t>(ib) * sizeof(WB) + off, _MM_HINT_T1);
      const auto u = K::template unpack<Tr>(wr[ib]);
      for (int j = 0; j < N; ++j) K::template dot<Tr>(u, a[j][ib], acc[j]);
    }
    for (int j = 0; j < N; ++j) y[j * ldy + r] = hsum8(_mm256_add_ps(acc[j].v, acc[j].m));
  }
}

template <class Tr, class K>
void matmul_q8(const Matrix& w, const void* xq, std::int64_t batch, float* y, std::int64_t ldy, std::int64_t r0,
               std::int64_t r1) {
  const std::size_t act_row = static_cast<std::size_t>(w.k / K::kElems) * sizeof(typename K::ABlock);
  const auto* x = static_cast<const unsigned char*>(xq);
  for (std::int64_t rc = r0; rc < r1; rc += kRowChunk) {
    const std::int64_t re = r1 - rc < kRowChunk ? r1 : rc + kRowChunk;
    for (std::int64_t b0 = 0; b0 < batch; b0 += kBatchTile) {
      const unsigned char* xb = x + static_cast<std::size_t>(b0) * act_row;
      float* yb = y + b0 * ldy;
      switch (batch - b0 < kBatchTile ? batch - b0 : kBatchTile) {
        case 1: q8_tile<Tr, K, 1>(w, xb, act_row, yb, ldy, rc, re); break;
        case 2: q8_tile<Tr, K, 2>(w, xb, act_row, yb, ldy, rc, re); break;
        case 3: q8_tile<Tr, K, 3>(w, xb, act_row, yb, ldy, rc, re); break;
        default: q8_tile<Tr, K, 4>(w, xb, act_row, yb, ldy, rc, re); break;
      }
    }
  }
}

template <class Tr, class K, int N>
void f32_tile(const Matrix& w, const float* x, float* y, std::int64_t ldy, std::int64_t r0, std::int64_t r1) {
  using WB = typename K::WBlock;
  constexpr int E = K::kElems;
  const std::int64_t nb = w.k / E;
  alignas(32) float buf[E];
  for (std::int64_t r = r0; r < r1; ++r) {
    const auto* wr = reinterpret_cast<const WB*>(static_cast<const unsigned char*>(w.data) + r * w.row_stride);
    __m256 acc[N];
    for (int j = 0; j < N; ++j) acc[j] = _mm256_setzero_ps();
    for (std::int64_t ib = 0; ib < nb; ++ib) {
      K::template dequant<Tr>(wr[ib], buf);
      for (int j = 0; j < N; ++j) {
        const float* xj = x + j * w.k + ib * E;
        for (int i = 0; i < E; i += 8)
          acc[j] = _mm256_fmadd_ps(_mm256_load_ps(buf + i), _mm256_loadu_ps(xj + i), acc[j]);
      }
    }
    for (int j = 0; j < N; ++j) y[j * ldy + r] = hsum8(acc[j]);
  }
}

template <class Tr, class K>
void matmul_f32(const Matrix& w, const float* x, std::int64_t batch, float* y, std::int64_t ldy, std::int64_t r0,
                std::int64_t r1) {
  for (std::int64_t rc = r0; rc < r1; rc += kRowChunk) {
    const std::int64_t re = r1 - rc < kRowChunk ? r1 : rc + kRowChunk;
    for (std::int64_t b0 = 0; b0 < batch; b0 += kBatchTile) {
      const float* xb = x + b0 * w.k;
      float* yb = y + b0 * ldy;
      switch (batch - b0 < kBatchTile ? batch - b0 : kBatchTile) {
        case 1: f32_tile<Tr, K, 1>(w, xb, yb, ldy, rc, re); break;
        case 2: f32_tile<Tr, K, 2>(w, xb, yb, ldy, rc, re); break;
        case 3: f32_tile<Tr, K, 3>(w, xb, yb, ldy, rc, re); break;
        default: f32_tile<Tr, K, 4>(w, xb, yb, ldy, rc, re); break;
      }
    }
  }
}

}  // namespace SLM_SIMD_ISA_NS
}  // namespace slm::kernels::simd
