#pragma once
// SIMD activation quantization (Q8_0, Q8_1, Q8_K), bit-identical to the scalar activation
// quantizers in kernels/formats/ (quantize_q8_0_activations, quantize_q8_1_activations,
// quantize_q8_k), which follow llama.cpp's run-time code: the scale is computed in scalar
// exactly as there, and only x * (127/max|x|) (Q8_0/Q8_1) or x * iscale (Q8_K) and the
// rounding (ties to even) are vectorised.

#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "kernels/formats/q8_0.hpp"
#include "kernels/formats/q8_1.hpp"
#include "kernels/formats/q8_k.hpp"
#include "kernels/kernels.hpp"

namespace slm::kernels::simd {
inline namespace SLM_SIMD_ISA_NS {

// F16C rounds to nearest even like formats::f32_to_fp16.
inline std::uint16_t to_fp16(float f) noexcept {
  return static_cast<std::uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

inline __m256 abs8(__m256 v) noexcept { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }

inline float max_abs(const float* x, int n) noexcept {
  __m256 m = _mm256_setzero_ps();
  for (int i = 0; i < n; i += 8) m = _mm256_max_ps(m, abs8(_mm256_loadu_ps(x + i)));
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Four i32x8 -> 32 saturated int8 in order.
inline __m256i pack32(__m256i a, __m256i b, __m256i c, __m256i d) noexcept {
  const __m256i ab = _mm256_packs_epi32(a, b);
  const __m256i cd = _mm256_packs_epi32(c, d);
  const __m256i all = _mm256_packs_epi16(ab, cd);
  return _mm256_permutevar8x32_epi32(all, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

inline void q8_32(const float* x, float id, std::int8_t* out) noexcept {
  if (!std::isfinite(id)) {  // block so tiny that 1/d overflows: 0, as formats::round_q8 gives
    for (int i = 0; i < 32; ++i) out[i] = 0;
    return;
  }
  const __m256 vid = _mm256_set1_ps(id);
  __m256i q[4];
  // cvtps rounds to nearest even (default MXCSR), like llama.cpp's _mm256_round_ps(NEAREST)
  for (int i = 0; i < 4; ++i) q[i] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * i), vid));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), pack32(q[0], q[1], q[2], q[3]));
}

inline void q8_0_blocks(const float* x, formats::BlockQ8_0* b, std::int64_t nb) noexcept {
  for (std::int64_t i = 0; i < nb; ++i, x += 32) {
    const float amax = max_abs(x, 32);
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    b[i].d = to_fp16(d);
    q8_32(x, id, b[i].qs);
  }
}

inline void q8_1_blocks(const float* x, formats::BlockQ8_1* b, std::int64_t nb) noexcept {
  for (std::int64_t i = 0; i < nb; ++i, x += 32) {
    const float amax = max_abs(x, 32);
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    q8_32(x, id, b[i].qs);
    int sum = 0;
    for (int j = 0; j < 32; ++j) sum += b[i].qs[j];
    b[i].d = to_fp16(d);
    b[i].s = to_fp16(static_cast<float>(sum) * d);
  }
}

inline void q8_k_blocks(const float* x, formats::BlockQ8_K* b, std::int64_t nb) noexcept {
  for (std::int64_t i = 0; i < nb; ++i, x += 256) {
    formats::BlockQ8_K& out = b[i];
    const float amax = max_abs(x, 256);
    if (amax == 0.0f) {
      out = formats::BlockQ8_K{};
      continue;
    }
    float max = 0.0f;  // the first element of largest magnitude, with its sign
    const __m256 vmax = _mm256_set1_ps(amax);
    for (int j = 0; j < 256; j += 8) {
      const __m256 v = _mm256_loadu_ps(x + j);
      if (const int hit = _mm256_movemask_ps(_mm256_cmp_ps(abs8(v), vmax, _CMP_EQ_OQ))) {
        max = x[j + __builtin_ctz(unsigned(hit))];
        break;
      }
    }
    const float iscale = -127.0f / max;
    if (!std::isfinite(iscale)) {  // |max| < ~1e-38: q = 0, d = 1/iscale, as formats::quantize_q8_k
      out = formats::BlockQ8_K{};
      out.d = 1.0f / iscale;
      continue;
    }
    const __m256 vs = _mm256_set1_ps(iscale);
    for (int c = 0; c < 8; ++c) {
      __m256i q[4];
      for (int k = 0; k < 4; ++k) q[k] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 32 * c + 8 * k), vs));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out.qs + 32 * c), pack32(q[0], q[1], q[2], q[3]));
      // bsums of the chunk's two groups of 16, from the int32 values (|q| <= 127: no saturation)
      __m256i h = _mm256_hadd_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
      h = _mm256_hadd_epi32(h, h);
      const __m128i sum = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
      out.bsums[2 * c] = static_cast<std::int16_t>(_mm_cvtsi128_si32(sum));
      out.bsums[2 * c + 1] = static_cast<std::int16_t>(_mm_extract_epi32(sum, 1));
    }
    out.d = 1.0f / iscale;
  }
}

// Other types, and lengths that are not whole blocks, go to the scalar quantize_row (which
// validates and throws slm::Error from a baseline translation unit).
inline void quantize_activations(DType t, const float* x, std::int64_t k, void* out) {
  if (t == DType::Q8_0 && k % 32 == 0) return q8_0_blocks(x, static_cast<formats::BlockQ8_0*>(out), k / 32);
  if (t == DType::Q8_1 && k % 32 == 0) return q8_1_blocks(x, static_cast<formats::BlockQ8_1*>(out), k / 32);
  if (t == DType::Q8_K && k % 256 == 0) return q8_k_blocks(x, static_cast<formats::BlockQ8_K*>(out), k / 256);
  ::slm::kernels::quantize_row(t, x, out, k);
}

}  // namespace SLM_SIMD_ISA_NS
}  // namespace slm::kernels::simd
