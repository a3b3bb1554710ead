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

// The activation type w is multiplied with: F32 on the float path.
kernels::DType input_type(const State& s, const kernels::Matrix& w) {
  return s.opt.matmul == MatmulPath::Float ? kernels::DType::F32 : kernels::activation_type(w.type);
}

// Quantizes x to `act` into s.xq unless it holds that already (reuse_input: x unchanged since).
void quantize_input(State& s, kernels::DType act, std::int64_t k, const float* x, std::int64_t batch,
                    bool reuse_input) {
  if (!reuse_input) s.xq_src = nullptr;  // a new input: any cached quantization is stale
  if (act == kernels::DType::F32) return;
  if (reuse_input && s.xq_src == x && s.xq_type == act && s.xq_batch == batch) return;
  const std::size_t row = kernels::row_bytes(act, k);
  s.pool.parallel_for(batch, [&](std::int64_t b0, std::int64_t b1, int) {
    for (std::int64_t b = b0; b < b1; ++b) s.k.quantize_activations(act, x + b * k, k, s.xq.data() + std::size_t(b) * row);
  });
  s.xq_src = x;
  s.xq_type = act;
  s.xq_batch = batch;
}

// Rows [r0, r1) of y = w · x, x (F32) or its quantization in s.xq.
void rows(State& s, const kernels::Matrix& w, const float* x, std::int64_t batch, float* y, std::int64_t r0,
          std::int64_t r1) {
  if (input_type(s, w) == kernels::DType::F32)
    s.k.matmul_f32(w, x, batch, y, w.n_rows, r0, r1);
  else
    s.k.matmul_q8(w, s.xq.data(), batch, y, w.n_rows, r0, r1);
}

}  // namespace

void matmul(State& s, const kernels::Matrix& w, const float* x, std::int64_t batch, float* y,
            bool reuse_input) {
  quantize_input(s, input_type(s, w), w.k, x, batch, reuse_input);
  for_row_ranges(s, w.n_rows, [&](std::int64_t r0, std::int64_t r1) { rows(s, w, x, batch, y, r0, r1); });
}

void matmul_products(State& s, std::span<const Product> products, const float* x, std::int64_t batch, RowsHook then,
                     void* ctx) {
  // One quantized input serves them all only if they take the same activation type.
  const kernels::DType act = input_type(s, *products[0].w);
  bool shared = true;
  for (const Product& p : products) shared = shared && input_type(s, *p.w) == act;
  if (!shared) {
    for (std::size_t i = 0; i < products.size(); ++i) matmul(s, *products[i].w, x, batch, products[i].y, i > 0);
    if (then) then(ctx, 0, products[0].w->n_rows);
    return;
  }
  quantize_input(s, act, products[0].w->k, x, batch, false);
  const std::int64_t n_threads = s.pool.size();
  s.pool.parallel_for(n_threads, [&](std::int64_t t0, std::int64_t t1, int) {
    for (std::int64_t t = t0; t < t1; ++t) {
      std::int64_t first = 0, last = 0;  // the rows of the last product, for `then`
      for (const Product& p : products) {
        const std::int64_t groups = (p.w->n_rows + kRowGroup - 1) / kRowGroup;
        first = groups * t / n_threads * kRowGroup;
        last = std::min(groups * (t + 1) / n_threads * kRowGroup, p.w->n_rows);
        if (first < last) rows(s, *p.w, x, batch, p.y, first, last);
      }
      if (then && first < last) then(ctx, first, last);
    }
  });
}

}  // namespace slm::runtime
