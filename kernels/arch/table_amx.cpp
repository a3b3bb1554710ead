// The AMX level: the AVX-512 table with AMX-INT8 GEMM kernels for the integer matmul from batch
// amx_min_batch(type) (8 to 64). Compiled with the AVX-512 flags plus -mamx-tile -mamx-int8 (see
// kernels/CMakeLists.txt): only reachable through the dispatcher after it has checked the CPU,
// the OS (XCR0) and obtained the tile-data permission from the kernel.

// GCC 12's AVX-512 intrinsic headers initialise their "undefined" vectors from themselves
// (`__m512 __Y = __Y;`), which -Wmaybe-uninitialized (and, for the shuffles of the tile
// transpose, -Wuninitialized) reports at every inlined use.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <immintrin.h>

#include <cstdint>

#include "kernels/arch/amx_kquant_gemm.hpp"
#include "kernels/arch/amx_q32_gemm.hpp"
#include "kernels/arch/tables.hpp"

namespace slm::kernels::arch {
namespace {

// The smallest batch at which the tile kernels beat the AVX-512 ones, per format (CPU time,
// t1, 4096x4096 and 2048x640 at batch 8 and 32 against SLM_ISA=avx512; docs/kernels.md). Below
// it the weight unpack (and, for the K-quants, the 2-3 byte planes) is not amortized: at batch 8
// Q4_K took 2x the VNNI kernel's time, while the 32-element formats other than Q5_0 already won
// by 1.1-1.7x. Q5_0 lost or tied at 32 (its high-bit unpack) and wins from 128.
std::int64_t amx_min_batch(DType t) noexcept {
  switch (t) {
    case DType::Q8_0:
    case DType::Q4_0:
    case DType::Q4_1: return 8;
    case DType::Q6_K: return 16;
    case DType::Q4_K:
    case DType::Q5_K: return 32;
    case DType::Q5_0: return 64;
    default: return INT64_MAX;
  }
}

// Shapes the kernels may assume (the fallback validates and throws for the rest).
bool amx_can(const Matrix& w, std::int64_t r0, std::int64_t r1) noexcept {
  const std::int64_t be = dtype_info(w.type).block_elems;
  return (be == 32 || be == 256) && w.k > 0 && w.k % be == 0 && r0 >= 0 && r0 < r1 && r1 <= w.n_rows;
}

void matmul_q8(const Matrix& w, const void* xq, std::int64_t batch, float* y, std::int64_t ldy, std::int64_t r0,
               std::int64_t r1) {
  if (batch >= amx_min_batch(w.type) && amx_can(w, r0, r1)) {
    switch (w.type) {
      case DType::Q4_K: return amx::matmul_k_amx<formats::BlockQ4_K>(w, xq, batch, y, ldy, r0, r1);
      case DType::Q5_K: return amx::matmul_k_amx<formats::BlockQ5_K>(w, xq, batch, y, ldy, r0, r1);
      case DType::Q6_K: return amx::matmul_k_amx<formats::BlockQ6_K>(w, xq, batch, y, ldy, r0, r1);
      case DType::Q8_0: return amx::matmul_q32_amx<avx512::PolQ8_0>(w, xq, batch, y, ldy, r0, r1);
      case DType::Q4_0: return amx::matmul_q32_amx<avx512::PolQ4_0>(w, xq, batch, y, ldy, r0, r1);
      case DType::Q5_0: return amx::matmul_q32_amx<avx512::PolQ5_0>(w, xq, batch, y, ldy, r0, r1);
      case DType::Q4_1: return amx::matmul_q32_amx<avx512::PolQ4_1>(w, xq, batch, y, ldy, r0, r1);
      default: break;
    }
  }
  avx512_matmul_q8(w, xq, batch, y, ldy, r0, r1);
}

}  // namespace

KernelTable amx_table(const KernelTable& avx512) {
  KernelTable t = avx512;
  t.isa = Isa::Amx;
  t.matmul_q8 = &matmul_q8;
  return t;
}

}  // namespace slm::kernels::arch
