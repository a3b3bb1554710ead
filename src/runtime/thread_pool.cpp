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

// A Share's range word.
constexpr std::uint64_t pack(std::uint64_t next, std::uint64_t end) { return next | end << 32; }
constexpr std::uint64_t next_of(std::uint64_t r) { return r & 0xffffffffu; }
constexpr std::uint64_t end_of(std::uint64_t r) { return r >> 32; }

}  // namespace

ThreadPool::ThreadPool(int n_threads)
    : n_threads_(n_threads < 1 ? 1 : n_threads), shares_(std::make_unique<Share[]>(std::size_t(n_threads_))) {
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

void ThreadPool::run_unit(std::uint64_t u, int t) {
  const auto i = std::int64_t(u);
  fn_(ctx_, n_ * i / units_, n_ * (i + 1) / units_, t);
  if (remaining_.fetch_sub(1) == 1 && t != 0) notify_caller();
}

void ThreadPool::work(int t) {
  std::atomic<std::uint64_t>& own = shares_[std::size_t(t)].range;
  for (;;) {
    // Own share front to back: consecutive units keep this thread's reads sequential.
    for (std::uint64_t r = own.load(std::memory_order_acquire); next_of(r) < end_of(r);) {
      if (own.compare_exchange_weak(r, pack(next_of(r) + 1, end_of(r)), std::memory_order_acq_rel)) {
        run_unit(next_of(r), t);
        r = own.load(std::memory_order_acquire);
      }
    }
    // Then the back half of another thread's remaining units becomes this thread's share (all of
    // them when one is left, so the units of a thread that is not running are all taken over).
    bool stole = false;
    for (int i = 1; i < n_threads_ && !stole; ++i) {
      std::atomic<std::uint64_t>& other = shares_[std::size_t((t + i) % n_threads_)].range;
      for (std::uint64_t r = other.load(std::memory_order_acquire); next_of(r) < end_of(r);) {
        const std::uint64_t mid = next_of(r) + (end_of(r) - next_of(r)) / 2;
        if (other.compare_exchange_weak(r, pack(next_of(r), mid), std::memory_order_acq_rel)) {
          own.store(pack(mid, end_of(r)), std::memory_order_release);
          stole = true;
          break;
        }
      }
    }
    if (!stole) return;
  }
}

// The caller spins, then blocks, until done(). A worker that makes done() true calls
// notify_caller: it reads caller_sleeping_ after its own update, and the caller sets it before
// testing done() under the mutex, so (all seq_cst, hence the default orders on remaining_ and
// inside_) one of the two sees the other.
template <class P>
void ThreadPool::caller_wait(P&& done) {
  if (spin_until(done)) return;
  std::unique_lock<std::mutex> lock(mutex_);
  caller_sleeping_.store(true);
  done_cv_.wait(lock, done);
  caller_sleeping_.store(false);
}

void ThreadPool::notify_caller() {
  if (!caller_sleeping_.load()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  done_cv_.notify_one();
}

void ThreadPool::run(std::int64_t n, std::int64_t units, Trampoline fn, void* ctx) {
  fn_ = fn;
  ctx_ = ctx;
  n_ = n;
  units_ = units;
  for (int t = 0; t < n_threads_; ++t)
    shares_[std::size_t(t)].range.store(
        pack(std::uint64_t(units * t / n_threads_), std::uint64_t(units * (t + 1) / n_threads_)),
        std::memory_order_relaxed);
  remaining_.store(units, std::memory_order_relaxed);
  const std::uint64_t job = generation_.fetch_add(1, std::memory_order_release) + 1;  // publishes it
  {
    // Taking the lock orders this check against a worker that is about to sleep: either it
    // sees the new generation in its wait predicate, or it is counted in sleepers_.
    std::lock_guard<std::mutex> lock(mutex_);
    if (sleepers_ > 0) start_cv_.notify_all();
  }
  work(0);
  caller_wait([this] { return remaining_.load() == 0; });
  // No worker may join the job from here on; wait for those that did to leave it before the
  // next job rewrites the shares. A worker increments inside_ and then reads closed_; this
  // thread writes closed_ and then reads inside_ (seq_cst): one of the two sees the other.
  closed_.store(job);
  caller_wait([this] { return inside_.load() == 0; });
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
    inside_.fetch_add(1);
    if (closed_.load() < seen) work(t);  // else the job was finished without this thread
    if (inside_.fetch_sub(1) == 1) notify_caller();
  }
}

}  // namespace slm::runtime
