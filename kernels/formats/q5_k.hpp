#pragma once
// Q5_K: 256 weights in 176 bytes (5.5 bits per weight): Q4_K plus one high bit per element.
//
//   d, dmin, scales[12]   exactly as in Q4_K (kernels/formats/q4_k.hpp)
//   qh[32]      u8      high bits: element l + 32*t (l < 32, t < 8) has its 5th bit in bit t of qh[l]
//   qs[128]     u8      low 4 bits, arranged as Q4_K's qs
//
// Element value of sub-block s: (d * sc[s]) * q - (dmin * m[s]), q = nibble | bit << 4 in 0..31.
// Pairs with Q8_K activations. slm only reads Q5_K (no quantizer).

#include <cstdint>

#include "kernels/formats/q4_k.hpp"

namespace slm::kernels::formats {

struct BlockQ5_K {
  static constexpr int kElems = 256;
  std::uint16_t d;
  std::uint16_t dmin;
  std::uint8_t scales[12];
  std::uint8_t qh[kElems / 8];
  std::uint8_t qs[kElems / 2];
};
static_assert(sizeof(BlockQ5_K) == 176, "Q5_K block must be 176 bytes");

// The 256 unsigned 5-bit values (0..31) of one block, in element order.
inline void unpack_q5_k(const BlockQ5_K& b, std::uint8_t q[256]) noexcept {
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l) {
      const std::uint8_t v = b.qs[32 * c + l];
      q[64 * c + l] = static_cast<std::uint8_t>((v & 0x0f) | (((b.qh[l] >> (2 * c)) & 1) << 4));
      q[64 * c + 32 + l] = static_cast<std::uint8_t>((v >> 4) | (((b.qh[l] >> (2 * c + 1)) & 1) << 4));
    }
  }
}

inline void dequantize_q5_k(const BlockQ5_K* b, float* y, std::int64_t n_blocks) noexcept {
  std::uint8_t q[256];
  for (std::int64_t i = 0; i < n_blocks; ++i, y += 256) {
    const float d = fp16_to_f32(b[i].d);
    const float dmin = fp16_to_f32(b[i].dmin);
    unpack_q5_k(b[i], q);
    for (int s = 0; s < 8; ++s) {
      int sc, m;
      k_scale_min(b[i].scales, s, sc, m);
      const float ds = d * static_cast<float>(sc), ms = dmin * static_cast<float>(m);
      for (int l = 0; l < 32; ++l) {
        const float t = ds * static_cast<float>(q[32 * s + l]);
        y[32 * s + l] = t - ms;
      }
    }
  }
}

}  // namespace slm::kernels::formats
