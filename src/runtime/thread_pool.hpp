#pragma once
// A persistent pool of worker threads owned by one Session: created once, reused for every
// parallel_for (no thread is created per token). The calling thread takes part as thread 0.
//
// Decoding one token runs a dozen parallel_for per layer, each only tens of microseconds long,
// so waking sleeping threads through a condition variable every time would cost as much as the
// work. Idle workers (and a caller waiting for them) therefore poll an atomic counter for up to
// 200 us before they sleep.
//
// A job is a set of units that any thread may claim, and it is done when its units are, not when
// every worker has seen it: a worker the OS has not scheduled (a core taken by another process)
// neither holds the job up nor joins it late. Waiting for every worker instead made 2 threads
// decode at less than half the speed of 1 whenever the OS ran them on fewer cores: qwen2-0.5b
// tg32 with a busy loop on the other core 19-20 t/s (now 38; 1 thread alone 47), -t 4 on 2
// cores 17 (now 46); docs/performance.md, "A busy core". Only a unit already started must finish.
//
// parallel_for splits statically (one range per thread). parallel_for_balanced balances at run
// time: for memory-bound work, two cores streaming equal shares of a matrix from DRAM finish ~5%
// of a job apart on average (llama3-8b decode, either thread last), and for that long one core
// reads alone; for compute-bound work in parts of its own, a thread the OS runs only part of the
// time does only part of the work (runtime/matmul.cpp).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace slm::runtime {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);  // n_threads >= 1 (1 = run everything on the caller)
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const noexcept { return n_threads_; }

  // Splits [0, n) into min(n, size()) contiguous ranges and calls fn(begin, end, thread_index)
  // once per range, concurrently; returns when all are done. Range i is normally run by thread i,
  // but a thread that is not running (preempted) has its range run by another: a thread may run
  // several ranges, one after another. thread_index names the thread running fn (for per-thread
  // scratch). fn must not throw.
  template <class F>
  void parallel_for(std::int64_t n, F&& fn) {
    if (n <= 0) return;
    if (n_threads_ == 1 || n == 1) {
      fn(std::int64_t{0}, n, 0);
      return;
    }
    run(n, n < n_threads_ ? n : n_threads_, trampoline<F>, static_cast<void*>(&fn));
  }

  // Like parallel_for over n units (n < 2^32), but fn(u, u + 1, thread_index) is called once per
  // unit: each thread runs its own contiguous share front to back, and a thread done with its
  // share takes over the back half of another's remaining units. fn must not throw.
  template <class F>
  void parallel_for_balanced(std::int64_t n, F&& fn) {
    if (n <= 0) return;
    if (n_threads_ == 1 || n == 1) {
      for (std::int64_t u = 0; u < n; ++u) fn(u, u + 1, 0);
      return;
    }
    run(n, n, trampoline<F>, static_cast<void*>(&fn));
  }

 private:
  using Trampoline = void (*)(void*, std::int64_t, std::int64_t, int);
  template <class F>
  static void trampoline(void* ctx, std::int64_t b, std::int64_t e, int t) {
    (*static_cast<F*>(ctx))(b, e, t);
  }
  void run(std::int64_t n, std::int64_t units, Trampoline fn, void* ctx);
  void work(int t);
  void run_unit(std::uint64_t u, int t);
  template <class P>
  void caller_wait(P&& done);
  void notify_caller();
  void worker_loop(int t);

  // A thread's remaining units: next (low 32 bits) and end (high 32 bits). The owner takes units
  // at next; another thread takes [mid, end) by lowering end to mid. One cache line each.
  struct alignas(64) Share {
    std::atomic<std::uint64_t> range{0};
  };

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable start_cv_, done_cv_;
  std::atomic<std::uint64_t> generation_{0};  // bumped per job
  std::atomic<std::uint64_t> closed_{0};      // the last job whose units are all done
  std::atomic<std::int64_t> remaining_{0};    // units of the current job not yet finished
  std::atomic<int> inside_{0};                // workers that have joined a job and not yet left it
  std::atomic<bool> caller_sleeping_{false};  // the caller blocks on done_cv_
  std::atomic<bool> stop_{false};
  int sleepers_ = 0;  // workers blocked on start_cv_ (guarded by mutex_)
  // The current job (written before generation_ is bumped, read after it is seen).
  Trampoline fn_ = nullptr;
  void* ctx_ = nullptr;
  std::int64_t n_ = 0, units_ = 0;
  std::unique_ptr<Share[]> shares_;
};

}  // namespace slm::runtime
