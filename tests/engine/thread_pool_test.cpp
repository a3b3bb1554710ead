// The session thread pool: every index is visited exactly once per parallel_for, ranges are
// contiguous and disjoint, thread indices are in range, and many short jobs in a row (the
// decode pattern) neither lose nor repeat work. parallel_for_balanced: the same, one unit per
// call, and a slow thread's units are taken over by the others.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
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

}  // namespace
