#pragma once
// Small helpers over xsimd batches shared by the SIMD kernel templates.
//
// Every template here is parameterised by a Traits struct (defined in the one translation unit of
// its ISA under kernels/arch/) that names the xsimd architecture (`Traits::arch`) and supplies the
// few operations xsimd 8.1 lacks (lane swaps, int8 dot products).

#include <cstdint>

#include <xsimd/xsimd.hpp>

// Every kernels/simd header puts its code in `inline namespace SLM_SIMD_ISA_NS`, which the one
// translation unit of each ISA defines (avx2, avx512): inline helpers that are not templates
// then get ISA-specific symbols too, so the linker can never hand an AVX-512 copy of a helper to
// the AVX2 table. For the same reason these headers call compiler builtins (__builtin_sqrtf ...)
// rather than inline std:: wrappers, which an unoptimised build would emit out of line.
#ifndef SLM_SIMD_ISA_NS
#error "define SLM_SIMD_ISA_NS (the ISA's namespace) before including kernels/simd headers"
#endif

namespace slm::kernels::simd {
inline namespace SLM_SIMD_ISA_NS {

template <class Traits>
using FloatBatch = xsimd::batch<float, typename Traits::arch>;

template <class Traits>
inline float hsum(FloatBatch<Traits> v) noexcept {
  return xsimd::hadd(v);
}

template <class Traits>
inline float hmax(FloatBatch<Traits> v) noexcept {
  constexpr std::size_t n = FloatBatch<Traits>::size;
  alignas(64) float t[n];
  v.store_aligned(t);
  float m = t[0];
  for (std::size_t i = 1; i < n; ++i) m = t[i] > m ? t[i] : m;
  return m;
}

}  // namespace SLM_SIMD_ISA_NS
}  // namespace slm::kernels::simd
