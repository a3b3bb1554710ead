// Element-wise kernels: gated activations, add, scale. Outputs may alias inputs.

#include <cmath>

#include "kernels/formats/float.hpp"
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

// GELU as llama.cpp's CPU backend evaluates it: the gate rounded to fp16, the tanh-form GELU
// of that value rounded to fp16 (ggml looks it up in a 64K-entry fp16 table built so, with
// the inner polynomial evaluated by an FMA),
// except gate <= -10 -> 0 and gate >= 10 -> gate. Matching it keeps Gemma's logits close to
// llama.cpp's; the fp16 rounding itself is a ~1e-3 relative perturbation.
float gelu_fp16(float g) {
  if (g <= -10.0f) return 0.0f;
  if (g >= 10.0f) return g;
  const float h = formats::fp16_to_f32(formats::f32_to_fp16(g));
  constexpr float kSqrt2OverPi = 0.79788456080286535588f;
  constexpr float kCoef = 0.044715f;
  // llama.cpp's build contracts 1 + c*h*h into one fused multiply-add; std::fma gives the
  // same single rounding on every CPU (with or without FMA hardware).
  const float inner = std::fma(kCoef * h, h, 1.0f);
  const float v = 0.5f * h * (1.0f + std::tanh(kSqrt2OverPi * h * inner));
  return formats::fp16_to_f32(formats::f32_to_fp16(v));
}

void geglu_fp16(const float* gate, const float* up, std::int64_t n, float* out) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = gelu_fp16(gate[i]) * up[i];
}

void add(const float* a, const float* b, std::int64_t n, float* out) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

void scale(const float* x, float s, std::int64_t n, float* out) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = x[i] * s;
}

void softcap(float* x, std::int64_t n, float cap) {
  for (std::int64_t i = 0; i < n; ++i) x[i] = cap * std::tanh(x[i] / cap);
}

}  // namespace slm::kernels::ref
