#pragma once
// Looking inside a forward pass: an observer the transformer block calls at named points, and
// trace(), which uses it to collect per-layer statistics (docs/trace.md).
//
//   slm::Session s(model);
//   s.set_observer(&my_observer);   // nullptr (the default) = no calls, no cost but one branch
//
//   slm::TraceReport r = slm::trace(model, tokens, {.keep = "layer*.residual"});
//
// Points, in the order a forward pass reaches them (all rows are [n_tokens][dim] floats, row
// i being the token at position pos0 + i of the batch):
//   Embedding  (layer -1) token embeddings x0, after embed_scale           dim n_embd
//   AttnOut    attention sublayer output Wo·a (after post_attn_norm)       dim n_embd
//   FfnOut     feed-forward sublayer output (after post_ffn_norm)          dim n_embd
//   Residual   the residual stream after the layer (x + attn + ffn)        dim n_embd
//   OutputNorm (layer n_layer) rmsnorm(x_final) · output_norm, the LM head's input
//   Logits     (layer n_layer) the logits (after the final soft-cap)       dim n_vocab
// OutputNorm and Logits are reported only for the rows whose logits are computed.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "slm/session.hpp"

namespace slm {

enum class TracePoint { Embedding, AttnOut, FfnOut, Residual, OutputNorm, Logits };
const char* to_string(TracePoint p) noexcept;  // "embd", "attn_out", "ffn_out", "residual", "output_norm", "logits"

class TraceObserver {
 public:
  virtual ~TraceObserver() = default;
  virtual void on_tensor(TracePoint point, int layer, std::int64_t pos0, std::int64_t n_tokens, std::int64_t dim,
                         const float* rows) = 0;
  // Attention probabilities are recomputed (from the queries and the KV cache, in f32) only
  // when this returns true: it costs as much as the attention itself.
  virtual bool wants_attention() const { return false; }
  // probs[j]: weight of the key at position first_key + j for query position `pos`, head `head`
  // of layer `layer` (after scale, soft-cap and softmax; sums to 1).
  virtual void on_attention(int /*layer*/, int /*head*/, std::int64_t /*pos*/, std::int64_t /*first_key*/,
                            std::span<const float> /*probs*/) {}
};

// Statistics of one [n_tokens][dim] tensor.
struct TensorStats {
  double rms = 0;           // sqrt(mean(x^2)) over all elements
  double max_abs = 0;       // max |x|
  std::int64_t max_token = 0;    // position of max |x|
  std::int64_t max_channel = 0;  // channel of max |x|
};
TensorStats tensor_stats(std::span<const float> rows, std::int64_t dim);

struct LayerTrace {
  int layer = 0;
  bool sliding_window = false;   // a local (sliding-window) attention layer
  TensorStats attn_out, ffn_out, residual;
  std::vector<double> head_entropy;  // [n_head] mean over queries of -sum p ln p (nats)
};

struct TraceOptions {
  MatmulPath matmul = MatmulPath::Integer;
  KvType kv_type = KvType::F32;
  int threads = 0;
  // Tensors to keep (TraceReport::tensors): glob patterns over names, comma-separated, e.g.
  // "layer*.residual,output_norm"; empty = none. Names: embd, layerNN.attn_out,
  // layerNN.ffn_out, layerNN.residual (NN two digits or more), output_norm, logits.
  std::string keep = {};
};

struct TraceTensor {
  std::string name;
  std::int64_t n_tokens = 0, dim = 0;
  std::vector<float> data;  // [n_tokens][dim]
};

struct TraceReport {
  std::int64_t n_tokens = 0;
  TensorStats embedding;
  std::vector<LayerTrace> layers;  // [n_layer]
  TensorStats output_norm;
  std::vector<float> logits;       // [n_tokens][n_vocab], what Session::evaluate returned
  std::vector<TraceTensor> tensors;  // the kept ones, in forward order
};

// Evaluates `tokens` in a fresh session (all logits) with an observer attached.
TraceReport trace(const Model& model, std::span<const TokenId> tokens, const TraceOptions& options = {});

// True if `name` matches the glob `pattern` ('*' any run, '?' one character).
bool glob_match(std::string_view pattern, std::string_view name) noexcept;

}  // namespace slm
