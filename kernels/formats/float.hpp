#pragma once
// F32, F16 and BF16: plain (block size 1) float formats, and the exact scalar conversions
// every quantized format uses for its fp16 scales.
//
//   F32   4 bytes per element: IEEE-754 binary32, little-endian.
//   F16   2 bytes per element: IEEE-754 binary16 (1 sign, 5 exponent bits biased by 15,
//         10 mantissa bits), little-endian. Subnormals, +-inf and NaN are all meaningful.
//   BF16  2 bytes per element: the upper 16 bits of a binary32 (1 sign, 8 exponent, 7 mantissa).
//
// The conversions are done with integer operations rather than F16C so the scalar level gives
// the same bits on every x86-64 (F16C converts identically; SIMD levels may use it).

#include <bit>
#include <cstdint>
#include <cstring>

namespace slm::kernels::formats {

// binary16 -> binary32, exact for every input (binary32 represents every binary16 value).
inline float fp16_to_f32(std::uint16_t h) noexcept {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1fu;
  std::uint32_t mant = h & 0x3ffu;
  std::uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf, or NaN keeping its payload
  } else if (exp != 0) {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;  // +-0
  } else {
    // Subnormal: value = mant * 2^-24. Normalise so the leading 1 becomes the implicit bit.
    int e = -1;
    do {
      mant <<= 1;
      ++e;
    } while ((mant & 0x400u) == 0);
    bits = sign | static_cast<std::uint32_t>(127 - 15 - e) << 23 | ((mant & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

// binary32 -> binary16 rounding to nearest, ties to even (as F16C and numpy do). Overflow gives
// inf; NaN stays NaN (quiet, high payload bits kept).
inline std::uint16_t f32_to_fp16(float f) noexcept {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  const std::uint16_t sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) {  // inf or NaN
    if (ax == 0x7f800000u) return sign | 0x7c00u;
    return static_cast<std::uint16_t>(sign | 0x7e00u | ((ax >> 13) & 0x3ffu));
  }
  if (ax >= 0x477ff000u) return sign | 0x7c00u;  // rounds to >= 65536: overflow
  if (ax >= 0x38800000u) {                        // normal binary16 result (>= 2^-14)
    std::uint32_t r = ax - ((127u - 15u) << 23);  // rebias
    r += 0x0fffu + ((r >> 13) & 1u);              // round to nearest even on the 13 dropped bits
    return static_cast<std::uint16_t>(sign | (r >> 13));
  }
  if (ax < 0x33000000u) return sign;  // below half the smallest subnormal (2^-25): rounds to 0
  // Subnormal result: value / 2^-24 rounded to an integer, ties to even.
  const std::uint32_t e = ax >> 23;                    // biased exponent, 102..112
  const std::uint32_t m = (ax & 0x7fffffu) | 0x800000u; // 24-bit significand
  const std::uint32_t shift = 126u - e;                // so that value = m >> shift (in 2^-24 units)
  std::uint32_t q = m >> shift;
  const std::uint32_t rem = m & ((1u << shift) - 1u);
  const std::uint32_t half = 1u << (shift - 1u);
  if (rem > half || (rem == half && (q & 1u))) ++q;  // may carry into the smallest normal: fine
  return static_cast<std::uint16_t>(sign | q);
}

inline float bf16_to_f32(std::uint16_t h) noexcept {
  return std::bit_cast<float>(static_cast<std::uint32_t>(h) << 16);
}

// Round to nearest even; NaN is forced quiet (as ggml and the gguf package do).
inline std::uint16_t f32_to_bf16(float f) noexcept {
  std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((x >> 16) | 64u);
  x += 0x7fffu + ((x >> 16) & 1u);
  return static_cast<std::uint16_t>(x >> 16);
}

// Reads a little-endian fp16 stored at p (which need not be aligned).
inline float load_fp16(const void* p) noexcept {
  std::uint16_t h;
  std::memcpy(&h, p, 2);
  return fp16_to_f32(h);
}

inline void dequantize_f32(const void* src, float* dst, std::int64_t n) noexcept {
  std::memcpy(dst, src, static_cast<std::size_t>(n) * 4);
}
inline void dequantize_f16(const void* src, float* dst, std::int64_t n) noexcept {
  const auto* s = static_cast<const unsigned char*>(src);
  for (std::int64_t i = 0; i < n; ++i) dst[i] = load_fp16(s + 2 * i);
}
inline void dequantize_bf16(const void* src, float* dst, std::int64_t n) noexcept {
  const auto* s = static_cast<const unsigned char*>(src);
  for (std::int64_t i = 0; i < n; ++i) {
    std::uint16_t h;
    std::memcpy(&h, s + 2 * i, 2);
    dst[i] = bf16_to_f32(h);
  }
}
inline void quantize_f16(const float* src, void* dst, std::int64_t n) noexcept {
  auto* d = static_cast<unsigned char*>(dst);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint16_t h = f32_to_fp16(src[i]);
    std::memcpy(d + 2 * i, &h, 2);
  }
}
inline void quantize_bf16(const float* src, void* dst, std::int64_t n) noexcept {
  auto* d = static_cast<unsigned char*>(dst);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint16_t h = f32_to_bf16(src[i]);
    std::memcpy(d + 2 * i, &h, 2);
  }
}

}  // namespace slm::kernels::formats
