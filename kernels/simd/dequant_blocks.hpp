#pragma once
// Per-format dequantization of one weight block into floats (for the float matmul path), reusing
// the integer unpacking of int8_blocks.hpp. Arithmetic per element matches the scalar formats
// (kernels/formats/): q * d, or (d * sc) * q - (dmin * m), or (d * m) * q + m, unfused.

#include <immintrin.h>

#include <cstdint>

#include "kernels/simd/int8_blocks.hpp"

namespace slm::kernels::simd {
inline namespace SLM_SIMD_ISA_NS {

// 32 int8 (signed, or unsigned < 128) -> out[0..32) = q * scale - offset.
template <bool kSigned>
inline void i8_to_f32(__m256i q, float scale, float offset, float* out) noexcept {
  const __m256 vs = _mm256_set1_ps(scale), vo = _mm256_set1_ps(offset);
  alignas(32) std::int8_t b[32];
  _mm256_store_si256(reinterpret_cast<__m256i*>(b), q);
  for (int i = 0; i < 32; i += 8) {
    const __m128i x = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b + i));
    const __m256i wide = kSigned ? _mm256_cvtepi8_epi32(x) : _mm256_cvtepu8_epi32(x);
    _mm256_store_ps(out + i, _mm256_sub_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(wide), vs), vo));
  }
}

template <class K>
struct Symmetric32 {  // Q4_0, Q5_0, Q8_0: q * d
  using WBlock = typename K::WBlock;
  static constexpr int kElems = 32;
  template <class Tr>
  static void dequant(const WBlock& b, float* out) noexcept {
    const auto u = K::template unpack<Tr>(b);
    i8_to_f32<true>(u.q, u.d, 0.f, out);
  }
};
using FloatQ4_0 = Symmetric32<KernelQ4_0>;
using FloatQ5_0 = Symmetric32<KernelQ5_0>;
using FloatQ8_0 = Symmetric32<KernelQ8_0>;

struct FloatQ4_1 {
  using WBlock = formats::BlockQ4_1;
  static constexpr int kElems = 32;
  template <class Tr>
  static void dequant(const WBlock& b, float* out) noexcept {
    const auto u = KernelQ4_1::unpack<Tr>(b);
    i8_to_f32<false>(u.q, u.d, -u.m, out);  // q * d - (-m)
  }
};

template <class K>
struct FloatKQuant {  // Q4_K, Q5_K: (d * sc) * q - dmin * m per 32-element sub-block
  using WBlock = typename K::WBlock;
  static constexpr int kElems = 256;
  template <class Tr>
  static void dequant(const WBlock& b, float* out) noexcept {
    const auto u = K::template unpack<Tr>(b);
    for (int s = 0; s < 8; ++s) {
      int sc, m;
      k_scale_min(b.scales, s, sc, m);
      i8_to_f32<false>(u.q[s], u.d * static_cast<float>(sc), u.dmin * static_cast<float>(m), out + 32 * s);
    }
  }
};
using FloatQ4_K = FloatKQuant<KernelQ4_K>;
using FloatQ5_K = FloatKQuant<KernelQ5_K>;

struct FloatQ6_K {  // (d * sc) * (q - 32) per 16-element sub-block
  using WBlock = formats::BlockQ6_K;
  static constexpr int kElems = 256;
  template <class Tr>
  static void dequant(const WBlock& b, float* out) noexcept {
    const auto u = KernelQ6_K::unpack<Tr>(b);
    alignas(32) std::int8_t q[32];
    for (int t = 0; t < 8; ++t) {
      _mm256_store_si256(reinterpret_cast<__m256i*>(q), _mm256_sub_epi8(u.q[t], _mm256_set1_epi8(32)));
      for (int h = 0; h < 2; ++h) {
        const __m256 vs = _mm256_set1_ps(u.d * static_cast<float>(b.scales[2 * t + h]));
        for (int i = 0; i < 16; i += 8) {
          const __m256i wide = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + 16 * h + i)));
          _mm256_store_ps(out + 32 * t + 16 * h + i, _mm256_mul_ps(vs, _mm256_cvtepi32_ps(wide)));
        }
      }
    }
  }
};

// Plain float formats, taken 32 elements at a time.
struct FloatF32 {
  struct WBlock {
    float v[32];
  };
  static constexpr int kElems = 32;
  template <class Tr>
  static void dequant(const WBlock& b, float* out) noexcept {
    for (int i = 0; i < 32; i += 8) _mm256_store_ps(out + i, _mm256_loadu_ps(b.v + i));
  }
};

struct FloatF16 {
  struct WBlock {
    std::uint16_t v[32];
  };
  static constexpr int kElems = 32;
  template <class Tr>
  static void dequant(const WBlock& b, float* out) noexcept {
    for (int i = 0; i < 32; i += 8)
      _mm256_store_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.v + i))));
  }
};

struct FloatBF16 {
  struct WBlock {
    std::uint16_t v[32];
  };
  static constexpr int kElems = 32;
  template <class Tr>
  static void dequant(const WBlock& b, float* out) noexcept {
    for (int i = 0; i < 32; i += 8) {
      const __m256i x = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.v + i)));
      _mm256_store_ps(out + i, _mm256_castsi256_ps(_mm256_slli_epi32(x, 16)));
    }
  }
};

}  // namespace SLM_SIMD_ISA_NS
}  // namespace slm::kernels::simd
