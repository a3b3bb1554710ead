#pragma once
// Q8_K: 256 values in 292 bytes; the activation format K-quant weights pair with. Never in files.
//
//   d          f32     the scale (full precision, unlike the other formats)
//   qs[256]    i8      element j
//   bsums[16]  i16     bsums[g] = sum of qs[16g..16g+15]; lets a K-quant dot apply the weight
//                      minimums per sub-block without revisiting the elements
//
// Element value: qs[j] * d.
// Quantization (as llama.cpp does it, so our integer path sees the same values): take the
// element with the largest |x| WITH its sign, max; iscale = -127 / max;
// q = min(127, nearest_int(iscale * x)) with ties to even; d = 1 / iscale. Because of the
// negative iscale, q reaches -127 at max and at most +127 (clamped) at -max; an all-zero block
// gives d = 0 and q = 0.

#include <cstdint>

namespace slm::kernels::formats {

struct BlockQ8_K {
  static constexpr int kElems = 256;
  float d;
  std::int8_t qs[kElems];
  std::int16_t bsums[kElems / 16];
};
static_assert(sizeof(BlockQ8_K) == 292, "Q8_K block must be 292 bytes");

inline void dequantize_q8_k(const BlockQ8_K* b, float* y, std::int64_t n_blocks) noexcept {
  for (std::int64_t i = 0; i < n_blocks; ++i, y += 256)
    for (int j = 0; j < 256; ++j) y[j] = b[i].d * static_cast<float>(b[i].qs[j]);
}

// Quantizes n_blocks * 256 floats (kernels/formats/q8_k.cpp).
void quantize_q8_k(const float* x, BlockQ8_K* b, std::int64_t n_blocks) noexcept;

}  // namespace slm::kernels::formats
