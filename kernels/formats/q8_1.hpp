#pragma once
// Q8_1: 32 values in 36 bytes; the activation format Q4_1 weights pair with. Never in files.
//
//   d       fp16   the block scale
//   s       fp16   d * sum(qs): lets a Q4_1 dot add the weight minimum m * sum(x) in one step
//   qs[32]  i8     element j
//
// Element value: qs[j] * d. Quantized like Q8_0: quantize_q8_1 as llama.cpp's reference
// (roundf), quantize_q8_1_activations as its x86 run-time code (ties to even, 127/max|x|);
// see kernels/formats/q8_0.hpp.

#include <cmath>
#include <cstdint>

#include "kernels/formats/float.hpp"
#include "kernels/formats/q8_0.hpp"

namespace slm::kernels::formats {

struct BlockQ8_1 {
  static constexpr int kElems = 32;
  std::uint16_t d;
  std::uint16_t s;
  std::int8_t qs[kElems];
};
static_assert(sizeof(BlockQ8_1) == 36, "Q8_1 block must be 36 bytes");

inline void dequantize_q8_1(const BlockQ8_1* b, float* y, std::int64_t n_blocks) noexcept {
  for (std::int64_t i = 0; i < n_blocks; ++i, y += 32) {
    const float d = fp16_to_f32(b[i].d);
    for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(b[i].qs[j]) * d;
  }
}

inline void quantize_q8_1(const float* x, BlockQ8_1* b, std::int64_t n_blocks) noexcept {
  for (std::int64_t i = 0; i < n_blocks; ++i, x += 32) {
    const float amax = abs_max32(x);
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    int sum = 0;
    for (int j = 0; j < 32; ++j) {
      const std::int8_t q = round_q8(x[j] * id);
      b[i].qs[j] = q;
      sum += q;
    }
    b[i].d = f32_to_fp16(d);
    b[i].s = f32_to_fp16(static_cast<float>(sum) * d);
  }
}

inline void quantize_q8_1_activations(const float* x, BlockQ8_1* b, std::int64_t n_blocks) noexcept {
  for (std::int64_t i = 0; i < n_blocks; ++i, x += 32) {
    const float amax = abs_max32(x);
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    int sum = 0;
    for (int j = 0; j < 32; ++j) {
      const std::int8_t q = round_q8_even(x[j] * id);
      b[i].qs[j] = q;
      sum += q;
    }
    b[i].d = f32_to_fp16(d);
    b[i].s = f32_to_fp16(d * static_cast<float>(sum));
  }
}

}  // namespace slm::kernels::formats
