#include <cmath>

#include "kernels/ref/ref.hpp"

namespace slm::kernels::ref {

// Pair i (i < n_rot/2) is rotated by angle pos * inv_freq[i]; which two elements form pair i
// depends on the layout (see RopeLayout). Elements past n_rot are left as they are.
void rope(RopeLayout layout, float* x, std::int64_t n_heads, std::int64_t head_dim, std::int64_t n_rot,
          float pos, const float* inv_freq) {
  const std::int64_t half = n_rot / 2;
  for (std::int64_t i = 0; i < half; ++i) {
    const float angle = pos * inv_freq[i];
    const float c = std::cos(angle), s = std::sin(angle);
    const std::int64_t i0 = layout == RopeLayout::Adjacent ? 2 * i : i;
    const std::int64_t i1 = layout == RopeLayout::Adjacent ? 2 * i + 1 : i + half;
    for (std::int64_t h = 0; h < n_heads; ++h) {
      float* v = x + h * head_dim;
      const float a = v[i0], b = v[i1];
      v[i0] = a * c - b * s;
      v[i1] = a * s + b * c;
    }
  }
}

}  // namespace slm::kernels::ref
