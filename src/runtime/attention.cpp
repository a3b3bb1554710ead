// Causal (optionally sliding-window) multi-head attention over the KV cache. GQA/MQA: query
// head h reads KV head h / group, so each KV head serves `group` consecutive query heads.
//
// The block kernel runs on blocks of attention_block_tokens() consecutive tokens per KV head,
// so each K and V row is read once per block instead of once per token. Decode (one token) is a
// block of one: as fast as the single-query kernel with an F16 cache and faster with F32 (its
// 512-bit tiles on AVX-512), see docs/performance.md.
#include "runtime/state.hpp"

namespace slm::runtime {

void attention(State& s, std::int64_t il, std::int64_t n, std::int64_t pos0) {
  const std::int64_t hd = s.hp.head_dim, n_kv_head = s.hp.n_head_kv;
  const std::int64_t group = s.hp.n_head / n_kv_head;
  const std::int64_t q_dim = s.hp.n_head * hd;
  const std::size_t scratch_stride = s.scores.size() / std::size_t(s.pool.size());
  // The layer's window, recovered from what the last token sees: if its keys start after
  // position 0 they are exactly the window; otherwise no token of this batch is window-limited.
  const std::int64_t last = pos0 + n - 1;
  const KvSpan last_span = s.kv.visible(il, last);
  const std::int64_t window = last + 1 - last_span.n_kv > 0 ? last_span.n_kv : 0;

  const std::int64_t bt = attention_block_tokens(group);
  const std::int64_t n_blocks = (n + bt - 1) / bt;
  // Jobs = (token block, KV head). Under the causal mask later blocks see more keys; the pool
  // hands each thread a contiguous job range, so blocks are visited from both ends in turn
  // (0, last, 1, last - 1, ...) to give every range a similar amount of work.
  s.pool.parallel_for(n_blocks * n_kv_head, [&](std::int64_t j0, std::int64_t j1, int t) {
    for (std::int64_t j = j0; j < j1; ++j) {
      const std::int64_t i = j / n_kv_head, g = j % n_kv_head;
      const std::int64_t blk = i % 2 == 0 ? i / 2 : n_blocks - 1 - i / 2;
      const std::int64_t t0 = blk * bt, nt = std::min(bt, n - t0);
      kernels::AttentionBlockArgs a{};
      a.q = s.q.data() + t0 * q_dim + g * group * hd;  // token rows q_dim apart, [group][hd] each
      a.q_stride = q_dim;
      a.n_tok = nt;
      a.n_q = group;
      a.head_dim = hd;
      a.k = s.kv.keys(il, g);
      a.v = s.kv.values(il, g);
      a.kv_type = s.kv.type();
      a.kv_row_stride = s.kv.row_bytes();
      a.pos0 = pos0 + t0;
      a.window = window;
      a.ring = last_span.ring;
      a.scale = s.hp.query_scale;
      a.softcap = s.hp.attn_softcap;
      a.out = s.att.data() + t0 * q_dim + g * group * hd;
      a.out_stride = q_dim;
      a.scratch = s.scores.data() + std::size_t(t) * scratch_stride;
      s.k.attention_block(a);
    }
  });
}

}  // namespace slm::runtime
