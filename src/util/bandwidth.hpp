#pragma once
// A short memory-read bandwidth probe (< 0.5 s): the bound a decode step cannot beat, since it
// streams every weight once per generated token. Used by the architecture card's tokens/s
// ceiling. bench/ has a longer, more careful probe for the kernel benchmarks.

namespace slm::util {

// Read bandwidth in GB/s (1e9 bytes/s): `threads` threads (0 = hardware concurrency) each sum
// their slice of a 256 MiB buffer (beyond typical last-level caches; this VM reports a 480 MiB L3, so
// the result may be partly cache bandwidth); best of two passes. A loaded machine reads low: pass
// --bandwidth with a quiet measurement (docs/kernels.md) for stable ceilings.
// Returns 0 if the buffer cannot be allocated.
double measure_read_bandwidth_gbps(int threads = 0);

}  // namespace slm::util
