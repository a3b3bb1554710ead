#pragma once
// Q6_K: 256 weights in 210 bytes (6.5625 bits per weight): 16 sub-blocks of 16, each with a
// signed 8-bit scale, symmetric 6-bit values.
//
//   ql[128]     u8    low 4 bits of the values
//   qh[64]      u8    high 2 bits of the values
//   scales[16]  i8    sub-block scales (sub-block s = elements 16s..16s+15)
//   d           fp16  super-block scale (stored LAST)
//
// The block is two halves of 128 elements; half h uses ql[64h..64h+63] and qh[32h..32h+31].
// Within a half, for l < 32 the element at offset l + 32t (t = 0..3) has
//   low 4 bits:  t=0: ql[l] & 15,  t=1: ql[l+32] & 15,  t=2: ql[l] >> 4,  t=3: ql[l+32] >> 4
//   high 2 bits: (qh[l] >> 2t) & 3
// Element value: (d * scales[s]) * (q - 32), q in 0..63. Pairs with Q8_K activations.

#include <cstdint>

#include "kernels/formats/float.hpp"

namespace slm::kernels::formats {

struct BlockQ6_K {
  static constexpr int kElems = 256;
  std::uint8_t ql[kElems / 2];
  std::uint8_t qh[kElems / 4];
  std::int8_t scales[kElems / 16];
  std::uint16_t d;
};
static_assert(sizeof(BlockQ6_K) == 210, "Q6_K block must be 210 bytes");

// The 256 signed values (q - 32, in -32..31) of one block, in element order.
inline void unpack_q6_k(const BlockQ6_K& b, std::int8_t q[256]) noexcept {
  for (int h = 0; h < 2; ++h) {
    const std::uint8_t* ql = b.ql + 64 * h;
    const std::uint8_t* qh = b.qh + 32 * h;
    std::int8_t* out = q + 128 * h;
    for (int l = 0; l < 32; ++l) {
      out[l] = static_cast<std::int8_t>(((ql[l] & 15) | (((qh[l] >> 0) & 3) << 4)) - 32);
      out[l + 32] = static_cast<std::int8_t>(((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4)) - 32);
      out[l + 64] = static_cast<std::int8_t>(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
      out[l + 96] = static_cast<std::int8_t>(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
    }
  }
}

inline void dequantize_q6_k(const BlockQ6_K* b, float* y, std::int64_t n_blocks) noexcept {
  std::int8_t q[256];
  for (std::int64_t i = 0; i < n_blocks; ++i, y += 256) {
    const float d = fp16_to_f32(b[i].d);
    unpack_q6_k(b[i], q);
    for (int s = 0; s < 16; ++s) {
      const float ds = d * static_cast<float>(b[i].scales[s]);
      for (int l = 0; l < 16; ++l) y[16 * s + l] = ds * static_cast<float>(q[16 * s + l]);
    }
  }
}

// Quantizes n_blocks * 256 floats (kernels/formats/q6_k.cpp).
void quantize_q6_k(const float* x, BlockQ6_K* b, std::int64_t n_blocks) noexcept;

}  // namespace slm::kernels::formats
