// trace(): per-layer statistics of one forward pass, collected by a TraceObserver.
#include "slm/trace.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "slm/error.hpp"

namespace slm {
namespace {

std::string tensor_name(TracePoint p, int layer) {
  if (p == TracePoint::Embedding || p == TracePoint::OutputNorm || p == TracePoint::Logits) return to_string(p);
  char buf[16];
  std::snprintf(buf, sizeof buf, "layer%02d.", layer);
  return buf + std::string(to_string(p));
}

std::vector<std::string> split_patterns(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t comma = std::min(s.find(',', start), s.size());
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// Gathers every tensor the forward pass shows (rows appended in position order, so a batch
// split over several passes still gives whole tensors) and the attention entropy sums.
class Collector final : public TraceObserver {
 public:
  Collector(int n_layer, int n_head) : entropy_sum_(std::size_t(n_layer) * std::size_t(n_head), 0.0),
                                       entropy_count_(entropy_sum_.size(), 0), n_head_(n_head) {}

  void on_tensor(TracePoint point, int layer, std::int64_t, std::int64_t n_tokens, std::int64_t dim,
                 const float* rows) override {
    if (point == TracePoint::Logits) return;  // the session returns them
    TraceTensor& t = tensors_[{layer, int(point)}];
    if (t.name.empty()) t.name = tensor_name(point, layer);
    t.dim = dim;
    t.n_tokens += n_tokens;
    t.data.insert(t.data.end(), rows, rows + n_tokens * dim);
  }
  bool wants_attention() const override { return true; }
  void on_attention(int layer, int head, std::int64_t, std::int64_t, std::span<const float> probs) override {
    double h = 0;
    for (float p : probs)
      if (p > 0) h -= double(p) * std::log(double(p));
    const std::size_t idx = std::size_t(layer) * std::size_t(n_head_) + std::size_t(head);
    entropy_sum_[idx] += h;
    ++entropy_count_[idx];
  }

  std::map<std::pair<int, int>, TraceTensor> tensors_;  // (layer, point) → tensor
  std::vector<double> entropy_sum_;            // [n_layer][n_head]
  std::vector<std::int64_t> entropy_count_;    // [n_layer][n_head]
  int n_head_;
};

}  // namespace

const char* to_string(TracePoint p) noexcept {
  switch (p) {
    case TracePoint::Embedding: return "embd";
    case TracePoint::AttnOut: return "attn_out";
    case TracePoint::FfnOut: return "ffn_out";
    case TracePoint::Residual: return "residual";
    case TracePoint::OutputNorm: return "output_norm";
    case TracePoint::Logits: return "logits";
  }
  return "?";
}

TensorStats tensor_stats(std::span<const float> rows, std::int64_t dim) {
  TensorStats st;
  if (rows.empty() || dim <= 0) return st;
  double sum_sq = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double v = rows[i];
    sum_sq += v * v;
    if (std::fabs(v) > st.max_abs) {
      st.max_abs = std::fabs(v);
      st.max_token = std::int64_t(i) / dim;
      st.max_channel = std::int64_t(i) % dim;
    }
  }
  st.rms = std::sqrt(sum_sq / double(rows.size()));
  return st;
}

bool glob_match(std::string_view pattern, std::string_view name) noexcept {
  // Iterative matcher with one backtrack point (the last '*'): linear for these short names.
  std::size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

TraceReport trace(const Model& model, std::span<const TokenId> tokens, const TraceOptions& options) {
  if (tokens.empty()) throw Error(Error::Kind::Argument, "trace: no tokens");
  const HParams& hp = model.hparams();
  if (std::int64_t(tokens.size()) > hp.n_ctx_train)
    throw Error(Error::Kind::Argument, "trace: " + std::to_string(tokens.size()) +
                                           " tokens exceed the context length " + std::to_string(hp.n_ctx_train));
  const int n = int(tokens.size());
  Session session(model, {.n_ctx = n, .threads = options.threads, .kv_type = options.kv_type,
                          .matmul = options.matmul, .n_batch = n});
  Collector c(int(hp.n_layer), int(hp.n_head));
  session.set_observer(&c);
  const std::span<const float> logits = session.evaluate(tokens, /*all_logits=*/true);
  session.set_observer(nullptr);

  TraceReport r;
  r.n_tokens = n;
  r.logits.assign(logits.begin(), logits.end());
  auto stats = [&](TracePoint p, int layer) {
    const auto it = c.tensors_.find({layer, int(p)});
    if (it == c.tensors_.end()) throw Error(Error::Kind::Unsupported, std::string("trace: no ") + to_string(p) + " seen");
    return tensor_stats(it->second.data, it->second.dim);
  };
  r.embedding = stats(TracePoint::Embedding, -1);
  for (int il = 0; il < int(hp.n_layer); ++il) {
    LayerTrace& l = r.layers.emplace_back();
    l.layer = il;
    l.sliding_window = hp.layer_is_local[std::size_t(il)] && hp.sliding_window > 0;
    l.attn_out = stats(TracePoint::AttnOut, il);
    l.ffn_out = stats(TracePoint::FfnOut, il);
    l.residual = stats(TracePoint::Residual, il);
    for (int h = 0; h < int(hp.n_head); ++h) {
      const std::size_t idx = std::size_t(il) * std::size_t(hp.n_head) + std::size_t(h);
      l.head_entropy.push_back(c.entropy_count_[idx] ? c.entropy_sum_[idx] / double(c.entropy_count_[idx]) : 0.0);
    }
  }
  r.output_norm = stats(TracePoint::OutputNorm, int(hp.n_layer));

  const std::vector<std::string> patterns = split_patterns(options.keep);
  auto kept = [&](const std::string& name) {
    return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) { return glob_match(p, name); });
  };
  // Forward order: embd, then per layer attn_out, ffn_out, residual, then output_norm (the
  // map orders by (layer, point), which is exactly that).
  for (auto& [key, t] : c.tensors_)
    if (kept(t.name)) r.tensors.push_back(std::move(t));
  if (kept("logits")) r.tensors.push_back({"logits", n, hp.n_vocab, r.logits});
  return r;
}

}  // namespace slm
