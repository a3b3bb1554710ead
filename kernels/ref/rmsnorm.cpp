#include <cmath>

#include "kernels/ref/ref.hpp"

namespace slm::kernels::ref {

// Same order of operations as llama.cpp: mean of squares accumulated in double, one fp32
// scale 1/sqrt(mean + eps), then (x * scale) * w.
void rmsnorm(const float* x, const float* w, float eps, std::int64_t n, float* y) {
  double sum = 0.0;
  for (std::int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  const float s = 1.0f / std::sqrt(mean + eps);
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = x[i] * s;
    y[i] = w != nullptr ? v * w[i] : v;
  }
}

}  // namespace slm::kernels::ref
