#include "runtime/thread_pool.hpp"

namespace slm::runtime {
namespace {

// About 10-30 microseconds of polling before a thread blocks.
constexpr int kSpin = 2000;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
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
  for (int i = 0; i < kSpin && pending_.load(std::memory_order_acquire) != 0; ++i) cpu_relax();
  if (pending_.load(std::memory_order_acquire) != 0) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_cv_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
  }
}

void ThreadPool::worker_loop(int t) {
  std::uint64_t seen = 0;
  for (;;) {
    auto has_job = [&] { return stop_.load() || generation_.load(std::memory_order_acquire) != seen; };
    for (int i = 0; i < kSpin && !has_job(); ++i) cpu_relax();
    if (!has_job()) {
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
