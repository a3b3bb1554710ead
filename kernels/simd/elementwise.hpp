#pragma once
// SIMD element-wise kernels (RMSNorm, RoPE, softmax, GLU activations, add, scale), templated on
// an ISA Traits struct (see vec.hpp). Semantics are those of the scalar reference in
// kernels/ref/; these differ from it only by float rounding (different summation order,
// xsimd's exp/tanh instead of libm's).
//
// Ragged tails are handled by running the same vector code on a zero-padded stack copy, so the
// last few elements get exactly the arithmetic of the rest.

#include <cstdint>
#include <cstring>

#include <immintrin.h>

#include "kernels/kernels.hpp"
#include "kernels/ref/ref.hpp"
#include "kernels/simd/vec.hpp"

namespace slm::kernels::simd {
inline namespace SLM_SIMD_ISA_NS {

// Applies f to [0, n) of one input, writing out (which may alias x).
template <class Tr, class F>
inline void map1(const float* x, std::int64_t n, float* out, F f) {
  using B = FloatBatch<Tr>;
  constexpr std::int64_t w = B::size;
  std::int64_t i = 0;
  for (; i + w <= n; i += w) f(B::load_unaligned(x + i)).store_unaligned(out + i);
  if (i < n) {
    alignas(64) float a[w] = {};
    const auto rem = static_cast<std::size_t>(n - i);
    std::memcpy(a, x + i, rem * sizeof(float));
    f(B::load_aligned(a)).store_aligned(a);
    std::memcpy(out + i, a, rem * sizeof(float));
  }
}

template <class Tr, class F>
inline void map2(const float* x, const float* y, std::int64_t n, float* out, F f) {
  using B = FloatBatch<Tr>;
  constexpr std::int64_t w = B::size;
  std::int64_t i = 0;
  for (; i + w <= n; i += w) f(B::load_unaligned(x + i), B::load_unaligned(y + i)).store_unaligned(out + i);
  if (i < n) {
    alignas(64) float a[w] = {};
    alignas(64) float b[w] = {};
    const auto rem = static_cast<std::size_t>(n - i);
    std::memcpy(a, x + i, rem * sizeof(float));
    std::memcpy(b, y + i, rem * sizeof(float));
    f(B::load_aligned(a), B::load_aligned(b)).store_aligned(a);
    std::memcpy(out + i, a, rem * sizeof(float));
  }
}

template <class Tr>
void add(const float* a, const float* b, std::int64_t n, float* out) {
  map2<Tr>(a, b, n, out, [](auto x, auto y) { return x + y; });
}

template <class Tr>
void scale(const float* x, float s, std::int64_t n, float* out) {
  const FloatBatch<Tr> vs(s);
  map1<Tr>(x, n, out, [vs](auto v) { return v * vs; });
}

// Sum of squares accumulated in double, as the reference does (so huge inputs do not overflow
// and long rows lose nothing); 256-bit intrinsics since both SIMD levels have AVX.
inline double sum_squares(const float* x, std::int64_t n) noexcept {
  __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256d lo = _mm256_cvtps_pd(_mm_loadu_ps(x + i));
    const __m256d hi = _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4));
    a0 = _mm256_fmadd_pd(lo, lo, a0);
    a1 = _mm256_fmadd_pd(hi, hi, a1);
  }
  alignas(32) double t[4];
  _mm256_store_pd(t, _mm256_add_pd(a0, a1));
  double s = (t[0] + t[1]) + (t[2] + t[3]);
  for (; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return s;
}

template <class Tr>
void rmsnorm(const float* x, const float* w, float eps, std::int64_t n, float* y) {
  const float mean = static_cast<float>(sum_squares(x, n) / static_cast<double>(n));
  const float inv = 1.0f / __builtin_sqrtf(mean + eps);
  if (w == nullptr) {
    scale<Tr>(x, inv, n, y);
    return;
  }
  const FloatBatch<Tr> vinv(inv);
  map2<Tr>(x, w, n, y, [vinv](auto a, auto b) { return a * vinv * b; });
}

// cos/sin of the n_rot/2 angles are computed once per call with libm (as the reference does)
// and shared by all heads; only the rotation itself is vectorised.
template <class Tr>
void rope(RopeLayout layout, float* x, std::int64_t n_heads, std::int64_t head_dim, std::int64_t n_rot,
          float pos, const float* inv_freq) {
  using B = FloatBatch<Tr>;
  constexpr std::int64_t w = B::size;
  constexpr std::int64_t kChunk = 256;  // pairs per pass over the heads
  const std::int64_t half = n_rot / 2;
  alignas(64) float c[2 * kChunk];
  alignas(64) float s[2 * kChunk];
  for (std::int64_t p0 = 0; p0 < half; p0 += kChunk) {
    const std::int64_t np = half - p0 < kChunk ? half - p0 : kChunk;
    for (std::int64_t i = 0; i < np; ++i) {
      const float theta = pos * inv_freq[p0 + i];
      c[i] = __builtin_cosf(theta);
      s[i] = __builtin_sinf(theta);
    }
    if (layout == RopeLayout::Neox) {
      for (std::int64_t h = 0; h < n_heads; ++h) {
        float* lo = x + h * head_dim + p0;
        float* hi = lo + half;
        std::int64_t i = 0;
        for (; i + w <= np; i += w) {
          const B a = B::load_unaligned(lo + i), b = B::load_unaligned(hi + i);
          const B vc = B::load_aligned(c + i), vs = B::load_aligned(s + i);
          xsimd::fms(a, vc, b * vs).store_unaligned(lo + i);
          xsimd::fma(a, vs, b * vc).store_unaligned(hi + i);
        }
        for (; i < np; ++i) {
          const float a = lo[i], b = hi[i];
          lo[i] = a * c[i] - b * s[i];
          hi[i] = a * s[i] + b * c[i];
        }
      }
    } else {
      // Interleave: cc = (c0,c0,c1,c1,..), ss = (-s0,s0,-s1,s1,..); x' = x*cc + swap_pairs(x)*ss.
      alignas(64) float cc[2 * kChunk];
      alignas(64) float ss[2 * kChunk];
      for (std::int64_t i = np - 1; i >= 0; --i) {
        cc[2 * i] = cc[2 * i + 1] = c[i];
        ss[2 * i] = -s[i];
        ss[2 * i + 1] = s[i];
      }
      for (std::int64_t h = 0; h < n_heads; ++h) {
        float* p = x + h * head_dim + 2 * p0;
        std::int64_t i = 0;
        for (; i + w <= 2 * np; i += w) {
          const B v = B::load_unaligned(p + i);
          const B r = xsimd::fma(Tr::swap_pairs(v), B::load_aligned(ss + i), v * B::load_aligned(cc + i));
          r.store_unaligned(p + i);
        }
        for (; i < 2 * np; i += 2) {
          const float a = p[i], b = p[i + 1];
          p[i] = a * cc[i] - b * ss[i + 1];
          p[i + 1] = a * ss[i + 1] + b * cc[i];
        }
      }
    }
  }
}

template <class Tr>
void softmax(float* x, std::int64_t n, float softcap) {
  using B = FloatBatch<Tr>;
  constexpr std::int64_t w = B::size;
  if (n <= 0) return;
  if (softcap > 0.f) {
    const B cap(softcap), inv(1.0f / softcap);
    // -inf marks a masked score: it must stay -inf, not become -softcap (kernels.hpp).
    const B masked(-INFINITY);
    map1<Tr>(x, n, x, [cap, inv, masked](auto v) { return xsimd::select(v == masked, v, cap * xsimd::tanh(v * inv)); });
  }
  std::int64_t i = 0;
  B vmax(-INFINITY);
  for (; i + w <= n; i += w) vmax = xsimd::max(vmax, B::load_unaligned(x + i));
  float m = hmax<Tr>(vmax);
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  const B bm(m);
  B acc(0.f);
  for (i = 0; i + w <= n; i += w) {
    const B e = xsimd::exp(B::load_unaligned(x + i) - bm);
    e.store_unaligned(x + i);
    acc += e;
  }
  float sum = hsum<Tr>(acc);
  if (i < n) {
    alignas(64) float t[w];
    for (std::int64_t j = 0; j < w; ++j) t[j] = i + j < n ? x[i + j] : m;
    xsimd::exp(B::load_aligned(t) - bm).store_aligned(t);
    for (std::int64_t j = 0; i + j < n; ++j) {
      x[i + j] = t[j];
      sum += t[j];
    }
  }
  scale<Tr>(x, 1.0f / sum, n, x);
}

template <class Tr>
void softcap(float* x, std::int64_t n, float cap) {
  using B = FloatBatch<Tr>;
  const B c(cap), inv(1.0f / cap);
  map1<Tr>(x, n, x, [c, inv](auto v) { return c * xsimd::tanh(v * inv); });
}

template <class Tr>
void swiglu(const float* gate, const float* up, std::int64_t n, float* out) {
  using B = FloatBatch<Tr>;
  map2<Tr>(gate, up, n, out, [](B g, B u) { return g / (B(1.f) + xsimd::exp(-g)) * u; });
}

// GELU, tanh form, as the scalar reference: g/2 * (1 + tanh(sqrt(2/pi) * g * (1 + 0.044715 g^2))).
template <class Tr>
void geglu(const float* gate, const float* up, std::int64_t n, float* out) {
  using B = FloatBatch<Tr>;
  map2<Tr>(gate, up, n, out, [](B g, B u) {
    const B inner = B(0.79788456080286535588f) * g * xsimd::fma(B(0.044715f) * g, g, B(1.f));
    return B(0.5f) * g * (B(1.f) + xsimd::tanh(inner)) * u;
  });
}

// geglu_fp16 (llama.cpp's GELU: fp16-rounded gate, fp16 result) by table lookup: the gate's fp16
// bits (F16C, round to nearest even like formats::f32_to_fp16) index 65536 precomputed values of
// the scalar reference's gelu_fp16, so every level gives bit-identical results. The table
// (256 KiB, immutable) is built on first use, which is only after the CPU check.
struct GeluFp16Table {
  alignas(64) float v[65536];
  GeluFp16Table() noexcept {
    for (int i = 0; i < 65536; ++i) {
      const float h = _cvtsh_ss(static_cast<unsigned short>(i));
      // Gates just inside (-10, 10) round to h = +-10 and take the formula, not the cut-off:
      // evaluate the reference on such a gate.
      v[i] = ref::gelu_fp16(__builtin_fabsf(h) >= 10.0f ? __builtin_nextafterf(h, 0.0f) : h);
    }
  }
};

template <class Tr>
void geglu_fp16(const float* gate, const float* up, std::int64_t n, float* out) {
  static const GeluFp16Table table;
  const __m256 lo = _mm256_set1_ps(-10.0f), hi = _mm256_set1_ps(10.0f);
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256i idx = _mm256_cvtepu16_epi32(_mm256_cvtps_ph(g, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    __m256 v = _mm256_i32gather_ps(table.v, idx, 4);
    v = _mm256_blendv_ps(v, _mm256_setzero_ps(), _mm256_cmp_ps(g, lo, _CMP_LE_OQ));
    v = _mm256_blendv_ps(v, g, _mm256_cmp_ps(g, hi, _CMP_GE_OQ));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(v, _mm256_loadu_ps(up + i)));
  }
  for (; i < n; ++i) out[i] = ref::gelu_fp16(gate[i]) * up[i];
}

}  // namespace SLM_SIMD_ISA_NS
}  // namespace slm::kernels::simd
