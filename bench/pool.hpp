#pragma once
// A fixed pool of spinning worker threads for the benchmarks: run(f) calls f(tid, n) on every
// thread (the caller is thread 0) and returns when all are done. Spinning (not condition
// variables) so that waking the workers costs well under a microsecond, which matters for the
// small matrix-vector products being measured.

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace slm::bench {

class Pool {
 public:
  explicit Pool(int n_threads) : n_(n_threads) {
    for (int t = 1; t < n_; ++t) workers_.emplace_back([this, t] { loop(t); });
  }
  ~Pool() {
    stop_.store(true, std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_acq_rel);
    for (auto& w : workers_) w.join();
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  int size() const noexcept { return n_; }

  void run(const std::function<void(int, int)>& f) {
    if (n_ == 1) return f(0, 1);
    task_ = &f;
    pending_.store(n_ - 1, std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_acq_rel);
    f(0, n_);
    while (pending_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  }

 private:
  void loop(int tid) {
    std::uint64_t seen = 0;
    for (;;) {
      std::uint64_t g;
      while ((g = generation_.load(std::memory_order_acquire)) == seen) std::this_thread::yield();
      seen = g;
      if (stop_.load(std::memory_order_acquire)) return;
      (*task_)(tid, n_);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  int n_;
  std::vector<std::thread> workers_;
  const std::function<void(int, int)>* task_ = nullptr;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
};

// Rows [r0, r1) of n_rows for thread tid of n, in multiples of `align` rows.
inline void split_rows(std::int64_t n_rows, int tid, int n, std::int64_t& r0, std::int64_t& r1,
                       std::int64_t align = 16) {
  const std::int64_t units = (n_rows + align - 1) / align;
  const std::int64_t u0 = units * tid / n, u1 = units * (tid + 1) / n;
  r0 = u0 * align < n_rows ? u0 * align : n_rows;
  r1 = u1 * align < n_rows ? u1 * align : n_rows;
}

}  // namespace slm::bench
