#pragma once
// Memory-read bandwidth probe: the rate at which `threads` cores stream memory no cache holds,
// the bound a decode step cannot beat (it reads every weight once per generated token). Used by
// the architecture card's tokens/s ceiling and by bench/ (bandwidth/t<N>), so the ceilings in
// the docs and the kernels' "fraction of bandwidth" come from one measurement.
//
// How it reads, each choice measured on the development machine (2 cores, docs/kernels.md):
// - a buffer larger than the last-level cache (that VM reports a 480 MiB L3);
// - huge pages (MADV_HUGEPAGE): fewer TLB misses, +5-10%. Model files mapped from the page cache
//   are largely PMD-mapped by current kernels too (large page-cache folios), so this is the
//   bound for mapped weights as well;
// - the widest loads the CPU has (512-bit with AVX-512F, else 256-bit with AVX2): with 256-bit
//   loads the same loop read 10-15% less, so a narrower probe would understate the ceiling;
// - plain loads and loads with software prefetch 3 KiB ahead (what the matrix-vector kernels
//   do, and with it they read faster than plain loads did);
// - every thread first touches, then sums, its own slice; the best of several passes.

#include <cstddef>
#include <cstdint>
#include <span>

#include "util/pages.hpp"

namespace slm::util {

class ReadProbe {
 public:
  // Allocates and touches `bytes` (rounded down to whole 4 KiB pages per thread). On failure
  // bytes() is 0 and pass() returns 0.
  ReadProbe(std::size_t bytes, int threads);

  // Reads the whole buffer once with the probe's threads, with or without software prefetch;
  // returns GB/s (1e9 bytes/s).
  double pass(bool prefetch);
  std::size_t bytes() const noexcept { return buf_.size(); }

 private:
  Pages buf_{0};
  int threads_ = 1;
};

// Reads every byte of `ranges` once (each range split evenly over `threads` threads, as the
// matrix-vector products split a matrix's rows) and returns GB/s. For the weights a decode step
// reads, this is the rate the memory holding them delivers, which need not be ReadProbe's: on the
// development VM, page-cache pages filled from disk read up to 10-15% slower than fresh anonymous
// memory after some re-reads and as fast after others (docs/performance.md), and a mapped
// model's weights are such pages.
double read_rate_gbps(std::span<const std::span<const std::uint8_t>> ranges, int threads, bool prefetch);

// Read bandwidth in GB/s with `threads` threads (0 = hardware concurrency): best of three
// plain and three prefetched passes over 1 GiB (less if MemAvailable is under 4 GiB); about 0.5 s. A loaded machine reads
// low: pass --bandwidth with a quiet measurement for stable ceilings. Returns 0 if no buffer
// could be allocated.
double measure_read_bandwidth_gbps(int threads = 0);

}  // namespace slm::util
