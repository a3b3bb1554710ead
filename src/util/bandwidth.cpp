// Read bandwidth probe (bandwidth.hpp says how it reads and why).
#include "util/bandwidth.hpp"

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <new>
#include <thread>
#include <vector>

#include "kernels/kernels.hpp"
#include "util/memory.hpp"

namespace slm::util {
namespace {

// Prefetched passes request the line kernels::kPrefetchBytes ahead into L2, as the matrix-vector
// kernels do: once they prefetched, they read faster than plain loads here.
using kernels::kPrefetchBytes;

// Four independent accumulators per width so the adds never limit the loads. Unaligned loads:
// read_rate_gbps passes tensors at any offset (on aligned data they cost the same).
template <bool Prefetch>
__attribute__((target("avx512f"))) std::uint64_t sum_avx512(const std::uint64_t* p, std::size_t n) {
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
  for (std::size_t i = 0; i + 32 <= n; i += 32) {
    if constexpr (Prefetch)
      for (int l = 0; l < 4; ++l) _mm_prefetch(reinterpret_cast<const char*>(p + i + 8 * l) + kPrefetchBytes, _MM_HINT_T1);
    a0 = _mm512_add_epi64(a0, _mm512_loadu_si512(p + i));
    a1 = _mm512_add_epi64(a1, _mm512_loadu_si512(p + i + 8));
    a2 = _mm512_add_epi64(a2, _mm512_loadu_si512(p + i + 16));
    a3 = _mm512_add_epi64(a3, _mm512_loadu_si512(p + i + 24));
  }
  alignas(64) std::uint64_t t[8];
  _mm512_store_si512(t, _mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3)));
  return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}

template <bool Prefetch>
__attribute__((target("avx2"))) std::uint64_t sum_avx2(const std::uint64_t* p, std::size_t n) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (std::size_t i = 0; i + 16 <= n; i += 16) {
    if constexpr (Prefetch)
      for (int l = 0; l < 2; ++l) _mm_prefetch(reinterpret_cast<const char*>(p + i + 8 * l) + kPrefetchBytes, _MM_HINT_T1);
    a0 = _mm256_add_epi64(a0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_add_epi64(a1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 4)));
    a2 = _mm256_add_epi64(a2, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 8)));
    a3 = _mm256_add_epi64(a3, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 12)));
  }
  alignas(32) std::uint64_t t[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(t), _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3)));
  return t[0] + t[1] + t[2] + t[3];
}

template <bool Prefetch>
std::uint64_t sum_plain(const std::uint64_t* p, std::size_t n) {
  std::uint64_t a = 0, b = 0, c = 0, d = 0;
  for (std::size_t i = 0; i + 4 <= n; i += 4) {
    if constexpr (Prefetch)
      if (i % 8 == 0) _mm_prefetch(reinterpret_cast<const char*>(p + i) + kPrefetchBytes, _MM_HINT_T1);
    std::uint64_t w[4];
    std::memcpy(w, p + i, sizeof w);  // p may be unaligned (read_rate_gbps)
    a += w[0], b += w[1], c += w[2], d += w[3];
  }
  return a + b + c + d;
}

using SumFn = std::uint64_t (*)(const std::uint64_t*, std::size_t);

template <bool Prefetch>
SumFn widest_sum() {
  if (__builtin_cpu_supports("avx512f")) return sum_avx512<Prefetch>;
  if (__builtin_cpu_supports("avx2")) return sum_avx2<Prefetch>;
  return sum_plain<Prefetch>;
}

// Runs f(t) on `threads` threads (the caller is thread 0) and waits for all.
template <class F>
void on_threads(int threads, F&& f) {
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(f, t);
  f(0);
  for (auto& th : pool) th.join();
}

// Sums every whole 8-byte word of `ranges` once, each range split evenly over `threads` threads;
// returns the seconds it took and the total of the sums (wrapping).
struct TimedRead {
  double seconds;
  std::uint64_t total;
};
TimedRead timed_read(std::span<const std::span<const std::uint8_t>> ranges, int threads, bool prefetch) {
  static const SumFn plain = widest_sum<false>(), prefetched = widest_sum<true>();
  const SumFn sum = prefetch ? prefetched : plain;
  std::vector<std::uint64_t> sums(std::size_t(threads) * 8, 0);  // a cache line per thread
  const auto t0 = std::chrono::steady_clock::now();
  on_threads(threads, [&](int t) {
    for (const auto& r : ranges) {
      const std::size_t words = r.size() / 8, w0 = words * std::size_t(t) / std::size_t(threads),
                        w1 = words * std::size_t(t + 1) / std::size_t(threads);
      sums[std::size_t(t) * 8] += sum(reinterpret_cast<const std::uint64_t*>(r.data() + w0 * 8), w1 - w0);
    }
  });
  TimedRead out{std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 0};
  for (const std::uint64_t v : sums) out.total += v;
  return out;
}

}  // namespace

ReadProbe::ReadProbe(std::size_t bytes, int threads) : threads_(std::max(1, threads)) {
  // Each slice a whole number of pages, so every 64-byte aligned load stays in its slice.
  const std::size_t slice = bytes / std::size_t(threads_) / 4096 * 4096;
  if (slice == 0) return;
  try {
    buf_ = Pages(slice * std::size_t(threads_), /*huge=*/true);
  } catch (const std::bad_alloc&) {
    return;
  }
  on_threads(threads_, [&](int t) { std::memset(buf_.data() + slice * std::size_t(t), 1, slice); });
}

double ReadProbe::pass(bool prefetch) {
  if (buf_.size() == 0) return 0;
  const std::span<const std::uint8_t> whole[] = {{buf_.data(), buf_.size()}};  // slices of whole pages
  const TimedRead r = timed_read(whole, threads_, prefetch);
  // Every word is 0x0101...01, so the sum is known: checking it keeps the reads observable.
  if (r.total != buf_.size() / 8 * 0x0101010101010101ull) return 0;
  return r.seconds > 0 ? static_cast<double>(buf_.size()) / r.seconds / 1e9 : 0;
}

double read_rate_gbps(std::span<const std::span<const std::uint8_t>> ranges, int threads, bool prefetch) {
  std::size_t bytes = 0;
  for (const auto& range : ranges) bytes += range.size() / 8 * 8;
  const TimedRead r = timed_read(ranges, std::max(1, threads), prefetch);
  asm volatile("" : : "r"(r.total));  // the sums depend on the data: using them keeps the reads
  return r.seconds > 0 ? static_cast<double>(bytes) / r.seconds / 1e9 : 0;
}

double measure_read_bandwidth_gbps(int threads) {
  if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  std::size_t bytes = std::size_t{1} << 30;
  if (const std::uint64_t avail = available_memory_bytes(); avail != 0 && avail / 4 < bytes)
    bytes = static_cast<std::size_t>(avail / 4);
  ReadProbe probe(bytes, threads);
  double best = 0;
  for (int i = 0; i < 3; ++i) best = std::max({best, probe.pass(false), probe.pass(true)});
  return best;
}

}  // namespace slm::util
