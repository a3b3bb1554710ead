#pragma once
// Kernel tables of the SIMD levels. Each is built in its own translation unit (table_avx2.cpp,
// table_avx512.cpp) compiled with that ISA's flags; nothing in those files may run before the
// dispatcher has checked the CPU, so they export only these builders.
//
// A builder starts from `fallback` (the scalar table) and overrides the entries it has a SIMD
// variant for, so a level is always complete.

#include "kernels/kernels.hpp"

namespace slm::kernels::arch {

KernelTable avx2_table(const KernelTable& fallback);
KernelTable avx512_table(const KernelTable& fallback);

}  // namespace slm::kernels::arch
