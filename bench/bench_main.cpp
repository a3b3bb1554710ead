// slm_bench: kernel microbenchmarks (see docs/kernels.md for the commands and results).
// Without --benchmark_filter only a short default set runs; pass a filter (e.g. '.' for all,
// which takes a long time) to choose.

#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cases.hpp"

namespace slm::bench {
namespace {

struct Cache {
  kernels::DType type{};
  std::int64_t k = 0, n = 0;
  std::unique_ptr<WeightMatrix> w;
  std::unique_ptr<std::vector<float>> f32;
};
Cache& cache() {
  static Cache c;
  return c;
}

}  // namespace

const WeightMatrix& cached_matrix(kernels::DType type, const Shape& s) {
  Cache& c = cache();
  if (!c.w || c.type != type || c.k != s.k || c.n != s.n) {
    c.w.reset();
    c.f32.reset();
    c.w = std::make_unique<WeightMatrix>(random_matrix(type, s.n, s.k, 1));
    c.type = type;
    c.k = s.k;
    c.n = s.n;
  }
  return *c.w;
}

const std::vector<float>& cached_dequantized(kernels::DType type, const Shape& s) {
  const WeightMatrix& w = cached_matrix(type, s);
  Cache& c = cache();
  if (!c.f32) c.f32 = std::make_unique<std::vector<float>>(dequantized(w));
  return *c.f32;
}

}  // namespace slm::bench

// The short default set: decode (b1) and prefill (b512) on one Llama-3-8B matrix for Q4_K,
// against OpenBLAS, plus the bandwidth probe and the DRAM-bound Q4_K matvec.
static const char kDefaultFilter[] =
    "--benchmark_filter=^(bandwidth/t2|slm/Q4_K/4096x4096/b(1|512)/t2|openblas/4096x4096/b(1|512)/t2|"
    "slm_cycle/Q4_K/4096x14336x36/b1/t2)(/real_time)?$";

int main(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  bool has_filter = false;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--benchmark_filter", 18) == 0 || std::strncmp(argv[i], "--benchmark_list_tests", 22) == 0)
      has_filter = true;
  std::string def = kDefaultFilter;
  if (!has_filter) args.push_back(def.data());
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  slm::bench::register_baseline_benchmarks();
  slm::bench::register_slm_benchmarks();
  slm::bench::register_eigen_benchmarks();
  slm::bench::register_attention_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
