#pragma once
// The working state of one session, shared by the forward-pass pieces (block.cpp,
// attention.cpp, matmul.cpp, session.cpp). Everything is sized once, in the constructor.
//
// Shapes: n = tokens in the current batch (<= n_batch), d = n_embd, hd = head_dim,
// H = n_head, Hkv = n_head_kv, group = H / Hkv.

#include <cstdint>
#include <vector>

#include "kernels/kernels.hpp"
#include "model/model_impl.hpp"
#include "runtime/kv_cache.hpp"
#include "runtime/thread_pool.hpp"
#include "slm/session.hpp"

namespace slm::runtime {

struct State {
  State(const Model::Impl& model, const SessionOptions& options);

  const Model::Impl& m;
  const HParams& hp;
  const ArchSpec& spec;
  const kernels::KernelTable& k;  // the active kernel table
  SessionOptions opt;
  ThreadPool pool;
  KvCache kv;

  std::vector<float> x;     // [n_batch][d]      residual stream
  std::vector<float> h;     // [n_batch][d]      normed input, then sublayer output
  std::vector<float> q;     // [n_batch][H*hd]
  std::vector<float> kcur;  // [n_batch][Hkv*hd]
  std::vector<float> vcur;  // [n_batch][Hkv*hd]
  std::vector<float> att;   // [n_batch][H*hd]   attention output, before Wo
  std::vector<float> gate;  // [n_batch][n_ff]
  std::vector<float> up;    // [n_batch][n_ff]
  std::vector<float> scores;  // [threads][group * kv.max_rows()]  attention scratch
  std::vector<float> inv_freq_global;  // [n_rot/2]
  std::vector<float> inv_freq_local;   // [n_rot/2]

  // Quantized activations of the last matmul input on the integer path
  // ([batch] rows of act_row_bytes), reused by the next matmul of the same input and type.
  std::vector<std::uint8_t> xq;
  const float* xq_src = nullptr;
  kernels::DType xq_type = kernels::DType::F32;
  std::int64_t xq_batch = 0;
};

// y[b][0..w.n_rows) = w · x[b] for b < batch (x: [batch][w.k]). With reuse_input, x is the
// same buffer, unchanged since the previous call (its quantization is reused when possible).
void matmul(State& s, const kernels::Matrix& w, const float* x, std::int64_t batch, float* y,
            bool reuse_input = false);

// Attention of the n queries in s.q (positions pos0..pos0+n-1, already in the KV cache) of
// layer il into s.att.
void attention(State& s, std::int64_t il, std::int64_t n, std::int64_t pos0);

// One transformer block on s.x (n tokens at positions pos0..), updating the KV cache of il.
void transformer_block(State& s, std::int64_t il, std::int64_t n, std::int64_t pos0);

}  // namespace slm::runtime
