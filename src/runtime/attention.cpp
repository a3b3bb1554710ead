// Causal (optionally sliding-window) multi-head attention over the KV cache. GQA/MQA: query
// head h reads KV head h / group, so each KV head serves `group` consecutive query heads.
#include "runtime/state.hpp"

namespace slm::runtime {

void attention(State& s, std::int64_t il, std::int64_t n, std::int64_t pos0) {
  const std::int64_t hd = s.hp.head_dim, n_kv_head = s.hp.n_head_kv;
  const std::int64_t group = s.hp.n_head / n_kv_head;
  const std::int64_t q_dim = s.hp.n_head * hd;
  const std::size_t scratch_stride = std::size_t(group * s.kv.max_rows());
  const auto* keys = static_cast<const std::uint8_t*>(s.kv.keys(il));
  const auto* values = static_cast<const std::uint8_t*>(s.kv.values(il));

  // One job per (token, KV head).
  s.pool.parallel_for(n * n_kv_head, [&](std::int64_t j0, std::int64_t j1, int t) {
    for (std::int64_t j = j0; j < j1; ++j) {
      const std::int64_t i = j / n_kv_head, g = j % n_kv_head;
      const KvSpan span = s.kv.visible(il, pos0 + i);
      kernels::AttentionArgs a{};
      a.q = s.q.data() + i * q_dim + g * group * hd;  // [group][hd]
      a.n_q = group;
      a.head_dim = hd;
      a.k = keys + std::size_t(g) * s.kv.head_bytes();
      a.v = values + std::size_t(g) * s.kv.head_bytes();
      a.kv_type = s.kv.type();
      a.kv_row_stride = s.kv.row_bytes();
      a.first = span.first;
      a.n_kv = span.n_kv;
      a.ring = span.ring;
      a.scale = s.hp.query_scale;
      a.softcap = s.hp.attn_softcap;
      a.out = s.att.data() + i * q_dim + g * group * hd;  // [group][hd]
      a.scratch = s.scores.data() + std::size_t(t) * scratch_stride;
      s.k.attention(a);
    }
  });
}

}  // namespace slm::runtime
