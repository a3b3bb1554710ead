#pragma once
// Q4_K: 256 weights in 144 bytes (4.5 bits per weight): a super-block of 8 sub-blocks of 32,
// each sub-block with its own 6-bit scale and 6-bit minimum.
//
//   d           fp16    super-block scale of the sub-block scales
//   dmin        fp16    super-block scale of the sub-block minimums
//   scales[12]  u8      8 scales sc[s] and 8 minimums m[s], 6 bits each, packed:
//                         bytes 0-3:  sc[0..3] in bits 0-5, bits 4-5 of sc[4..7] in bits 6-7
//                         bytes 4-7:  m[0..3]  in bits 0-5, bits 4-5 of m[4..7]  in bits 6-7
//                         bytes 8-11: low 4 bits of sc[4..7] (low nibble), of m[4..7] (high nibble)
//   qs[128]     u8      4-bit values; the 256 elements are 4 chunks of 64: chunk c uses bytes
//                       32c..32c+31, whose low nibbles are sub-block 2c and high nibbles 2c+1
//
// Element value of sub-block s: (d * sc[s]) * q - (dmin * m[s]), q in 0..15.
// Pairs with Q8_K activations.

#include <cstdint>

#include "kernels/formats/float.hpp"

namespace slm::kernels::formats {

struct BlockQ4_K {
  static constexpr int kElems = 256;
  std::uint16_t d;
  std::uint16_t dmin;
  std::uint8_t scales[12];
  std::uint8_t qs[kElems / 2];
};
static_assert(sizeof(BlockQ4_K) == 144, "Q4_K block must be 144 bytes");

// Scale and minimum of sub-block s (0..7) from the 12 packed bytes (shared with Q5_K).
inline void k_scale_min(const std::uint8_t* s, int j, int& sc, int& m) noexcept {
  if (j < 4) {
    sc = s[j] & 63;
    m = s[j + 4] & 63;
  } else {
    sc = (s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4);
    m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

// Inverse of k_scale_min: packs 8 scales and 8 minimums (each 0..63).
inline void k_pack_scale_min(const std::uint8_t sc[8], const std::uint8_t m[8], std::uint8_t s[12]) noexcept {
  for (int j = 0; j < 4; ++j) {
    s[j] = static_cast<std::uint8_t>((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
    s[j + 4] = static_cast<std::uint8_t>((m[j] & 63) | ((m[j + 4] >> 4) << 6));
    s[j + 8] = static_cast<std::uint8_t>((sc[j + 4] & 0x0f) | ((m[j + 4] & 0x0f) << 4));
  }
}

inline void dequantize_q4_k(const BlockQ4_K* b, float* y, std::int64_t n_blocks) noexcept {
  for (std::int64_t i = 0; i < n_blocks; ++i) {
    const float d = fp16_to_f32(b[i].d);
    const float dmin = fp16_to_f32(b[i].dmin);
    for (int c = 0; c < 4; ++c) {
      int sc0, m0, sc1, m1;
      k_scale_min(b[i].scales, 2 * c, sc0, m0);
      k_scale_min(b[i].scales, 2 * c + 1, sc1, m1);
      const float d0 = d * static_cast<float>(sc0), mm0 = dmin * static_cast<float>(m0);
      const float d1 = d * static_cast<float>(sc1), mm1 = dmin * static_cast<float>(m1);
      const std::uint8_t* q = b[i].qs + 32 * c;
      for (int l = 0; l < 32; ++l) {
        const float lo = d0 * static_cast<float>(q[l] & 0x0f);
        const float hi = d1 * static_cast<float>(q[l] >> 4);
        y[l] = lo - mm0;
        y[l + 32] = hi - mm1;
      }
      y += 64;
    }
  }
}

// Quantizes n_blocks * 256 floats (kernels/formats/q4_k.cpp).
void quantize_q4_k(const float* x, BlockQ4_K* b, std::int64_t n_blocks) noexcept;

}  // namespace slm::kernels::formats
