// Element-wise kernels: gated activations, add, scale. Outputs may alias inputs.

#include <cmath>

#include "kernels/ref/ref.hpp"

namespace slm::kernels::ref {

// silu(g) * u with silu(g) = g / (1 + exp(-g)).
void swiglu(const float* gate, const float* up, std::int64_t n, float* out) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

// gelu(g) * u with the tanh form gelu(g) = g/2 * (1 + tanh(sqrt(2/pi) * (g + 0.044715 g^3))),
// the form Gemma uses (llama.cpp's LLM_FFN_GELU).
void geglu(const float* gate, const float* up, std::int64_t n, float* out) {
  constexpr float kSqrt2OverPi = 0.79788456080286535588f;
  constexpr float kCoef = 0.044715f;
  for (std::int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    const float gelu = 0.5f * g * (1.0f + std::tanh(kSqrt2OverPi * g * (1.0f + kCoef * g * g)));
    out[i] = gelu * up[i];
  }
}

void add(const float* a, const float* b, std::int64_t n, float* out) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

void scale(const float* x, float s, std::int64_t n, float* out) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = x[i] * s;
}

}  // namespace slm::kernels::ref
