#pragma once
// The architecture card (model/card.hpp) as a JSON object, shared by `slm inspect --json` and
// `slm compare --format json`. Raw numbers (elements, bytes, FLOPs); the text renderers format them.

#include "json.hpp"
#include "model/card.hpp"

namespace slm::cli {

inline void card_json(JsonWriter& j, const model::ArchCard& c) {
  using I = std::int64_t;
  using U = std::uint64_t;
  j.begin_object();
  j.member("family", c.family);
  j.member("name", c.name);
  j.key("parameters");
  j.begin_object();
  j.member("total", I(c.params_total));
  j.member("embedding", I(c.params_embedding));
  j.member("lm_head", I(c.params_lm_head));
  j.member("non_embedding", I(c.params_non_embedding));
  j.member("convention", "elements of every tensor; a tied LM head (token_embd) counted once; "
                         "non_embedding = total - token_embd - output.weight");
  j.end_object();
  j.member("n_layer", I(c.n_layer));
  j.member("d_model", I(c.d_model));
  j.member("n_head", I(c.n_head));
  j.member("n_head_kv", I(c.n_head_kv));
  j.member("group_size", I(c.group_size));
  j.member("attention", c.attention);
  j.member("head_dim", I(c.head_dim));
  j.member("ffn_kind", c.ffn_kind);
  j.member("n_ff", I(c.n_ff));
  j.key("norms");
  j.begin_object();
  j.member("kind", "RMSNorm");
  j.member("pre_norm", true);
  j.member("post_attn_norm", c.post_attn_norm);
  j.member("post_ffn_norm", c.post_ffn_norm);
  j.member("qk_norm", c.qk_norm);
  j.member("eps", double(c.rms_eps), true);
  j.end_object();
  j.member("qkv_bias", c.qkv_bias);
  j.key("rope");
  j.begin_object();
  j.member("style", c.rope_style);
  j.member("n_rot", I(c.n_rot));
  j.member("base", double(c.rope_base), true);
  if (c.rope_base_local > 0)
    j.member("base_local", double(c.rope_base_local), true);
  else
    j.key("base_local"), j.null();
  j.member("scaling", c.rope_scaling);
  j.end_object();
  j.member("n_ctx_train", I(c.n_ctx_train));
  j.key("sliding_window");
  j.begin_object();
  j.member("window", I(c.sliding_window));
  j.key("local_layers");
  j.begin_array();
  for (auto il : c.local_layers) j.value(I(il));
  j.end_array();
  j.end_object();
  j.member("attn_softcap", double(c.attn_softcap), true);
  j.member("final_softcap", double(c.final_softcap), true);
  j.member("embed_scale", double(c.embed_scale), true);
  j.member("tied_embeddings", c.tied_embeddings);
  j.member("n_vocab", I(c.n_vocab));
  j.member("tokenizer_model", c.tokenizer_model);
  j.member("tokenizer_pre", c.tokenizer_pre);
  j.key("weight_bytes_by_type");
  j.begin_object();
  for (const auto& f : c.formats) {
    j.key(f.type);
    j.begin_object();
    j.member("tensors", I(f.tensors));
    j.member("bytes", U(f.bytes));
    j.member("params", I(f.params));
    j.end_object();
  }
  j.end_object();
  j.member("weight_bytes", U(c.weight_bytes));
  j.key("kv_cache");
  j.begin_object();
  j.member("bytes_per_token_f32", U(c.kv_bytes_per_token_f32));
  j.member("bytes_per_token_f16", U(c.kv_bytes_per_token_f16));
  j.member("global_layers_bytes_per_token_f32", U(c.kv_global_bytes_per_token_f32));
  j.member("bytes_at_trained_context_f32", U(c.kv_bytes_full_ctx_f32));
  j.member("bytes_at_trained_context_f16", U(c.kv_bytes_full_ctx_f16));
  j.end_object();
  j.key("per_token");
  j.begin_object();
  j.member("attn_position", I(c.attn_position));
  j.member("matmul_flops", c.matmul_flops);
  j.member("attn_flops", c.attn_flops);
  j.member("lm_head_flops", c.lm_head_flops);
  j.member("flops", c.flops_per_token());
  j.member("weight_bytes_read", U(c.weight_bytes_per_token));
  j.member("lm_head_bytes", U(c.lm_head_bytes));
  j.member("kv_bytes_read_f32", U(c.kv_read_bytes_f32));
  j.member("bandwidth_gbps", c.bandwidth_gbps);
  j.member("bandwidth_source", c.bandwidth_source);
  j.member("tokens_per_s_ceiling", c.tokens_per_s_ceiling);
  j.end_object();
  j.end_object();
}

}  // namespace slm::cli
