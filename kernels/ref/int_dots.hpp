#pragma once
// Integer dot products of one row of quantized weights with one row of quantized activations,
// block by block: the products of the small integers are summed exactly in int32 and the block
// scales applied once per block (or sub-block). SIMD levels may reuse these for row tails.
//
// Each function takes n_blocks blocks of the weight type and the matching activation blocks.

#include <cstdint>

#include "kernels/formats/q4_0.hpp"
#include "kernels/formats/q4_1.hpp"
#include "kernels/formats/q4_k.hpp"
#include "kernels/formats/q5_0.hpp"
#include "kernels/formats/q5_k.hpp"
#include "kernels/formats/q6_k.hpp"
#include "kernels/formats/q8_0.hpp"
#include "kernels/formats/q8_1.hpp"
#include "kernels/formats/q8_k.hpp"

namespace slm::kernels::ref {

using formats::BlockQ4_0;
using formats::BlockQ4_1;
using formats::BlockQ4_K;
using formats::BlockQ5_0;
using formats::BlockQ5_K;
using formats::BlockQ6_K;
using formats::BlockQ8_0;
using formats::BlockQ8_1;
using formats::BlockQ8_K;
using formats::fp16_to_f32;
using formats::k_scale_min;
using formats::unpack_q5_0;
using formats::unpack_q5_k;
using formats::unpack_q6_k;

inline float dot_q4_0_q8_0(const BlockQ4_0* w, const BlockQ8_0* a, std::int64_t n_blocks) noexcept {
  float sum = 0.0f;
  for (std::int64_t i = 0; i < n_blocks; ++i) {
    int s = 0;
    for (int j = 0; j < 16; ++j)
      s += ((w[i].qs[j] & 0x0f) - 8) * a[i].qs[j] + ((w[i].qs[j] >> 4) - 8) * a[i].qs[j + 16];
    sum += static_cast<float>(s) * (fp16_to_f32(w[i].d) * fp16_to_f32(a[i].d));
  }
  return sum;
}

// Q4_1 values are q*d + m, so the dot is d_w*d_a*sum(q_w*q_a) + m * (d_a*sum(q_a)) = ... + m*s_a.
inline float dot_q4_1_q8_1(const BlockQ4_1* w, const BlockQ8_1* a, std::int64_t n_blocks) noexcept {
  float sum = 0.0f;
  for (std::int64_t i = 0; i < n_blocks; ++i) {
    int s = 0;
    for (int j = 0; j < 16; ++j) s += (w[i].qs[j] & 0x0f) * a[i].qs[j] + (w[i].qs[j] >> 4) * a[i].qs[j + 16];
    sum += fp16_to_f32(w[i].d) * fp16_to_f32(a[i].d) * static_cast<float>(s) + fp16_to_f32(w[i].m) * fp16_to_f32(a[i].s);
  }
  return sum;
}

inline float dot_q5_0_q8_0(const BlockQ5_0* w, const BlockQ8_0* a, std::int64_t n_blocks) noexcept {
  float sum = 0.0f;
  std::uint8_t q[32];
  for (std::int64_t i = 0; i < n_blocks; ++i) {
    unpack_q5_0(w[i], q);
    int s = 0;
    for (int j = 0; j < 32; ++j) s += (q[j] - 16) * a[i].qs[j];
    sum += static_cast<float>(s) * (fp16_to_f32(w[i].d) * fp16_to_f32(a[i].d));
  }
  return sum;
}

inline float dot_q8_0_q8_0(const BlockQ8_0* w, const BlockQ8_0* a, std::int64_t n_blocks) noexcept {
  float sum = 0.0f;
  for (std::int64_t i = 0; i < n_blocks; ++i) {
    int s = 0;
    for (int j = 0; j < 32; ++j) s += w[i].qs[j] * a[i].qs[j];
    sum += static_cast<float>(s) * (fp16_to_f32(w[i].d) * fp16_to_f32(a[i].d));
  }
  return sum;
}

// K-quants with minimums: value = d*sc*q - dmin*m, so per block
//   dot = d_w*d_a*sum_s sc_s*sum(q_w*q_a) - dmin_w*d_a*sum_s m_s*(sum of q_a in sub-block s),
// and the second sum comes from the Q8_K bsums (two groups of 16 per 32-element sub-block).
inline float k_block_sum(const std::uint8_t* q, const std::uint8_t* scales, float d, float dmin,
                         const BlockQ8_K& a) noexcept {
  int sumi = 0, summ = 0;
  for (int s = 0; s < 8; ++s) {
    int sc, m;
    k_scale_min(scales, s, sc, m);
    int dot = 0;
    for (int l = 0; l < 32; ++l) dot += q[32 * s + l] * a.qs[32 * s + l];
    sumi += sc * dot;
    summ += m * (a.bsums[2 * s] + a.bsums[2 * s + 1]);
  }
  return d * a.d * static_cast<float>(sumi) - dmin * a.d * static_cast<float>(summ);
}

inline float dot_q4_k_q8_k(const BlockQ4_K* w, const BlockQ8_K* a, std::int64_t n_blocks) noexcept {
  float sum = 0.0f;
  std::uint8_t q[256];
  for (std::int64_t i = 0; i < n_blocks; ++i) {
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l) {
        q[64 * c + l] = w[i].qs[32 * c + l] & 0x0f;
        q[64 * c + 32 + l] = w[i].qs[32 * c + l] >> 4;
      }
    sum += k_block_sum(q, w[i].scales, fp16_to_f32(w[i].d), fp16_to_f32(w[i].dmin), a[i]);
  }
  return sum;
}

inline float dot_q5_k_q8_k(const BlockQ5_K* w, const BlockQ8_K* a, std::int64_t n_blocks) noexcept {
  float sum = 0.0f;
  std::uint8_t q[256];
  for (std::int64_t i = 0; i < n_blocks; ++i) {
    unpack_q5_k(w[i], q);
    sum += k_block_sum(q, w[i].scales, fp16_to_f32(w[i].d), fp16_to_f32(w[i].dmin), a[i]);
  }
  return sum;
}

inline float dot_q6_k_q8_k(const BlockQ6_K* w, const BlockQ8_K* a, std::int64_t n_blocks) noexcept {
  float sum = 0.0f;
  std::int8_t q[256];
  for (std::int64_t i = 0; i < n_blocks; ++i) {
    unpack_q6_k(w[i], q);
    int sumi = 0;
    for (int s = 0; s < 16; ++s) {
      int dot = 0;
      for (int l = 0; l < 16; ++l) dot += q[16 * s + l] * a[i].qs[16 * s + l];
      sumi += w[i].scales[s] * dot;
    }
    sum += fp16_to_f32(w[i].d) * a[i].d * static_cast<float>(sumi);
  }
  return sum;
}

}  // namespace slm::kernels::ref
