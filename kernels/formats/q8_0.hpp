#pragma once
// Q8_0: 32 values in 34 bytes (8.5 bits per value), symmetric 8-bit. Used for weights and as
// the activation format that Q4_0, Q5_0 and Q8_0 weights pair with.
//
//   d       fp16   the block scale
//   qs[32]  i8     element j
//
// Element value: qs[j] * d.
// llama.cpp quantizes Q8_0 two slightly different ways, and slm follows each where it applies:
//  - weights (llama-quantize, quantize_row_q8_0_ref): d = max|x| / 127, q = roundf(x * (1/d)),
//    ties away from zero -> quantize_q8_0, behind quantize_row(Q8_0);
//  - activations at run time (its x86 AVX/AVX2 quantize_row_q8_0): d = max|x| / 127,
//    q = round-half-even(x * (127 / max|x|)) -> quantize_q8_0_activations, behind
//    quantize_activations(Q8_0), so the integer path sees exactly llama.cpp's int8 values.
// In both the q's use the fp32 scale; only the stored d is rounded to fp16. An all-zero block
// gives d = 0 and q = 0.

#include <cmath>
#include <cstdint>

#include "kernels/formats/float.hpp"
#include "kernels/formats/rounding.hpp"

namespace slm::kernels::formats {

// roundf(v) as int8, clamped first: for normal input |v| <= 127 anyway, but a block of values so
// tiny that 1/d overflows (or NaN input) would otherwise convert inf/NaN to an integer, which is
// undefined. Such blocks then quantize to 0, as llama.cpp's do on x86.
inline std::int8_t round_q8(float v) noexcept {
  if (!(std::fabs(v) <= 127.5f)) return 0;
  return static_cast<std::int8_t>(round_away(clamp_to(v, -127.0f, 127.0f)));
}

// The same with ties to even, for the run-time activation quantizers. (For blocks whose scale
// overflows, llama.cpp's AVX code stores -128s with d = 0; 0s with d = 0 mean the same.)
inline std::int8_t round_q8_even(float v) noexcept {
  if (!(std::fabs(v) <= 127.5f)) return 0;
  return static_cast<std::int8_t>(round_even(clamp_to(v, -127.0f, 127.0f)));
}

// max |x[j]| over one 32-element block; a NaN element is skipped, as fmax would.
inline float abs_max32(const float* x) noexcept {
  float amax = 0.0f;
  for (int j = 0; j < 32; ++j) {
    const float a = std::fabs(x[j]);
    if (a > amax) amax = a;
  }
  return amax;
}

struct BlockQ8_0 {
  static constexpr int kElems = 32;
  std::uint16_t d;
  std::int8_t qs[kElems];
};
static_assert(sizeof(BlockQ8_0) == 34, "Q8_0 block must be 34 bytes");

inline void dequantize_q8_0(const BlockQ8_0* b, float* y, std::int64_t n_blocks) noexcept {
  for (std::int64_t i = 0; i < n_blocks; ++i, y += 32) {
    const float d = fp16_to_f32(b[i].d);
    for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(b[i].qs[j]) * d;
  }
}

inline void quantize_q8_0(const float* x, BlockQ8_0* b, std::int64_t n_blocks) noexcept {
  for (std::int64_t i = 0; i < n_blocks; ++i, x += 32) {
    const float amax = abs_max32(x);
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = f32_to_fp16(d);
    for (int j = 0; j < 32; ++j) b[i].qs[j] = round_q8(x[j] * id);
  }
}

// Activation quantization as llama.cpp does it at run time on x86 (see the top of this file).
inline void quantize_q8_0_activations(const float* x, BlockQ8_0* b, std::int64_t n_blocks) noexcept {
  for (std::int64_t i = 0; i < n_blocks; ++i, x += 32) {
    const float amax = abs_max32(x);
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    b[i].d = f32_to_fp16(amax / 127.0f);
    for (int j = 0; j < 32; ++j) b[i].qs[j] = round_q8_even(x[j] * id);
  }
}

}  // namespace slm::kernels::formats
