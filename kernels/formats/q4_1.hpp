#pragma once
// Q4_1: 32 weights in 20 bytes (5 bits per weight), asymmetric 4-bit (scale and minimum).
//
//   d       fp16   the block scale
//   m       fp16   the block minimum (offset)
//   qs[16]  u8     byte j holds element j in its low nibble and element j+16 in its high nibble
//
// Element value: nibble * d + m, nibble in 0..15. Pairs with Q8_1 activations, whose stored
// sum lets the integer dot add m * sum(x) without touching the elements again.

#include <cstdint>

#include "kernels/formats/float.hpp"

namespace slm::kernels::formats {

struct BlockQ4_1 {
  static constexpr int kElems = 32;
  std::uint16_t d;
  std::uint16_t m;
  std::uint8_t qs[kElems / 2];
};
static_assert(sizeof(BlockQ4_1) == 20, "Q4_1 block must be 20 bytes");

inline void dequantize_q4_1(const BlockQ4_1* b, float* y, std::int64_t n_blocks) noexcept {
  for (std::int64_t i = 0; i < n_blocks; ++i, y += 32) {
    const float d = fp16_to_f32(b[i].d);
    const float m = fp16_to_f32(b[i].m);
    for (int j = 0; j < 16; ++j) {
      // Written as two statements so no compiler fuses them into an FMA: the result must be
      // bit-identical to the unfused (d * q) + m that ggml and the gguf package compute.
      const float lo = d * static_cast<float>(b[i].qs[j] & 0x0f);
      const float hi = d * static_cast<float>(b[i].qs[j] >> 4);
      y[j] = lo + m;
      y[j + 16] = hi + m;
    }
  }
}

}  // namespace slm::kernels::formats
