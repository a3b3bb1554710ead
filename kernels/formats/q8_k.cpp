#include "kernels/formats/q8_k.hpp"

#include <algorithm>
#include <cmath>

#include "kernels/formats/rounding.hpp"

namespace slm::kernels::formats {

void quantize_q8_k(const float* x, BlockQ8_K* b, std::int64_t n_blocks) noexcept {
  for (std::int64_t i = 0; i < n_blocks; ++i, x += 256) {
    BlockQ8_K& out = b[i];
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 256; ++j) {
      const float a = std::fabs(x[j]);
      if (a > amax) {
        amax = a;
        max = x[j];
      }
    }
    if (amax == 0.0f) {
      out.d = 0.0f;
      std::fill(out.qs, out.qs + 256, std::int8_t{0});
      std::fill(out.bsums, out.bsums + 16, std::int16_t{0});
      continue;
    }
    const float iscale = -127.0f / max;
    if (!std::isfinite(iscale)) {  // |max| < ~1e-38: llama.cpp's arithmetic yields q = 0, d = 1/iscale
      out.d = 1.0f / iscale;
      std::fill(out.qs, out.qs + 256, std::int8_t{0});
      std::fill(out.bsums, out.bsums + 16, std::int16_t{0});
      continue;
    }
    for (int j = 0; j < 256; ++j) {
      // Ties to even, like llama.cpp's nearest_int; |iscale * x| <= 127 except for NaN input.
      const int q = round_even(clamp_to(iscale * x[j], -128.0f, 127.0f));
      out.qs[j] = static_cast<std::int8_t>(std::min(127, q));
    }
    for (int g = 0; g < 16; ++g) {
      int s = 0;
      for (int l = 0; l < 16; ++l) s += out.qs[16 * g + l];
      out.bsums[g] = static_cast<std::int16_t>(s);
    }
    out.d = 1.0f / iscale;
  }
}

}  // namespace slm::kernels::formats
