// The AVX-512 level (F/BW/VL/DQ/VNNI): xsimd's avx512bw for float kernels; vpdpbusd int8 dot
// products. Compiled with the AVX-512 flags (see kernels/CMakeLists.txt): only reachable
// through the dispatcher after it has checked the CPU.

// GCC 12's AVX-512 intrinsic headers initialise their "undefined" vectors from themselves
// (`__m512 __Y = __Y;`), which -Wmaybe-uninitialized reports at every inlined use.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#include "kernels/arch/tables.hpp"

#define SLM_SIMD_ISA_NS avx512
#include "kernels/simd/table.hpp"

namespace slm::kernels::arch {
namespace {

struct Avx512 {
  using arch = xsimd::avx512bw;
  using F = xsimd::batch<float, arch>;

  static F swap_pairs(F v) noexcept { return _mm512_permute_ps(v, 0xB1); }

  // u8 x s8 dot products with AVX512-VNNI vpdpbusd on 256-bit vectors (AVX512VL): four
  // products summed into each i32 lane in one instruction, no 16-bit intermediate.
  using Scale = __m256i;  // i32 x8 multiplier
  static __m256i dot(__m256i acc, __m256i u, __m256i s) noexcept { return _mm256_dpbusd_epi32(acc, u, s); }
  static Scale scale(int lo, int hi) noexcept { return _mm256_set_m128i(_mm_set1_epi32(hi), _mm_set1_epi32(lo)); }
  static __m256i dot_scaled(__m256i u, __m256i s, Scale sc) noexcept {
    return _mm256_mullo_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s), sc);
  }
};

}  // namespace

KernelTable avx512_table(const KernelTable& fallback) {
  return simd::make_table<Avx512>(Isa::Avx512, fallback);
}

}  // namespace slm::kernels::arch
