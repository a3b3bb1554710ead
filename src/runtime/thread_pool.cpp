#include "runtime/thread_pool.hpp"

#include <chrono>

namespace slm::runtime {
namespace {

// How long a thread polls before it blocks. Decoding hands out a job every few hundred
// microseconds, and a thread that blocks costs a futex wake-up and a reschedule. llama3-8b tg64,
// 2 threads: a 20 us poll blocked ~20000 times per run (5.42/5.33 t/s); 200 us ~1600 times
// (5.58/5.42); 1 ms and 5 ms no better (docs/performance.md). Measured in time, not iterations:
// `pause` takes 10 ns here and several times that on other Intel cores.
constexpr std::chrono::microseconds kSpin{200};

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Polls pred, pausing between checks, for up to kSpin; returns its last value.
template <class P>
bool spin_until(P&& pred) {
  const auto end = std::chrono::steady_clock::now() + kSpin;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (pred()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= end) return pred();
  }
}

}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(n_threads < 1 ? 1 : n_threads) {
  workers_.reserve(std::size_t(n_threads_ - 1));
  for (int t = 1; t < n_threads_; ++t) workers_.emplace_back([this, t] { worker_loop(t); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
  }
  start_cv_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::work(int t) {
  const std::int64_t b = n_ * t / n_threads_, e = n_ * (t + 1) / n_threads_;
  if (b < e) fn_(ctx_, b, e, t);
}

void ThreadPool::run(std::int64_t n, Trampoline fn, void* ctx) {
  fn_ = fn;
  ctx_ = ctx;
  n_ = n;
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);  // publishes the job
  {
    // Taking the lock orders this check against a worker that is about to sleep: either it
    // sees the new generation in its wait predicate, or it is counted in sleepers_.
    std::lock_guard<std::mutex> lock(mutex_);
    if (sleepers_ > 0) start_cv_.notify_all();
  }
  work(0);
  if (!spin_until([this] { return pending_.load(std::memory_order_acquire) == 0; })) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_cv_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
  }
}

void ThreadPool::worker_loop(int t) {
  std::uint64_t seen = 0;
  for (;;) {
    auto has_job = [&] { return stop_.load() || generation_.load(std::memory_order_acquire) != seen; };
    if (!spin_until(has_job)) {
      std::unique_lock<std::mutex> lock(mutex_);
      ++sleepers_;
      start_cv_.wait(lock, has_job);
      --sleepers_;
    }
    if (stop_.load()) return;
    seen = generation_.load(std::memory_order_acquire);
    work(t);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mutex_);
      done_cv_.notify_one();
    }
  }
}

}  // namespace slm::runtime
