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
#include "kernels/arch/avx512_q32.hpp"
#include "kernels/arch/avx512_q32_matvec.hpp"
#include "kernels/arch/avx512_q4k.hpp"
#include "kernels/arch/avx512_q6k.hpp"
#include "kernels/arch/avx512_kquant_gemm.hpp"
#include "kernels/arch/avx512_q32_gemm.hpp"
#include "kernels/simd/table.hpp"

namespace slm::kernels::arch {
namespace {

struct Avx512 {
  using arch = xsimd::avx512bw;
  using F = xsimd::batch<float, arch>;

  static F swap_pairs(F v) noexcept { return _mm512_permute_ps(v, 0xB1); }

  // u8 x s8 dot products on 256-bit vectors. The plain dot is one AVX512-VNNI vpdpbusd (four
  // products summed into each i32 lane). The scaled dot (K-quant sub-blocks) uses maddubs + madd
  // with the scale as the i16 multiplier, like AVX2: two uops that can issue on two ports, where
  // vpdpbusd + vpmulld would be three on port 0. (Q4_K has a dedicated 512-bit kernel.)
  using Scale = __m256i;  // i16 x16 multiplier for madd
  static __m256i dot(__m256i acc, __m256i u, __m256i s) noexcept { return _mm256_dpbusd_epi32(acc, u, s); }
  static Scale scale(int lo, int hi) noexcept {
    return _mm256_set_m128i(_mm_set1_epi16(static_cast<short>(hi)), _mm_set1_epi16(static_cast<short>(lo)));
  }
  static __m256i dot_scaled(__m256i u, __m256i s, Scale sc) noexcept {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), sc);
  }
};

}  // namespace

// Formats with a dedicated 512-bit kernel; everything else through the shared 256-bit templates.
// (Outside the anonymous namespace: the AMX level falls back to it for small batches.)
void avx512_matmul_q8(const Matrix& w, const void* xq, std::int64_t batch, float* y, std::int64_t ldy, std::int64_t r0,
               std::int64_t r1) {
  if (simd::simd_can(w, r0, r1)) {
    switch (w.type) {
      case DType::Q4_K:
        if (batch >= 16) return avx512::matmul_k_gemm<formats::BlockQ4_K, 8>(w, xq, batch, y, ldy, r0, r1);
        if (w.k <= avx512::kMaxBlocks * 256) return avx512::matmul_q4k(w, xq, batch, y, ldy, r0, r1);
        break;
      case DType::Q5_K:
        if (batch >= 16) return avx512::matmul_k_gemm<formats::BlockQ5_K, 8>(w, xq, batch, y, ldy, r0, r1);
        break;
      case DType::Q6_K:
        if (batch >= 16) return avx512::matmul_k_gemm<formats::BlockQ6_K, 16>(w, xq, batch, y, ldy, r0, r1);
        return avx512::matmul_q6k(w, xq, batch, y, ldy, r0, r1);
      default: break;
    }
    // The 32-element formats: from 16 rows the GEMM-style kernel (lanes = batch rows); one row
    // the matrix-vector kernel (lanes = blocks); 4..15 rows the pair kernel (activations prepared
    // per tile, which pays off with several rows); 2-3 rows the 256-bit path.
    if (batch >= 16) {
      switch (w.type) {
        case DType::Q8_0: return avx512::matmul_q32_gemm<avx512::PolQ8_0>(w, xq, batch, y, ldy, r0, r1);
        case DType::Q4_0: return avx512::matmul_q32_gemm<avx512::PolQ4_0>(w, xq, batch, y, ldy, r0, r1);
        case DType::Q5_0: return avx512::matmul_q32_gemm<avx512::PolQ5_0>(w, xq, batch, y, ldy, r0, r1);
        case DType::Q4_1: return avx512::matmul_q32_gemm<avx512::PolQ4_1>(w, xq, batch, y, ldy, r0, r1);
        default: break;
      }
    }
    if (batch == 1 && w.k <= avx512::kMvMaxBlocks * 32) {
      switch (w.type) {
        case DType::Q8_0: return avx512::matvec_q32<avx512::PolQ8_0>(w, xq, y, r0, r1);
        case DType::Q4_0: return avx512::matvec_q32<avx512::PolQ4_0>(w, xq, y, r0, r1);
        case DType::Q5_0: return avx512::matvec_q32<avx512::PolQ5_0>(w, xq, y, r0, r1);
        case DType::Q4_1: return avx512::matvec_q32<avx512::PolQ4_1>(w, xq, y, r0, r1);
        default: break;
      }
    }
    if (batch >= 4) {
      switch (w.type) {
        case DType::Q8_0: return avx512::matmul_q32<avx512::PolQ8_0>(w, xq, batch, y, ldy, r0, r1);
        case DType::Q4_0: return avx512::matmul_q32<avx512::PolQ4_0>(w, xq, batch, y, ldy, r0, r1);
        case DType::Q5_0: return avx512::matmul_q32<avx512::PolQ5_0>(w, xq, batch, y, ldy, r0, r1);
        case DType::Q4_1: return avx512::matmul_q32<avx512::PolQ4_1>(w, xq, batch, y, ldy, r0, r1);
        default: break;
      }
    }
  }
  simd::matmul_q8_dispatch<Avx512>(w, xq, batch, y, ldy, r0, r1);
}

KernelTable avx512_table(const KernelTable& fallback) {
  KernelTable t = simd::make_table<Avx512>(Isa::Avx512, fallback);
  t.matmul_q8 = &avx512_matmul_q8;
  return t;
}

}  // namespace slm::kernels::arch
