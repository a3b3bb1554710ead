// Baselines in the same binary as the slm kernels:
//   openblas/<k>x<n>/b<batch>/t<threads>   cblas_sgemv (batch 1) / cblas_sgemm on the F32 matrix
//                                          (a Q8_0 matrix dequantized), openblas_set_num_threads
//   bandwidth/t<threads>                   memory-read bandwidth: sum of a 2 GiB buffer, split
//                                          over the threads (the ceiling for matrix-vector)

#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cstring>
#include <immintrin.h>
#include <memory>
#include <string>
#include <vector>

#include "cases.hpp"
#include "pool.hpp"

namespace slm::bench {
namespace {

void bm_openblas(benchmark::State& st, Shape s, std::int64_t batch, int threads) {
  const std::vector<float>& w = cached_dequantized(kernels::DType::Q8_0, s);
  const auto x = random_floats(static_cast<std::size_t>(s.k * batch), 42);
  std::vector<float> y(static_cast<std::size_t>(s.n * batch));
  openblas_set_num_threads(threads);
  const int k = static_cast<int>(s.k), n = static_cast<int>(s.n), b = static_cast<int>(batch);
  for (auto _ : st) {
    if (batch == 1)
      cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0f, w.data(), k, x.data(), 1, 0.0f, y.data(), 1);
    else  // Y[b][n] = X[b][k] W[n][k]^T
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, n, k, 1.0f, x.data(), k, w.data(), k, 0.0f, y.data(), n);
    benchmark::DoNotOptimize(y.data());
  }
  st.counters["W_GB"] = benchmark::Counter(4.0 * s.k * s.n / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["GFLOP"] = benchmark::Counter(2.0 * s.k * s.n * batch / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  st.SetLabel(s.model);
}

// 256-bit loads when the CPU has AVX2 (the probe should not be limited by the load width).
__attribute__((target("avx2"))) std::uint64_t sum_avx2(const std::uint64_t* p, std::size_t n) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (std::size_t i = 0; i + 16 <= n; i += 16) {
    a0 = _mm256_add_epi64(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_add_epi64(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 4)));
    a2 = _mm256_add_epi64(a2, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 8)));
    a3 = _mm256_add_epi64(a3, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 12)));
  }
  alignas(32) std::uint64_t t[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(t), _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3)));
  return t[0] + t[1] + t[2] + t[3];
}

std::uint64_t sum_plain(const std::uint64_t* p, std::size_t n) {
  std::uint64_t s0 = 0, s1 = 0;
  for (std::size_t i = 0; i + 2 <= n; i += 2) {
    s0 += p[i];
    s1 += p[i + 1];
  }
  return s0 + s1;
}

void bm_bandwidth(benchmark::State& st, int threads) {
  constexpr std::size_t kBytes = std::size_t{2} << 30;
  constexpr std::size_t kWords = kBytes / 8;
  std::unique_ptr<std::uint64_t[]> buf(new (std::align_val_t{64}) std::uint64_t[kWords]);
  Pool p(threads);
  p.run([&](int tid, int n) {  // first touch by the thread that will read it
    std::memset(buf.get() + kWords * tid / n, 1, (kWords / n) * 8);
  });
  const bool avx2 = __builtin_cpu_supports("avx2");
  std::vector<std::uint64_t> sums(static_cast<std::size_t>(threads));
  for (auto _ : st) {
    p.run([&](int tid, int n) {
      const std::uint64_t* base = buf.get() + kWords * tid / n;
      const std::size_t words = kWords / n;
      sums[static_cast<std::size_t>(tid)] = avx2 ? sum_avx2(base, words) : sum_plain(base, words);
    });
    benchmark::DoNotOptimize(sums.data());
  }
  st.counters["GB"] = benchmark::Counter(static_cast<double>(kBytes) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

void register_baseline_benchmarks() {
  for (int th : {1, 2})
    benchmark::RegisterBenchmark(("bandwidth/t" + std::to_string(th)).c_str(), bm_bandwidth, th)
        ->UseRealTime()->Unit(benchmark::kMillisecond);
  for (const Shape& s : shapes()) {
    if (vocab_shape(s)) continue;  // 0.7-1 GiB of F32 per copy: left out
    for (std::int64_t b : {1, 8, 32, 128, 512})
      for (int th : {1, 2})
        benchmark::RegisterBenchmark(
            ("openblas/" + shape_name(s) + "/b" + std::to_string(b) + "/t" + std::to_string(th)).c_str(), bm_openblas, s,
            b, th)
            ->UseRealTime()->Unit(benchmark::kMillisecond);
  }
}

}  // namespace slm::bench
