#pragma once
// Software prefetch for the matrix-vector kernels, which read every weight byte once per call,
// from DRAM when the model is larger than the caches: the lines `distance` bytes ahead of what
// the kernel has read, one request per cache line, into L2 (T1), which tracks more outstanding
// misses than L1's fill buffers (what was measured: docs/kernels.md).
// Also used by kernels/arch.

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "kernels/simd/vec.hpp"  // the ISA namespace

namespace slm::kernels::simd {
inline namespace SLM_SIMD_ISA_NS {

// How far ahead: rows (with 2 threads each streams its own half of the rows).
inline constexpr std::int64_t kPrefetchRows = 8;

class LinePrefetch {
 public:
  LinePrefetch(const void* row, std::size_t distance) noexcept
      : next_((reinterpret_cast<std::uintptr_t>(row) + distance) & ~std::uintptr_t{63}), distance_(distance) {}

  // The kernel will read up to `end` (exclusive): request every line before end + distance.
  void advance(const void* end) noexcept {
    const std::uintptr_t target = reinterpret_cast<std::uintptr_t>(end) + distance_;
    for (; next_ < target; next_ += 64) _mm_prefetch(reinterpret_cast<const char*>(next_), _MM_HINT_T1);
  }

 private:
  std::uintptr_t next_;
  std::size_t distance_;
};

}  // namespace SLM_SIMD_ISA_NS
}  // namespace slm::kernels::simd
