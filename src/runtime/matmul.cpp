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

// Rows are handed out in groups of kRowGroup so that every range starts on a multiple of the
// kernels' row tiles (4 or 8 rows); only the last range may end in a partial group.
constexpr std::int64_t kRowGroup = 16;

// Up to this batch a product reads its weights from memory once for all rows of the batch and is
// bound by that read; larger batches are compute-bound.
constexpr std::int64_t kMaxStreamingBatch = 8;

// Streaming products are balanced at run time (ThreadPool::parallel_for_balanced) in units of
// about kUnitBytes of weights. llama3-8b decode, alternated with the static split: 64 KiB units
// +1.5%, 128 KiB +2%, 512 KiB +2.5-2.9%, 1 MiB +2.3%, 2 MiB +0.8%.
constexpr std::size_t kUnitBytes = std::size_t{512} << 10;
constexpr std::size_t kMinBalancedProducts = std::size_t{8} << 20;  // see run_products

std::int64_t row_groups(const kernels::Matrix& w) { return (w.n_rows + kRowGroup - 1) / kRowGroup; }

// Rows [first, last) of part i of n equal parts (whole row groups) of w's rows.
struct Rows {
  std::int64_t first, last;
};
Rows part_rows(const kernels::Matrix& w, std::int64_t i, std::int64_t n) {
  const std::int64_t groups = row_groups(w);
  return {groups * i / n * kRowGroup, std::min(groups * (i + 1) / n * kRowGroup, w.n_rows)};
}

// At least one unit per thread, so that small matrices are shared as before.
std::int64_t streaming_units(const kernels::Matrix& w, std::int64_t n_threads) {
  const auto units = std::int64_t(std::size_t(w.n_rows) * w.row_stride / kUnitBytes);
  return std::min(std::max(units, n_threads), row_groups(w));
}

// Compute-bound (large-batch) products are cut into parts of about kComputeUnitRows rows of the
// largest one (the same fraction of every product's rows), claimed at run time, so that a thread
// the OS runs only part of the time (another program on its core) does that part of the work
// instead of holding the other up: with a busy loop on the second core, gemma-2b pp128 at 2
// threads 1.097x, llama3.2-1b pp256 1.075x; on an idle machine 1.008x and 1.013x
// (docs/performance.md, "Session 13"). Products under kMinBalancedProducts bytes keep one part
// per thread: in finer parts gemma-3-270m's (d_model 640) prefill ran 0.92-0.99x in four A/B runs.
// One thread takes the whole product in one call.
constexpr std::int64_t kComputeUnitRows = 256;
std::int64_t compute_units(std::span<const Product> products, std::size_t bytes, std::int64_t n_threads) {
  if (n_threads == 1 || bytes < kMinBalancedProducts) return n_threads;
  std::int64_t rows = 0;
  for (const Product& p : products) rows = std::max(rows, p.w->n_rows);
  // A multiple of the thread count: of 3 equal parts for 2 threads one thread would do 2.
  const std::int64_t per_round = kComputeUnitRows * n_threads;
  return std::max<std::int64_t>((rows + per_round - 1) / per_round, 1) * n_threads;
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

// The products of one (already quantized) input.
// - Batches above kMaxStreamingBatch (compute-bound): parts of every product's rows (part i of
//   each, compute_units parts) balanced over the threads, and `then` on each part's rows of the
//   last product by the thread that computed them.
// - Streaming batches: the products' units one after another, balanced over the threads, so each
//   thread reads one sequential run of weights (units that cycled through the products instead,
//   the same share of each, read 6-10% slower on llama3-8b); then `then` over the last product's
//   rows in a pass of its own. Several products under kMinBalancedProducts bytes are split as for
//   large batches instead: there that extra pass costs more than balancing gains (qwen2-0.5b
//   decode 2.5-4% slower).
void run_products(State& s, std::span<const Product> products, const float* x, std::int64_t batch, RowsHook then,
                  void* ctx) {
  const std::int64_t n_threads = s.pool.size();
  const Product& last = products.back();
  std::size_t bytes = 0;
  for (const Product& p : products) bytes += std::size_t(p.w->n_rows) * p.w->row_stride;
  const auto by_parts = [&](std::int64_t t, std::int64_t n_parts) {
    for (const Product& p : products) {
      const Rows r = part_rows(*p.w, t, n_parts);
      if (r.first < r.last) rows(s, *p.w, x, batch, p.y, r.first, r.last);
    }
    const Rows r = part_rows(*last.w, t, n_parts);
    if (then && r.first < r.last) then(ctx, r.first, r.last);
  };
  if (batch > kMaxStreamingBatch) {
    const std::int64_t n_parts = compute_units(products, bytes, n_threads);
    s.pool.parallel_for_balanced(n_parts, [&](std::int64_t t, std::int64_t, int) { by_parts(t, n_parts); });
    return;
  }
  if (products.size() > 1 && bytes < kMinBalancedProducts) {
    s.pool.parallel_for(n_threads, [&](std::int64_t t, std::int64_t, int) { by_parts(t, n_threads); });
    return;
  }
  std::int64_t units = 0;
  for (const Product& p : products) units += streaming_units(*p.w, n_threads);
  s.pool.parallel_for_balanced(units, [&](std::int64_t u, std::int64_t, int) {
    for (const Product& p : products) {
      const std::int64_t n = streaming_units(*p.w, n_threads);
      if (u < n) {
        const Rows r = part_rows(*p.w, u, n);
        return rows(s, *p.w, x, batch, p.y, r.first, r.last);
      }
      u -= n;
    }
  });
  if (then)
    s.pool.parallel_for(row_groups(*last.w), [&](std::int64_t g0, std::int64_t g1, int) {
      then(ctx, g0 * kRowGroup, std::min(g1 * kRowGroup, last.w->n_rows));
    });
}

}  // namespace

void matmul(State& s, const kernels::Matrix& w, const float* x, std::int64_t batch, float* y,
            bool reuse_input) {
  quantize_input(s, input_type(s, w), w.k, x, batch, reuse_input);
  const Product p[] = {{&w, y}};
  run_products(s, p, x, batch, nullptr, nullptr);
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
  run_products(s, products, x, batch, then, ctx);
}

}  // namespace slm::runtime
