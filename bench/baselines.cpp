// Baselines in the same binary as the slm kernels:
//   openblas/<k>x<n>/b<batch>/t<threads>   cblas_sgemv (batch 1) / cblas_sgemm on the F32 matrix
//                                          (a Q8_0 matrix dequantized), openblas_set_num_threads
//   bandwidth/t<threads>                   memory-read bandwidth: util::ReadProbe over 2 GiB (the
//                                          ceiling for matrix-vector; how it reads: util/bandwidth.hpp)

#include <benchmark/benchmark.h>
#include <cblas.h>

#include <string>
#include <vector>

#include "cases.hpp"
#include "util/bandwidth.hpp"

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

// The library's probe (util/bandwidth.hpp), plain or prefetched passes; the ceiling is the better.
void bm_bandwidth(benchmark::State& st, int threads, bool prefetch) {
  util::ReadProbe probe(std::size_t{2} << 30, threads);
  if (probe.bytes() == 0) return st.SkipWithError("cannot allocate the probe's buffer");
  for (auto _ : st)
    if (probe.pass(prefetch) <= 0) return st.SkipWithError("probe pass failed");
  st.counters["GB"] = benchmark::Counter(static_cast<double>(probe.bytes()) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

void register_baseline_benchmarks() {
  for (int th : {1, 2})
    for (bool prefetch : {false, true})
      benchmark::RegisterBenchmark(((prefetch ? "bandwidth_prefetch/t" : "bandwidth/t") + std::to_string(th)).c_str(),
                                   bm_bandwidth, th, prefetch)
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
