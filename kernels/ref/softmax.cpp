#include <cmath>
#include <limits>

#include "kernels/ref/ref.hpp"

namespace slm::kernels::ref {

// -inf entries (masked) get probability 0, also with a soft-cap (which would otherwise map
// them to -softcap); at least one entry must be finite.
void softmax(float* x, std::int64_t n, float softcap) {
  constexpr float kMasked = -std::numeric_limits<float>::infinity();
  if (softcap > 0.0f)
    for (std::int64_t i = 0; i < n; ++i)
      if (x[i] != kMasked) x[i] = softcap * std::tanh(x[i] / softcap);
  float max = kMasked;
  for (std::int64_t i = 0; i < n; ++i) max = std::fmax(max, x[i]);
  double sum = 0.0;
  for (std::int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (std::int64_t i = 0; i < n; ++i) x[i] *= inv;
}

}  // namespace slm::kernels::ref
