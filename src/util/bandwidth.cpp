// Read bandwidth probe: sum 64-bit words over a buffer much larger than the caches.
#include "util/bandwidth.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <new>
#include <thread>
#include <vector>

namespace slm::util {
namespace {

// Four independent accumulators so the adds do not serialise; the compiler vectorises this.
std::uint64_t sum_words(const std::uint64_t* p, std::size_t n) {
  std::uint64_t a = 0, b = 0, c = 0, d = 0;
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) a += p[i], b += p[i + 1], c += p[i + 2], d += p[i + 3];
  for (; i < n; ++i) a += p[i];
  return a + b + c + d;
}

}  // namespace

double measure_read_bandwidth_gbps(int threads) {
  constexpr std::size_t kBytes = std::size_t{256} << 20;
  constexpr int kPasses = 2;
  const std::size_t n_words = kBytes / sizeof(std::uint64_t);
  std::unique_ptr<std::uint64_t[]> buf(new (std::nothrow) std::uint64_t[n_words]);
  if (!buf) return 0;
  if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  const std::size_t per = n_words / std::size_t(threads);
  // Touch every page (and give the words values the sum depends on) before timing.
  for (std::size_t i = 0; i < n_words; ++i) buf[i] = i;
  std::atomic<std::uint64_t> sink{0};
  double best = 0;
  for (int pass = 0; pass < kPasses; ++pass) {
    std::vector<std::thread> pool;
    const auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] { sink += sum_words(buf.get() + std::size_t(t) * per, per); });
    for (auto& th : pool) th.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s > 0) best = std::max(best, double(per * std::size_t(threads) * sizeof(std::uint64_t)) / s / 1e9);
  }
  // The sink keeps the sums observable so the reads cannot be optimised away.
  return sink.load() == 0xFFFFFFFFFFFFFFFFull ? best + 0 : best;
}

}  // namespace slm::util
