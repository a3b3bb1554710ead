// Weight-matrix products, split by output rows over the session's thread pool.
//
// Integer path: each input row is quantized once to the weight type's activation format
// (Q8_0 / Q8_1 / Q8_K) and multiplied with integer dot products, the rounding llama.cpp's CPU
// backend applies to every quantized matmul (the LM head included). Float weight types have
// no integer path and always take matmul_f32.
#include <algorithm>

#include "runtime/state.hpp"

namespace slm::runtime {
namespace {

// Rows are handed out in groups of kRowGroup so that every thread's range starts on a multiple
// of the kernels' row tiles (4 or 8 rows); only the last range may end in a partial group.
constexpr std::int64_t kRowGroup = 16;

template <class F>
void for_row_ranges(State& s, std::int64_t n_rows, F&& f) {
  const std::int64_t groups = (n_rows + kRowGroup - 1) / kRowGroup;
  s.pool.parallel_for(groups, [&](std::int64_t g0, std::int64_t g1, int) {
    f(g0 * kRowGroup, std::min(g1 * kRowGroup, n_rows));
  });
}

}  // namespace

void matmul(State& s, const kernels::Matrix& w, const float* x, std::int64_t batch, float* y,
            bool reuse_input) {
  const kernels::DType act = kernels::activation_type(w.type);
  if (!reuse_input) s.xq_src = nullptr;  // a new input: any cached quantization is stale
  if (s.opt.matmul == MatmulPath::Float || act == kernels::DType::F32) {
    for_row_ranges(s, w.n_rows, [&](std::int64_t r0, std::int64_t r1) {
      s.k.matmul_f32(w, x, batch, y, w.n_rows, r0, r1);
    });
    return;
  }
  const std::size_t row = kernels::act_row_bytes(w.type, w.k);
  if (!(reuse_input && s.xq_src == x && s.xq_type == act && s.xq_batch == batch)) {
    s.pool.parallel_for(batch, [&](std::int64_t b0, std::int64_t b1, int) {
      for (std::int64_t b = b0; b < b1; ++b)
        s.k.quantize_activations(act, x + b * w.k, w.k, s.xq.data() + std::size_t(b) * row);
    });
    s.xq_src = x;
    s.xq_type = act;
    s.xq_batch = batch;
  }
  for_row_ranges(s, w.n_rows, [&](std::int64_t r0, std::int64_t r1) {
    s.k.matmul_q8(w, s.xq.data(), batch, y, w.n_rows, r0, r1);
  });
}

}  // namespace slm::runtime
