// The session thread pool: every index is visited exactly once per parallel_for, ranges are
// contiguous and disjoint, thread indices are in range, and many short jobs in a row (the
// decode pattern) neither lose nor repeat work. parallel_for_balanced: the same, one unit per
// call, and a slow thread's units are taken over by the others. A worker that does not run at
// all (stopped from outside, as a preempted thread would be) holds no job up.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "runtime/thread_pool.hpp"

namespace {

TEST(ThreadPool, EveryIndexOnceForManyShortJobs) {
  for (int threads : {1, 2, 3, 5}) {
    slm::runtime::ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (std::int64_t n : {0, 1, 2, 3, 7, 64, 1000}) {
      for (int rep = 0; rep < 200; ++rep) {
        std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
        std::atomic<int> bad_thread{0};
        pool.parallel_for(n, [&](std::int64_t b, std::int64_t e, int t) {
          if (t < 0 || t >= threads || b >= e) ++bad_thread;
          for (std::int64_t i = b; i < e; ++i) ++hits[static_cast<std::size_t>(i)];
        });
        ASSERT_EQ(bad_thread.load(), 0);
        for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<std::size_t>(i)].load(), 1) << "n=" << n;
      }
    }
  }
}

TEST(ThreadPool, BalancedRunsEveryUnitOnce) {
  for (int threads : {1, 2, 3, 5}) {
    slm::runtime::ThreadPool pool(threads);
    for (std::int64_t n : {0, 1, 2, 3, 7, 64, 1000}) {
      for (int rep = 0; rep < 200; ++rep) {
        std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
        std::atomic<int> bad_call{0};
        pool.parallel_for_balanced(n, [&](std::int64_t b, std::int64_t e, int t) {
          if (t < 0 || t >= threads || e != b + 1 || b < 0 || b >= n) return void(++bad_call);
          ++hits[static_cast<std::size_t>(b)];
        });
        ASSERT_EQ(bad_call.load(), 0);
        for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<std::size_t>(i)].load(), 1) << "n=" << n;
      }
    }
  }
}

TEST(ThreadPool, BalancedHandsASlowThreadsUnitsToTheOthers) {
  // Thread 0 (the caller) owns units 0-9 and takes 10 ms for each; thread 1 finishes units
  // 10-19 at once and must then take over part of thread 0's share.
  slm::runtime::ThreadPool pool(2);
  std::vector<int> owner(20, -1);
  pool.parallel_for_balanced(20, [&](std::int64_t b, std::int64_t, int t) {
    owner[static_cast<std::size_t>(b)] = t;
    if (t == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  });
  int taken = 0;
  for (int u = 0; u < 10; ++u) taken += owner[static_cast<std::size_t>(u)] == 1;
  EXPECT_GE(taken, 1);
}

TEST(ThreadPool, ResultsOfOneJobAreVisibleToTheNext) {
  slm::runtime::ThreadPool pool(3);
  std::vector<std::int64_t> v(999, 0);
  for (int round = 1; round <= 300; ++round) {
    pool.parallel_for(std::int64_t(v.size()), [&](std::int64_t b, std::int64_t e, int) {
      for (std::int64_t i = b; i < e; ++i) v[std::size_t(i)] += 1;
    });
    // Read another thread's writes of the previous round.
    std::int64_t sum = 0;
    for (auto x : v) sum += x;
    ASSERT_EQ(sum, std::int64_t(v.size()) * round);
  }
}

// The ids of this process's threads.
std::set<std::string> thread_ids() {
  std::set<std::string> ids;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ids.insert(e.path().filename());
  return ids;
}

std::atomic<bool> g_stopped{false}, g_release{false};

// Runs on the signalled worker: it stays here, off every job, until released.
void hold_thread(int) {
  g_stopped.store(true);
  while (!g_release.load()) {
    const timespec ms{0, 1000000};
    nanosleep(&ms, nullptr);
  }
}

TEST(ThreadPool, AWorkerThatDoesNotRunHoldsNoJobUp) {
  const std::set<std::string> before = thread_ids();
  slm::runtime::ThreadPool pool(2);
  std::string worker;
  for (const std::string& id : thread_ids())
    if (!before.count(id)) worker = id;
  ASSERT_FALSE(worker.empty());

  struct sigaction sa {};
  sa.sa_handler = hold_thread;
  struct sigaction old {};
  ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
  // Let the worker go idle (polling or asleep, outside any job), then stop it there.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(syscall(SYS_tgkill, getpid(), std::stoi(worker), SIGUSR1), 0);
  for (int i = 0; i < 5000 && !g_stopped.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(g_stopped.load()) << "the signal did not reach the worker";

  // Release it after 20 s at the latest, so that a pool that waits for it fails instead of hanging.
  std::atomic<bool> finished{false};
  std::thread releaser([&] {
    for (int i = 0; i < 2000 && !finished.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    g_release.store(true);
  });
  std::vector<std::int64_t> v(1000, 0);
  for (int round = 0; round < 100; ++round) {
    pool.parallel_for(std::int64_t(v.size()), [&](std::int64_t b, std::int64_t e, int) {
      for (std::int64_t i = b; i < e; ++i) ++v[std::size_t(i)];
    });
    pool.parallel_for_balanced(std::int64_t(v.size()), [&](std::int64_t b, std::int64_t, int) { ++v[std::size_t(b)]; });
  }
  const bool done_while_stopped = !g_release.load();
  finished.store(true);
  releaser.join();
  EXPECT_TRUE(done_while_stopped) << "the jobs waited for the stopped worker";
  for (std::int64_t x : v) ASSERT_EQ(x, 200);

  // Released, the worker takes part again and nothing is lost or repeated.
  for (int round = 0; round < 200; ++round)
    pool.parallel_for_balanced(std::int64_t(v.size()), [&](std::int64_t b, std::int64_t, int) { ++v[std::size_t(b)]; });
  for (std::int64_t x : v) ASSERT_EQ(x, 400);
  sigaction(SIGUSR1, &old, nullptr);
}

}  // namespace
