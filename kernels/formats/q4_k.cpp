#include "kernels/formats/q4_k.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/formats/rounding.hpp"

namespace slm::kernels::formats {
namespace {

// Nearest integer (ties to even) clamped to [lo, hi]; clamping first keeps inf/NaN defined.
int round_clamp(float v, int lo, int hi) {
  return round_even(clamp_to(v, static_cast<float>(lo), static_cast<float>(hi)));
}

// Fits 32 values as scale * q + offset with q in 0..15 and offset <= 0 (the format stores the
// offset as -dmin * m with m >= 0). Tries step sizes around (max - min)/15; for each rounding,
// solves the least-squares (scale, offset) and keeps the pair with the least squared error.
void fit_group(const float* x, float& scale, float& offset) {
  float lo = x[0], hi = x[0];
  for (int i = 1; i < 32; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  lo = std::min(lo, 0.0f);
  if (hi <= lo) {  // constant block (all equal and <= 0): representable by the offset alone
    scale = 0.0f;
    offset = lo;
    return;
  }
  double sx = 0.0, sxx = 0.0;
  for (int i = 0; i < 32; ++i) {
    sx += x[i];
    sxx += static_cast<double>(x[i]) * x[i];
  }
  double best_err = -1.0;
  scale = (hi - lo) / 15.0f;
  offset = lo;
  for (int step = -10; step <= 20; ++step) {
    const float iscale = (15.0f + 0.1f * static_cast<float>(step)) / (hi - lo);
    // Integer sums are exact; sum(x*q) in four float partials (no long dependency chain).
    int isq = 0, isqq = 0;
    float pxq[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int i = 0; i < 32; ++i) {
      const int q = round_clamp(iscale * (x[i] - lo), 0, 15);
      isq += q;
      isqq += q * q;
      pxq[i & 3] += x[i] * static_cast<float>(q);
    }
    const double sq = isq, sqq = isqq;
    const double sxq = (static_cast<double>(pxq[0]) + pxq[1]) + (static_cast<double>(pxq[2]) + pxq[3]);
    const double det = 32.0 * sqq - sq * sq;
    if (det <= 0.0) continue;
    double s = (32.0 * sxq - sx * sq) / det;
    double o = (sqq * sx - sq * sxq) / det;
    if (o > 0.0) {  // offset must be <= 0: refit the scale alone with offset 0
      o = 0.0;
      s = sqq > 0.0 ? sxq / sqq : 0.0;
    }
    // sum (s*q + o - x)^2, expanded so it needs only the sums already taken
    const double err = s * s * sqq + 2.0 * s * o * sq + 32.0 * o * o - 2.0 * s * sxq - 2.0 * o * sx + sxx;
    if (best_err < 0.0 || err < best_err) {
      best_err = err;
      scale = static_cast<float>(s);
      offset = static_cast<float>(o);
    }
  }
}

}  // namespace

void quantize_q4_k(const float* x, BlockQ4_K* b, std::int64_t n_blocks) noexcept {
  for (std::int64_t i = 0; i < n_blocks; ++i, x += 256) {
    BlockQ4_K& out = b[i];
    float scales[8], mins[8];  // mins[s] = -offset >= 0
    float max_scale = 0.0f, max_min = 0.0f;
    for (int s = 0; s < 8; ++s) {
      float off;
      fit_group(x + 32 * s, scales[s], off);
      scales[s] = std::max(scales[s], 0.0f);
      mins[s] = -off;
      max_scale = std::max(max_scale, scales[s]);
      max_min = std::max(max_min, mins[s]);
    }
    // Sub-block scales and mins become 6-bit multiples of d and dmin.
    const float inv_scale = max_scale > 0.0f ? 63.0f / max_scale : 0.0f;
    const float inv_min = max_min > 0.0f ? 63.0f / max_min : 0.0f;
    std::uint8_t sc[8], mn[8];
    for (int s = 0; s < 8; ++s) {
      sc[s] = static_cast<std::uint8_t>(round_clamp(inv_scale * scales[s], 0, 63));
      mn[s] = static_cast<std::uint8_t>(round_clamp(inv_min * mins[s], 0, 63));
    }
    k_pack_scale_min(sc, mn, out.scales);
    out.d = f32_to_fp16(max_scale / 63.0f);
    out.dmin = f32_to_fp16(max_min / 63.0f);
    const float d = fp16_to_f32(out.d), dmin = fp16_to_f32(out.dmin);
    // With the stored (rounded) scales fixed, rounding each element to the nearest level is optimal.
    std::uint8_t q[256];
    for (int s = 0; s < 8; ++s) {
      const float ds = d * static_cast<float>(sc[s]);
      const float ms = dmin * static_cast<float>(mn[s]);
      for (int l = 0; l < 32; ++l)
        q[32 * s + l] = static_cast<std::uint8_t>(ds != 0.0f ? round_clamp((x[32 * s + l] + ms) / ds, 0, 15) : 0);
    }
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l)
        out.qs[32 * c + l] = static_cast<std::uint8_t>(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
  }
}

}  // namespace slm::kernels::formats
