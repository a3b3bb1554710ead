#pragma once
// The working state of one session, shared by the forward-pass pieces (block.cpp,
// attention.cpp, matmul.cpp, session.cpp). Everything is sized once, in the constructor; the
// per-batch scratch is resident only as far as batches have written it (util::PageArray).
//
// Shapes: n = tokens in the current batch (<= n_batch), d = n_embd, hd = head_dim,
// H = n_head, Hkv = n_head_kv, group = H / Hkv.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kernels/kernels.hpp"
#include "model/model_impl.hpp"
#include "runtime/kv_cache.hpp"
#include "runtime/thread_pool.hpp"
#include "slm/session.hpp"
#include "slm/trace.hpp"
#include "util/pages.hpp"

namespace slm::runtime {

// RoPE frequencies of one kind of layer: pair i of position p turns by
// freq_scale * p * theta_scale^i / factors[i].
struct RopeFreqs {
  float theta_scale = 1;             // base^(-2/n_rot)
  float freq_scale = 1;              // linear scaling: 1/factor
  const float* factors = nullptr;    // [n_rot/2] Llama 3 frequency factors, or nullptr
};

// angles[i] (i < n_pairs) of position pos, rounded as llama.cpp rounds them (rope.cpp).
void rope_angles(const RopeFreqs& f, float pos, std::int64_t n_pairs, float* angles);

struct State {
  State(const Model::Impl& model, const SessionOptions& options);

  const Model::Impl& m;
  const HParams& hp;
  const ArchSpec& spec;
  const kernels::KernelTable& k;  // the active kernel table
  SessionOptions opt;
  ThreadPool pool;
  KvCache kv;

  util::PageArray<float> x;     // [n_batch][d]      residual stream
  util::PageArray<float> h;     // [n_batch][d]      normed input, then sublayer output
  // The attention sublayer's buffers and the feed-forward's are never live at once, so they are
  // views of one arena, as large as the larger set (gemma2-2b pp512: 36 MiB instead of 48).
  util::PageArray<float> sublayer;
  std::span<float> q;     // [n_batch][H*hd]
  std::span<float> kcur;  // [n_batch][Hkv*hd]
  std::span<float> vcur;  // [n_batch][Hkv*hd]
  std::span<float> att;   // [n_batch][H*hd]   attention output, before Wo
  std::span<float> gate;  // [n_batch][n_ff]   (over q, kcur, vcur, att)
  std::span<float> up;    // [n_batch][n_ff]
  util::PageArray<float> scores;  // [threads][attention_scratch_floats()]  attention scratch
  RopeFreqs rope_global, rope_local;   // RoPE of global / sliding-window layers
  std::vector<float> angles;           // [n_rot/2] RoPE angles of one position
  std::vector<std::uint8_t> embd_row;  // one token_embd row, copied out of the file

  // Quantized activations of the last matmul input on the integer path
  // ([batch] rows of act_row_bytes), reused by the next matmul of the same input and type.
  util::PageArray<std::uint8_t> xq;
  const float* xq_src = nullptr;
  kernels::DType xq_type = kernels::DType::F32;
  std::int64_t xq_batch = 0;

  TraceObserver* observer = nullptr;  // Session::set_observer (slm/trace.hpp); usually null
};

// y[b][0..w.n_rows) = w · x[b] for b < batch (x: [batch][w.k]). With reuse_input, x is the
// same buffer, unchanged since the previous call (its quantization is reused when possible).
void matmul(State& s, const kernels::Matrix& w, const float* x, std::int64_t batch, float* y,
            bool reuse_input = false);

// y_i[b][0..w_i.n_rows) = w_i · x[b] for the products of one input (Wq/Wk/Wv; gate/up), in one
// parallel region instead of one per matrix (how rows are shared out: matmul.cpp).
// `then(ctx, r0, r1)`, if given, runs once for every row range [r0, r1) of the last product
// after those rows of every product are done (all n_rows equal then; the FFN's activation).
// Same results as separate matmul() calls.
struct Product {
  const kernels::Matrix* w;
  float* y;
};
using RowsHook = void (*)(void* ctx, std::int64_t r0, std::int64_t r1);
void matmul_products(State& s, std::span<const Product> products, const float* x, std::int64_t batch,
                     RowsHook then = nullptr, void* ctx = nullptr);

// Tokens per prefill attention block: about 32 query rows (tokens x the heads of a KV group),
// enough to reuse each K/V row many times while the block's scores stay small.
inline std::int64_t attention_block_tokens(std::int64_t group) { return std::max<std::int64_t>(1, 32 / group); }

// Attention scratch floats per thread, for batches of up to n_batch tokens over caches of up to
// max_rows rows: the single-query kernel's group x max_rows scores or the block kernel's.
inline std::size_t attention_scratch_floats(const HParams& hp, std::int64_t n_batch, std::int64_t max_rows) {
  const std::int64_t group = hp.n_head / std::max<std::int64_t>(1, hp.n_head_kv);
  const std::int64_t bt = std::min(attention_block_tokens(group), std::max<std::int64_t>(1, n_batch));
  return std::max(std::size_t(group * max_rows), kernels::attention_block_scratch(bt, group, hp.head_dim, max_rows));
}

// Attention of the n queries in s.q (positions pos0..pos0+n-1, already in the KV cache) of
// layer il into s.att.
void attention(State& s, std::int64_t il, std::int64_t n, std::int64_t pos0);


// Observer hooks (trace_hooks.cpp): hand rows [n][dim] at `point` of layer il to s.observer,
// and the attention probabilities of layer il (recomputed from s.q and the cache) if it wants them.
void notify(State& s, TracePoint point, std::int64_t il, std::int64_t pos0, std::int64_t n, std::int64_t dim, const float* rows);
void notify_attention(State& s, std::int64_t il, std::int64_t n, std::int64_t pos0);

// One transformer block on s.x (n tokens at positions pos0..), updating the KV cache of il.
void transformer_block(State& s, std::int64_t il, std::int64_t n, std::int64_t pos0);

}  // namespace slm::runtime
