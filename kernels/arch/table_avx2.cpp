// The AVX2 level: xsimd's fma3<avx2> for float kernels; maddubs-based int8 dot products.
// Compiled with -mavx2 -mfma -mf16c -mbmi2 (see kernels/CMakeLists.txt): only reachable
// through the dispatcher after it has checked the CPU.

#include <immintrin.h>

#include "kernels/arch/tables.hpp"

#define SLM_SIMD_ISA_NS avx2
#include "kernels/simd/matvec_q32.hpp"
#include "kernels/simd/table.hpp"

namespace slm::kernels::arch {
namespace {

struct Avx2 {
  using arch = xsimd::fma3<xsimd::avx2>;
  using F = xsimd::batch<float, arch>;

  static F swap_pairs(F v) noexcept { return _mm256_permute_ps(v, 0xB1); }

  // u8 x s8 dot products through maddubs (pairs -> i16, never saturating for slm's operands,
  // see kernels/simd/int8_blocks.hpp) and madd (pairs of i16 -> i32).
  using Scale = __m256i;  // i16 x16 multiplier for madd
  static __m256i dot(__m256i acc, __m256i u, __m256i s) noexcept {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
  }
  static Scale scale(int lo, int hi) noexcept {
    return _mm256_set_m128i(_mm_set1_epi16(static_cast<short>(hi)), _mm_set1_epi16(static_cast<short>(lo)));
  }
  static __m256i dot_scaled(__m256i u, __m256i s, Scale sc) noexcept {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), sc);
  }
};

// Matrix-vector products of the 32-element formats take the one-lane-per-block kernel.
void avx2_matmul_q8(const Matrix& w, const void* xq, std::int64_t batch, float* y, std::int64_t ldy, std::int64_t r0,
                    std::int64_t r1) {
  if (batch == 1 && simd::simd_can(w, r0, r1) && simd::matvec_q32_dispatch<Avx2>(w, xq, y, r0, r1)) return;
  simd::matmul_q8_dispatch<Avx2>(w, xq, batch, y, ldy, r0, r1);
}

}  // namespace

KernelTable avx2_table(const KernelTable& fallback) {
  KernelTable t = simd::make_table<Avx2>(Isa::Avx2, fallback);
  t.matmul_q8 = &avx2_matmul_q8;
  return t;
}

}  // namespace slm::kernels::arch
