// slm's matrix kernels through the active dispatch table (SLM_ISA caps the level):
//   slm/<type>/<k>x<n>/b<batch>/t<threads>   quantize the activations + integer matmul_q8
//                                            (F32 weights: matmul_f32, there is no integer path)
//   slm_f32path/<type>/...                   the float path (dequantize on the fly)
//   slm_cycle/<type>/4096x14336x<m>/b1/t<t>  matvec over m distinct matrices (> 1 GiB in all),
//                                            so weights always come from DRAM, not the L3
// Counters: W_GB/s = weight bytes read per second; GFLOP/s = 2 k n batch per second.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "cases.hpp"
#include "pool.hpp"
#include "util/pages.hpp"

namespace slm::bench {
namespace {

using kernels::DType;

Pool& pool(int threads) {
  static std::unique_ptr<Pool> p;
  if (!p || p->size() != threads) {
    p.reset();
    p = std::make_unique<Pool>(threads);
  }
  return *p;
}

struct Activations {
  std::vector<float> x, y;
  std::vector<std::uint8_t> xq;
  std::size_t act_row = 0;
};

Activations make_activations(DType wt, std::int64_t k, std::int64_t n, std::int64_t batch) {
  Activations a;
  a.x = random_floats(static_cast<std::size_t>(k * batch), 42);
  a.y.assign(static_cast<std::size_t>(n * batch), 0.f);
  a.act_row = kernels::activation_type(wt) == DType::F32 ? static_cast<std::size_t>(k) * 4 : kernels::act_row_bytes(wt, k);
  a.xq.resize(a.act_row * static_cast<std::size_t>(batch));
  return a;
}

// One matmul of `batch` rows split over the pool: each thread quantizes its share of the
// activation rows, then (after the pool joins) computes its share of the output rows.
void run_matmul(Pool& p, const kernels::Matrix& m, Activations& a, std::int64_t batch, bool integer) {
  const auto& kt = kernels::kernels();
  const DType at = kernels::activation_type(m.type);
  if (integer && at != DType::F32) {
    p.run([&](int tid, int n) {
      for (std::int64_t b = tid; b < batch; b += n)
        kt.quantize_activations(at, a.x.data() + b * m.k, m.k, a.xq.data() + b * a.act_row);
    });
  }
  p.run([&](int tid, int n) {
    std::int64_t r0, r1;
    split_rows(m.n_rows, tid, n, r0, r1);
    if (integer && at != DType::F32)
      kt.matmul_q8(m, a.xq.data(), batch, a.y.data(), m.n_rows, r0, r1);
    else
      kt.matmul_f32(m, a.x.data(), batch, a.y.data(), m.n_rows, r0, r1);
  });
}

void set_counters(benchmark::State& st, double weight_bytes, const Shape& s, std::int64_t batch) {
  st.counters["W_GB"] = benchmark::Counter(weight_bytes / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["GFLOP"] = benchmark::Counter(2.0 * s.k * s.n * batch / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void bm_matmul(benchmark::State& st, DType type, Shape s, std::int64_t batch, int threads, bool integer) {
  const WeightMatrix& w = cached_matrix(type, s);
  Activations a = make_activations(type, s.k, s.n, batch);
  Pool& p = pool(threads);
  const kernels::Matrix m = w.view();
  for (auto _ : st) {
    run_matmul(p, m, a, batch, integer);
    benchmark::DoNotOptimize(a.y.data());
  }
  set_counters(st, static_cast<double>(w.bytes.size()), s, batch);
  st.SetLabel(std::string(kernels::isa_name(kernels::kernels().isa)) + " " + s.model);
}

Shape cycle_shape() { return {4096, 14336, "llama3-8b ffn_up"}; }

// Enough distinct matrices of `type` for more than 1.1 GiB in all.
int cycle_count(DType type, Shape s) {
  const double bytes = static_cast<double>(kernels::row_bytes(type, s.k)) * static_cast<double>(s.n);
  return static_cast<int>(1.1 * (1 << 30) / bytes) + 1;
}

void bm_cycle(benchmark::State& st, DType type, int threads) {
  const Shape s = cycle_shape();
  const int n_mats = cycle_count(type, s);
  const std::size_t mat_bytes = kernels::row_bytes(type, s.k) * static_cast<std::size_t>(s.n);
  // One huge-page mapping for all matrices, as the engine holds weights (src/gguf/mapping.cpp).
  const util::Pages buf(mat_bytes * static_cast<std::size_t>(n_mats), /*huge=*/true);
  std::vector<kernels::Matrix> mats;
  for (int i = 0; i < n_mats; ++i) {
    const WeightMatrix w = random_matrix(type, s.n, s.k, 1000 + static_cast<std::uint64_t>(i));
    std::copy(w.bytes.begin(), w.bytes.end(), buf.data() + mat_bytes * static_cast<std::size_t>(i));
    mats.push_back({type, buf.data() + mat_bytes * static_cast<std::size_t>(i), s.k, s.n, kernels::row_bytes(type, s.k)});
  }
  Activations a = make_activations(type, s.k, s.n, 1);
  Pool& p = pool(threads);
  std::size_t i = 0;
  for (auto _ : st) {
    run_matmul(p, mats[i], a, 1, true);
    benchmark::DoNotOptimize(a.y.data());
    i = (i + 1) % mats.size();
  }
  set_counters(st, static_cast<double>(mat_bytes), s, 1);
  st.SetLabel(std::string(kernels::isa_name(kernels::kernels().isa)) + " " +
              std::to_string(static_cast<double>(buf.size()) / (1 << 30)) + " GiB, huge pages");
}

}  // namespace

void register_slm_benchmarks() {
  const DType types[] = {DType::Q4_K, DType::Q6_K, DType::Q5_0, DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q5_K, DType::F32};
  const std::int64_t batches[] = {1, 8, 32, 128, 512};
  for (DType t : types)
    for (const Shape& s : shapes()) {
      if (s.k % kernels::dtype_info(t).block_elems != 0) continue;  // e.g. k = 896 has no K-quant
      if (t == DType::F32 && vocab_shape(s)) continue;              // 0.7-1 GiB of F32: skipped
      for (std::int64_t b : batches)
        for (int th : {1, 2}) {
          const std::string tail = std::string(kernels::dtype_name(t)) + "/" + shape_name(s) + "/b" + std::to_string(b) +
                                   "/t" + std::to_string(th);
          benchmark::RegisterBenchmark(("slm/" + tail).c_str(), bm_matmul, t, s, b, th, true)
              ->UseRealTime()->Unit(benchmark::kMillisecond);
          if (t != DType::F32)
            benchmark::RegisterBenchmark(("slm_f32path/" + tail).c_str(), bm_matmul, t, s, b, th, false)
                ->UseRealTime()->Unit(benchmark::kMillisecond);
        }
    }
  // The formats decode streams from DRAM in the seed models; 1.1 GiB of each is well past the
  // 480 MiB L3 of the development machine (4096 x 14336 Q4_K: 31.5 MiB, 36 matrices).
  for (DType t : {DType::Q4_K, DType::Q6_K, DType::Q5_0, DType::Q8_0, DType::Q4_1})
    for (int th : {1, 2}) {
      const std::string name = "slm_cycle/" + std::string(kernels::dtype_name(t)) + "/" + shape_name(cycle_shape()) +
                               "x" + std::to_string(cycle_count(t, cycle_shape())) + "/b1/t" + std::to_string(th);
      benchmark::RegisterBenchmark(name.c_str(), bm_cycle, t, th)->UseRealTime()->Unit(benchmark::kMillisecond);
    }
}

}  // namespace slm::bench
