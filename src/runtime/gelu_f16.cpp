// GeGLU with ggml's rounding: ggml's CPU GELU looks the tanh-form GELU up in a table indexed by
// the fp16-rounded input and stores the values as fp16 (inputs <= -10 give 0, >= 10 give x).
// On the tiny golden models this rounding alone moves the mean KL against llama.cpp from
// ~0.015 to ~0.0001, so the Integer (llama.cpp-rounding) path uses it; the Float path uses
// the exact kernel. Computed directly rather than through a 64K-entry table: same values.
// TODO(kernels): candidate for the kernel table (a geglu_f16 entry with SIMD variants).
#include <cmath>

#include "kernels/formats/float.hpp"
#include "runtime/state.hpp"

namespace slm::runtime {

void geglu_f16_rounded(const float* gate, const float* up, std::int64_t n, float* out) {
  using kernels::formats::f32_to_fp16;
  using kernels::formats::fp16_to_f32;
  constexpr float kSqrt2OverPi = 0.79788456080286535588f, kCoef = 0.044715f;
  for (std::int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    float gelu;
    if (g <= -10.0f) {
      gelu = 0.0f;
    } else if (g >= 10.0f) {
      gelu = g;
    } else {
      const float x = fp16_to_f32(f32_to_fp16(g));
      gelu = fp16_to_f32(f32_to_fp16(0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * x * (1.0f + kCoef * x * x)))));
    }
    out[i] = gelu * up[i];
  }
}

}  // namespace slm::runtime
