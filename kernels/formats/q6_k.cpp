#include "kernels/formats/q6_k.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/formats/rounding.hpp"

namespace slm::kernels::formats {
namespace {

constexpr float kTiny = 1e-15f;  // below this a group is treated as all zeros

// Nearest integer (ties to even) clamped to [lo, hi]; clamping first keeps inf/NaN defined.
int round_clamp(float v, int lo, int hi) {
  return round_even(clamp_to(v, static_cast<float>(lo), static_cast<float>(hi)));
}

// Best symmetric scale for 16 values with q in -32..31: try step sizes around max/32 and
// keep the one whose least-squares scale sum(xq)/sum(q^2) leaves the smallest squared error,
// i.e. maximises sum(xq)^2 / sum(q^2). The largest |x| maps to -32 (the longer side of the
// range), so the scale carries the sign opposite to that element.
float fit_group(const float* x) {
  float amax = 0.0f, max = 0.0f;
  for (int i = 0; i < 16; ++i)
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  if (amax < kTiny) return 0.0f;
  float best_scale = 0.0f, best_score = -1.0f;
  for (int step = -12; step <= 12; ++step) {
    const float iscale = -(32.0f + 0.1f * static_cast<float>(step)) / max;
    double sxq = 0.0, sqq = 0.0;
    for (int i = 0; i < 16; ++i) {
      const int q = round_clamp(iscale * x[i], -32, 31);
      sxq += static_cast<double>(x[i]) * q;
      sqq += static_cast<double>(q) * q;
    }
    if (sqq <= 0.0) continue;
    const double score = sxq * sxq / sqq;
    if (score > best_score) {
      best_score = static_cast<float>(score);
      best_scale = static_cast<float>(sxq / sqq);
    }
  }
  return best_scale;
}

}  // namespace

void quantize_q6_k(const float* x, BlockQ6_K* b, std::int64_t n_blocks) noexcept {
  for (std::int64_t i = 0; i < n_blocks; ++i, x += 256) {
    BlockQ6_K& out = b[i];
    float scales[16];
    float max_scale = 0.0f, amax_scale = 0.0f;
    for (int s = 0; s < 16; ++s) {
      scales[s] = fit_group(x + 16 * s);
      if (std::fabs(scales[s]) > amax_scale) {
        amax_scale = std::fabs(scales[s]);
        max_scale = scales[s];
      }
    }
    std::memset(&out, 0, sizeof out);
    if (amax_scale < kTiny) continue;  // all-zero block: d = 0 and every q = 0 (stored as 32)
    // Sub-block scales become int8 relative to d; the largest maps to -128 like the values.
    const float iscale = -128.0f / max_scale;
    out.d = f32_to_fp16(1.0f / iscale);
    const float d = fp16_to_f32(out.d);
    std::uint8_t q[256];
    for (int s = 0; s < 16; ++s) {
      out.scales[s] = static_cast<std::int8_t>(round_clamp(iscale * scales[s], -128, 127));
      const float ds = d * static_cast<float>(out.scales[s]);
      for (int l = 0; l < 16; ++l)
        q[16 * s + l] = static_cast<std::uint8_t>(ds != 0.0f ? round_clamp(x[16 * s + l] / ds, -32, 31) + 32 : 32);
    }
    // Pack in the order described in q6_k.hpp.
    for (int h = 0; h < 2; ++h) {
      const std::uint8_t* v = q + 128 * h;
      for (int l = 0; l < 32; ++l) {
        out.ql[64 * h + l] = static_cast<std::uint8_t>((v[l] & 15) | ((v[l + 64] & 15) << 4));
        out.ql[64 * h + l + 32] = static_cast<std::uint8_t>((v[l + 32] & 15) | ((v[l + 96] & 15) << 4));
        out.qh[32 * h + l] = static_cast<std::uint8_t>((v[l] >> 4) | ((v[l + 32] >> 4) << 2) |
                                                       ((v[l + 64] >> 4) << 4) | ((v[l + 96] >> 4) << 6));
      }
    }
  }
}

}  // namespace slm::kernels::formats
