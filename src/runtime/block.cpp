// THE transformer block, driven by ArchSpec (structure) and HParams (numbers). It never asks
// which family it runs; every difference between families is a field of the spec.
//
//   h = rmsnorm(x) · attn_norm
//   q, k, v = Wq·h (+bq), Wk·h (+bk), Wv·h (+bv)
//   qk_norm: q, k = per-head rmsnorm(q) · q_norm, rmsnorm(k) · k_norm
//   q, k = rope(q, k)                        (layout, base and scaling of this layer)
//   cache k, v;  a = attention(q, cache)     (window, query scale, soft-cap of this layer)
//   h = Wo·a;  post_attn_norm: h = rmsnorm(h) · post_attn_norm;  x += h
//   h = rmsnorm(x) · ffn_norm
//   h = Wdown·(act(Wgate·h) ⊙ Wup·h);  post_ffn_norm: h = rmsnorm(h) · post_ffn_norm;  x += h
#include "runtime/state.hpp"

namespace slm::runtime {
namespace {

// y[i] = rmsnorm(x[i]) · w for each of n rows of `dim` floats.
void norm_rows(State& s, const float* x, const float* w, std::int64_t n, std::int64_t dim, float* y) {
  for (std::int64_t i = 0; i < n; ++i) s.k.rmsnorm(x + i * dim, w, s.hp.rms_eps, dim, y + i * dim);
}

void add_bias(State& s, float* y, const float* bias, std::int64_t n, std::int64_t dim) {
  if (!bias) return;
  for (std::int64_t i = 0; i < n; ++i) s.k.add(y + i * dim, bias, dim, y + i * dim);
}

}  // namespace

void transformer_block(State& s, std::int64_t il, std::int64_t n, std::int64_t pos0) {
  const HParams& hp = s.hp;
  const ArchSpec& spec = s.spec;
  const model::LayerWeights& w = s.m.weights.layers[std::size_t(il)];
  const std::int64_t d = hp.n_embd, hd = hp.head_dim, n_ff = hp.n_ff;
  const std::int64_t q_dim = hp.n_head * hd, kv_dim = hp.n_head_kv * hd;
  float* x = s.x.data();        // [n][d]
  float* h = s.h.data();        // [n][d]
  float* q = s.q.data();        // [n][H*hd]
  float* k = s.kcur.data();     // [n][Hkv*hd]
  float* v = s.vcur.data();     // [n][Hkv*hd]
  float* gate = s.gate.data();  // [n][n_ff]
  float* up = s.up.data();      // [n][n_ff]

  // ---- attention
  norm_rows(s, x, w.attn_norm, n, d, h);
  const Product qkv[] = {{&w.wq, q}, {&w.wk, k}, {&w.wv, v}};
  matmul_products(s, qkv, h, n);
  add_bias(s, q, w.bq, n, q_dim);
  add_bias(s, k, w.bk, n, kv_dim);
  add_bias(s, v, w.bv, n, kv_dim);
  if (spec.qk_norm) {  // per head: rows of hd
    norm_rows(s, q, w.q_norm, n * hp.n_head, hd, q);
    norm_rows(s, k, w.k_norm, n * hp.n_head_kv, hd, k);
  }
  const bool local = hp.layer_is_local[std::size_t(il)];
  const RopeFreqs& freqs = local && spec.local_rope_base ? s.rope_local : s.rope_global;
  const auto layout = spec.rope == RopeStyle::Adjacent ? kernels::RopeLayout::Adjacent : kernels::RopeLayout::Neox;
  for (std::int64_t i = 0; i < n; ++i) {
    if (hp.n_rot > 0) {  // angles are precomputed per position, so the kernel's pos is 1
      rope_angles(freqs, float(pos0 + i), hp.n_rot / 2, s.angles.data());
      s.k.rope(layout, q + i * q_dim, hp.n_head, hd, hp.n_rot, 1.0f, s.angles.data());
      s.k.rope(layout, k + i * kv_dim, hp.n_head_kv, hd, hp.n_rot, 1.0f, s.angles.data());
    }
    s.kv.store(il, pos0 + i, k + i * kv_dim, v + i * kv_dim);
  }
  attention(s, il, n, pos0);                 // s.att: [n][H*hd]
  if (s.observer) notify_attention(s, il, n, pos0);  // trace hook
  matmul(s, w.wo, s.att.data(), n, h);        // h: [n][d]
  if (spec.post_attn_norm) norm_rows(s, h, w.post_attn_norm, n, d, h);
  if (s.observer) notify(s, TracePoint::AttnOut, il, pos0, n, d, h);  // trace hook
  s.k.add(x, h, n * d, x);

  // ---- feed-forward
  norm_rows(s, x, w.ffn_norm, n, d, h);
  // gate = act(Wgate·h) ⊙ Wup·h, each thread applying the activation to the rows it computed.
  struct Ffn {
    State& s;
    bool swiglu;
    std::int64_t n, n_ff;
    float *gate, *up;
  } ffn{s, spec.ffn_act == FfnAct::SwiGlu, n, n_ff, gate, up};
  const Product gate_up[] = {{&w.gate, gate}, {&w.up, up}};
  matmul_products(s, gate_up, h, n, [](void* ctx, std::int64_t r0, std::int64_t r1) {
    const Ffn& f = *static_cast<const Ffn*>(ctx);
    for (std::int64_t i = 0; i < f.n; ++i) {
      float* g = f.gate + i * f.n_ff + r0;
      const float* u = f.up + i * f.n_ff + r0;
      if (f.swiglu)
        f.s.k.swiglu(g, u, r1 - r0, g);
      else if (f.s.opt.matmul == MatmulPath::Integer)  // llama.cpp's rounding: GELU through fp16
        f.s.k.geglu_fp16(g, u, r1 - r0, g);
      else
        f.s.k.geglu(g, u, r1 - r0, g);
    }
  }, &ffn);
  matmul(s, w.down, gate, n, h);              // h: [n][d]
  if (spec.post_ffn_norm) norm_rows(s, h, w.post_ffn_norm, n, d, h);
  if (s.observer) notify(s, TracePoint::FfnOut, il, pos0, n, d, h);  // trace hook
  s.k.add(x, h, n * d, x);
  if (s.observer) notify(s, TracePoint::Residual, il, pos0, n, d, x);  // trace hook
}

}  // namespace slm::runtime
