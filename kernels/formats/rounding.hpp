#pragma once
// Inline rounding for the quantizers. On baseline x86-64 (no SSE4.1) libm's nearbyintf, roundf,
// fminf and fmaxf are out-of-line calls, which made them most of a quantizer's time; these
// give the same results in a few instructions. All assume the default rounding mode.

#include <cstdint>

namespace slm::kernels::formats {

// v limited to [lo, hi]; NaN gives lo (so a later float -> int conversion is always defined).
inline float clamp_to(float v, float lo, float hi) noexcept {
  return !(v >= lo) ? lo : (v > hi ? hi : v);
}

// Nearest integer, ties to even (= nearbyintf). |v| < 2^22: adding 1.5 * 2^23 leaves no
// fraction bits, so the addition itself rounds, to even, and the subtraction is exact.
inline int round_even(float v) noexcept {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
  return static_cast<int>((v + kMagic) - kMagic);
}

// Nearest integer, ties away from zero (= roundf). |v| < 2^31. v - trunc(v) is exact.
inline int round_away(float v) noexcept {
  int i = static_cast<int>(v);
  const float f = v - static_cast<float>(i);
  if (f >= 0.5f) ++i;
  else if (f <= -0.5f) --i;
  return i;
}

}  // namespace slm::kernels::formats
