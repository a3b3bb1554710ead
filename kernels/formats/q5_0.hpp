#pragma once
// Q5_0: 32 weights in 22 bytes (5.5 bits per weight), symmetric 5-bit.
//
//   d       fp16   the block scale
//   qh[4]   u8     a little-endian u32 whose bit j is the 5th (high) bit of element j
//   qs[16]  u8     byte j holds the low 4 bits of element j (low nibble) and of j+16 (high nibble)
//
// Element value: (q - 16) * d with q = nibble | (bit << 4) in 0..31. Pairs with Q8_0 activations.
// Quantization (llama.cpp's reference, which llama-quantize uses without an imatrix): m is the
// element of largest magnitude (sign kept, first one on ties), d = m / -16, and
// q = min(31, trunc(x / d + 16.5)); so m itself maps to q = 0 and the opposite extreme clamps to 31.

#include <algorithm>
#include <cmath>
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

inline void quantize_q5_0(const float* x, BlockQ5_0* b, std::int64_t n_blocks) noexcept {
  for (std::int64_t i = 0; i < n_blocks; ++i, x += 32) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 32; ++j) {
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = f32_to_fp16(d);
    std::uint32_t qh = 0;
    // t = v + 16.5 lies in [0.5, 32.5] for normal input. Blocks so tiny that 1/d overflows give
    // inf/NaN; llama.cpp converts with (int8_t)t, which on x86 truncates to int32 (0x80000000
    // when out of range) and keeps the low byte. Emulated exactly so codes match bit for bit;
    // such blocks have an fp16 scale of 0, so every value is 0 whatever the codes.
    auto q5 = [](float v) -> std::uint32_t {
      const float t = v + 16.5f;
      const std::uint32_t i = std::fabs(t) < 2147483648.0f ? static_cast<std::uint32_t>(static_cast<std::int32_t>(t))
                                                          : 0x80000000u;
      return std::min<std::uint32_t>(31, i & 0xffu);
    };
    for (int j = 0; j < 16; ++j) {
      const std::uint32_t q0 = q5(x[j] * id), q1 = q5(x[j + 16] * id);
      b[i].qs[j] = static_cast<std::uint8_t>((q0 & 0x0f) | ((q1 & 0x0f) << 4));
      qh |= ((q0 >> 4) & 1u) << j;
      qh |= ((q1 >> 4) & 1u) << (j + 16);
    }
    std::memcpy(b[i].qh, &qh, 4);
  }
}

}  // namespace slm::kernels::formats
