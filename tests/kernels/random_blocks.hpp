#pragma once
// Test helper: rows of any supported weight type filled with random bytes whose fp16 scales
// are overwritten with finite values of a sensible magnitude, so every bit pattern of the
// quantized values is exercised without inf/NaN scales.

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/dtype.hpp"

namespace slm::kernels::test {

// A random binary16 encoding with a random sign and mantissa and a biased exponent in
// [min_exp, max_exp] (5..16 gives magnitudes of about 2^-10..2^2): finite and normal.
inline std::uint16_t random_fp16_scale(std::mt19937& rng, int min_exp = 5, int max_exp = 16) {
  std::uniform_int_distribution<int> e(min_exp, max_exp), m(0, 1023), s(0, 1);
  return static_cast<std::uint16_t>((s(rng) << 15) | (e(rng) << 10) | m(rng));
}

inline void put16(std::uint8_t* p, std::uint16_t v) { std::memcpy(p, &v, 2); }

// n_blocks blocks of type t (a weight type slm supports).
inline std::vector<std::uint8_t> random_blocks(DType t, std::int64_t n_blocks, std::mt19937& rng) {
  const auto& info = dtype_info(t);
  std::vector<std::uint8_t> v(static_cast<std::size_t>(n_blocks * info.block_bytes));
  std::uniform_int_distribution<int> byte(0, 255);
  for (auto& b : v) b = static_cast<std::uint8_t>(byte(rng));
  for (std::int64_t i = 0; i < n_blocks; ++i) {
    std::uint8_t* b = v.data() + i * info.block_bytes;
    switch (t) {
      case DType::F32: {
        std::normal_distribution<float> nd(0.0f, 1.0f);
        const float f = nd(rng);
        std::memcpy(b, &f, 4);
        break;
      }
      case DType::F16: put16(b, random_fp16_scale(rng, 1, 17)); break;  // includes tiny normals
      case DType::BF16: put16(b, static_cast<std::uint16_t>((byte(rng) & 0x80) << 8 | (0x3c00 + byte(rng) * 4 + (byte(rng) & 3)))); break;
      case DType::Q4_0: case DType::Q5_0: case DType::Q8_0: put16(b, random_fp16_scale(rng)); break;
      case DType::Q4_1: put16(b, random_fp16_scale(rng)); put16(b + 2, random_fp16_scale(rng)); break;
      case DType::Q4_K: case DType::Q5_K:
        put16(b, random_fp16_scale(rng, 3, 12));
        put16(b + 2, random_fp16_scale(rng, 3, 12) & 0x7fff);
        break;
      case DType::Q6_K: put16(b + 208, random_fp16_scale(rng, 3, 12)); break;
      default: break;
    }
  }
  return v;
}

}  // namespace slm::kernels::test
