// Observer hooks of the forward pass (slm/trace.hpp). Called only when an observer is attached.
// The attention probabilities are recomputed here rather than taken from the attention kernel,
// whose scores stay in per-thread scratch and never leave it: the kernel stays untouched (and
// as fast) whether or not anyone traces.
#include <algorithm>
#include <cmath>

#include "runtime/state.hpp"

namespace slm::runtime {

void notify(State& s, TracePoint point, std::int64_t il, std::int64_t pos0, std::int64_t n, std::int64_t dim,
            const float* rows) {
  s.observer->on_tensor(point, int(il), pos0, n, dim, rows);
}

void notify_attention(State& s, std::int64_t il, std::int64_t n, std::int64_t pos0) {
  TraceObserver& obs = *s.observer;
  if (!obs.wants_attention()) return;
  const HParams& hp = s.hp;
  const std::int64_t hd = hp.head_dim, group = hp.n_head / hp.n_head_kv, q_dim = hp.n_head * hd;
  std::vector<float> k;      // [n_kv][hd] keys of one KV head, dequantized
  std::vector<float> probs;  // [n_kv]
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t pos = pos0 + i;
    const KvSpan span = s.kv.visible(il, pos);
    k.resize(std::size_t(span.n_kv * hd));
    probs.resize(std::size_t(span.n_kv));
    for (std::int64_t g = 0; g < hp.n_head_kv; ++g) {
      const auto* keys = static_cast<const std::uint8_t*>(s.kv.keys(il, g));
      for (std::int64_t j = 0; j < span.n_kv; ++j) {
        const std::int64_t row = (span.first + j) % span.ring;
        kernels::dequantize_row(s.kv.type(), keys + std::size_t(row) * s.kv.row_bytes(), k.data() + j * hd, hd);
      }
      for (std::int64_t h = g * group; h < (g + 1) * group; ++h) {
        const float* q = s.q.data() + i * q_dim + h * hd;
        float mx = -INFINITY;
        for (std::int64_t j = 0; j < span.n_kv; ++j) {
          float dot = 0;
          for (std::int64_t e = 0; e < hd; ++e) dot += q[e] * k[std::size_t(j * hd + e)];
          float score = hp.query_scale * dot;
          if (hp.attn_softcap > 0) score = hp.attn_softcap * std::tanh(score / hp.attn_softcap);
          probs[std::size_t(j)] = score;
          mx = std::max(mx, score);
        }
        double sum = 0;
        for (float& p : probs) sum += (p = std::exp(p - mx));
        for (float& p : probs) p = float(p / sum);
        obs.on_attention(int(il), int(h), pos, pos - span.n_kv + 1, probs);
      }
    }
  }
}

}  // namespace slm::runtime
