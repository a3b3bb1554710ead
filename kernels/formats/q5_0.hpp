#pragma once
// Q5_0: 32 weights in 22 bytes (5.5 bits per weight), symmetric 5-bit.
//
//   d       fp16   the block scale
//   qh[4]   u8     a little-endian u32 whose bit j is the 5th (high) bit of element j
//   qs[16]  u8     byte j holds the low 4 bits of element j (low nibble) and of j+16 (high nibble)
//
// Element value: (q - 16) * d with q = nibble | (bit << 4) in 0..31. Pairs with Q8_0 activations.

#include <cstdint>
#include <cstring>

#include "kernels/formats/float.hpp"

namespace slm::kernels::formats {

struct BlockQ5_0 {
  static constexpr int kElems = 32;
  std::uint16_t d;
  std::uint8_t qh[4];
  std::uint8_t qs[kElems / 2];
};
static_assert(sizeof(BlockQ5_0) == 22, "Q5_0 block must be 22 bytes");

// The 32 unsigned 5-bit values (0..31) of one block.
inline void unpack_q5_0(const BlockQ5_0& b, std::uint8_t q[32]) noexcept {
  std::uint32_t qh;
  std::memcpy(&qh, b.qh, 4);
  for (int j = 0; j < 16; ++j) {
    q[j] = static_cast<std::uint8_t>((b.qs[j] & 0x0f) | (((qh >> j) & 1u) << 4));
    q[j + 16] = static_cast<std::uint8_t>((b.qs[j] >> 4) | (((qh >> (j + 16)) & 1u) << 4));
  }
}

inline void dequantize_q5_0(const BlockQ5_0* b, float* y, std::int64_t n_blocks) noexcept {
  std::uint8_t q[32];
  for (std::int64_t i = 0; i < n_blocks; ++i, y += 32) {
    const float d = fp16_to_f32(b[i].d);
    unpack_q5_0(b[i], q);
    for (int j = 0; j < 32; ++j) y[j] = d * static_cast<float>(q[j] - 16);
  }
}

}  // namespace slm::kernels::formats
