#pragma once
// Q4_0: 32 weights in 18 bytes (4.5 bits per weight), symmetric 4-bit.
//
//   d       fp16   the block scale
//   qs[16]  u8     byte j holds element j in its low nibble and element j+16 in its high nibble
//
// Element value: (nibble - 8) * d, nibble in 0..15. Pairs with Q8_0 activations.

#include <cstdint>

#include "kernels/formats/float.hpp"

namespace slm::kernels::formats {

struct BlockQ4_0 {
  static constexpr int kElems = 32;
  std::uint16_t d;
  std::uint8_t qs[kElems / 2];
};
static_assert(sizeof(BlockQ4_0) == 18, "Q4_0 block must be 18 bytes");

inline void dequantize_q4_0(const BlockQ4_0* b, float* y, std::int64_t n_blocks) noexcept {
  for (std::int64_t i = 0; i < n_blocks; ++i, y += 32) {
    const float d = fp16_to_f32(b[i].d);
    for (int j = 0; j < 16; ++j) {
      y[j] = d * static_cast<float>((b[i].qs[j] & 0x0f) - 8);
      y[j + 16] = d * static_cast<float>((b[i].qs[j] >> 4) - 8);
    }
  }
}

}  // namespace slm::kernels::formats
