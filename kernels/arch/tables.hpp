#pragma once
// Kernel tables of the SIMD levels. Each is built in its own translation unit (table_avx2.cpp,
// table_avx512.cpp, table_amx.cpp) compiled with that ISA's flags; nothing in those files may run before the
// dispatcher has checked the CPU, so they export only these builders.
//
// A builder starts from `fallback` (the scalar table) and overrides the entries it has a SIMD
// variant for, so a level is always complete.

#include "kernels/kernels.hpp"

namespace slm::kernels::arch {

KernelTable avx2_table(const KernelTable& fallback);
KernelTable avx512_table(const KernelTable& fallback);
// The AMX level starts from the AVX-512 table (not the scalar one) and replaces matmul_q8.
KernelTable amx_table(const KernelTable& avx512);
// The AVX-512 level's matmul_q8 (table_avx512.cpp), which the AMX level keeps for small batches.
void avx512_matmul_q8(const Matrix& w, const void* xq, std::int64_t batch, float* y, std::int64_t ldy,
                      std::int64_t r0, std::int64_t r1);

}  // namespace slm::kernels::arch
