// Eigen baseline: F32 GEMV (batch 1) / GEMM on the dequantized matrix, rows split over the same
// spinning pool as the slm kernels. This file alone is compiled with -march=native (see
// bench/CMakeLists.txt) so Eigen uses the host's widest vectors, as a native build of any
// Eigen-based engine would.
//   eigen/<k>x<n>/b<batch>/t<threads>

// GCC 12's AVX-512 intrinsic headers trip -Wmaybe-uninitialized (`__m512 __Y = __Y;`).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <memory>
#include <string>
#include <vector>

#include "cases.hpp"
#include "pool.hpp"

namespace slm::bench {
namespace {

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void bm_eigen(benchmark::State& st, Shape s, std::int64_t batch, int threads) {
  const std::vector<float>& w = cached_dequantized(kernels::DType::Q8_0, s);
  const auto xv = random_floats(static_cast<std::size_t>(s.k * batch), 42);
  RowMajor y(batch, s.n);
  Eigen::Map<const RowMajor> x(xv.data(), batch, s.k);
  Pool p(threads);
  for (auto _ : st) {
    p.run([&](int tid, int n) {
      std::int64_t r0, r1;
      split_rows(s.n, tid, n, r0, r1);
      Eigen::Map<const RowMajor> wr(w.data() + r0 * s.k, r1 - r0, s.k);
      y.middleCols(r0, r1 - r0).noalias() = x * wr.transpose();
    });
    benchmark::DoNotOptimize(y.data());
  }
  st.counters["W_GB"] = benchmark::Counter(4.0 * s.k * s.n / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["GFLOP"] = benchmark::Counter(2.0 * s.k * s.n * batch / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  st.SetLabel(s.model);
}

}  // namespace

void register_eigen_benchmarks() {
  for (const Shape& s : shapes()) {
    if (vocab_shape(s)) continue;
    for (std::int64_t b : {1, 8, 32, 128, 512})
      for (int th : {1, 2})
        benchmark::RegisterBenchmark(("eigen/" + shape_name(s) + "/b" + std::to_string(b) + "/t" + std::to_string(th)).c_str(),
                                     bm_eigen, s, b, th)
            ->UseRealTime()->Unit(benchmark::kMillisecond);
  }
}

}  // namespace slm::bench
