#pragma once
// Software prefetch for the matrix-vector kernels, which read every weight byte once per call,
// from DRAM when the model is larger than the caches: the line kPrefetchBytes ahead of what the
// kernel reads, into L2 (T1), which tracks more outstanding misses than L1's fill buffers.
// Also used by kernels/arch.
//
// The distance is in bytes, not rows. Measured on the development machine (2 cores, weights
// from DRAM, docs/kernels.md, session 6): 8 rows ahead, what these kernels did before (9-94 KiB
// depending on the row length), read 1.5-4% less than 3 KiB for the K-quants and 10-15% less for
// the 32-element formats, and decode of the models larger than the L3 ran 3-9% slower; 2-3.5 KiB
// is the plateau, 1 KiB and >= 4 KiB are no better than 8 rows.

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "kernels/kernels.hpp"    // kPrefetchBytes
#include "kernels/simd/vec.hpp"  // the ISA namespace

namespace slm::kernels::simd {
inline namespace SLM_SIMD_ISA_NS {

// Whether to prefetch for row r: the start-up choice (kernels::stream_prefetch(), read once per
// call by the caller: `on`) and the prefetch staying inside the matrix (rows are contiguous,
// row_stride apart).
inline bool prefetch_inside(bool on, std::int64_t r, std::int64_t n_rows, std::size_t row_stride) noexcept {
  return on && static_cast<std::size_t>(r + 1) * row_stride + kPrefetchBytes <= static_cast<std::size_t>(n_rows) * row_stride;
}

// One request per cache line, kPrefetchBytes ahead of the bytes read so far.
class LinePrefetch {
 public:
  explicit LinePrefetch(const void* row) noexcept
      : next_((reinterpret_cast<std::uintptr_t>(row) + kPrefetchBytes) & ~std::uintptr_t{63}) {}

  // The kernel will read up to `end` (exclusive): request every line before end + kPrefetchBytes.
  void advance(const void* end) noexcept {
    const std::uintptr_t target = reinterpret_cast<std::uintptr_t>(end) + kPrefetchBytes;
    for (; next_ < target; next_ += 64) _mm_prefetch(reinterpret_cast<const char*>(next_), _MM_HINT_T1);
  }

 private:
  std::uintptr_t next_;
};

}  // namespace SLM_SIMD_ISA_NS
}  // namespace slm::kernels::simd
