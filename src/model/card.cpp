// make_card(): the architecture card of a GGUF file, from HParams + the tensor table only.
// Conventions are documented in card.hpp.
#include "model/card.hpp"

#include <algorithm>
#include <map>

#include "kernels/dtype.hpp"
#include "model/hparams.hpp"
#include "slm/arch.hpp"
#include "slm/error.hpp"

namespace slm::model {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string optional_string(const gguf::File& f, std::string_view key) {
  if (const gguf::Value* v = f.find(key))
    if (const auto* s = std::get_if<std::string>(&v->data)) return *s;
  return {};
}

// Keys a query at position `pos` (0-based) sees in layer il: itself and everything before,
// capped at the window on sliding-window layers.
std::int64_t visible_keys(const ArchCard& c, std::int64_t pos, bool local) {
  const std::int64_t causal = pos + 1;
  return local ? std::min(causal, c.sliding_window) : causal;
}

}  // namespace

ArchCard make_card(const gguf::File& file, const CardOptions& options) {
  ArchCard c;
  c.path = file.path();
  c.file_size = file.file_size();
  c.family = optional_string(file, "general.architecture");
  c.name = optional_string(file, "general.name");
  const ArchSpec* spec = find_arch(c.family);
  if (!spec)
    throw Error(Error::Kind::Unsupported, "no architecture card: unknown architecture '" + c.family + "'",
                file.path(), "general.architecture");
  const HParams hp = read_hparams(file, *spec, {});

  // ---- parameters and bytes by format, from the tensor table
  const gguf::TensorInfo* embd = file.find_tensor("token_embd.weight");
  if (!embd) throw Error(Error::Kind::Format, "missing tensor", file.path(), "token_embd.weight");
  const gguf::TensorInfo* head = file.find_tensor("output.weight");
  c.tied_embeddings = head == nullptr;
  std::map<std::uint32_t, FormatBytes> by_type;
  std::int64_t blk_matrix_params = 0;
  for (const auto& t : file.tensors()) {
    c.params_total += t.n_elements();
    c.weight_bytes += t.n_bytes;
    auto& fb = by_type[static_cast<std::uint32_t>(t.type)];
    fb.type = std::string(kernels::dtype_name(t.type));
    ++fb.tensors;
    fb.bytes += t.n_bytes;
    fb.params += t.n_elements();
    if (starts_with(t.name, "blk.") && t.n_dims >= 2 && t.ne[1] > 1) blk_matrix_params += t.n_elements();
  }
  for (auto& [id, fb] : by_type) c.formats.push_back(fb);
  c.params_embedding = embd->n_elements();
  c.params_lm_head = head ? head->n_elements() : 0;
  c.params_non_embedding = c.params_total - c.params_embedding - c.params_lm_head;

  // ---- shape
  c.n_layer = hp.n_layer;
  c.d_model = hp.n_embd;
  c.n_head = hp.n_head;
  c.n_head_kv = hp.n_head_kv;
  c.group_size = hp.n_head / hp.n_head_kv;
  c.attention = hp.n_head_kv == hp.n_head ? "MHA" : hp.n_head_kv == 1 ? "MQA" : "GQA";
  c.head_dim = hp.head_dim;
  c.ffn_kind = to_string(spec->ffn_act);
  c.n_ff = hp.n_ff;
  c.post_attn_norm = spec->post_attn_norm;
  c.post_ffn_norm = spec->post_ffn_norm;
  c.qk_norm = spec->qk_norm;
  c.qkv_bias = spec->qkv_bias;
  c.rms_eps = hp.rms_eps;

  c.rope_style = to_string(spec->rope);
  c.n_rot = hp.n_rot;
  c.rope_base = hp.rope_base;
  c.rope_base_local = spec->local_rope_base ? hp.rope_base_local : 0;
  const bool freqs = spec->rope_freqs_tensor && file.find_tensor("rope_freqs.weight");
  if (freqs)
    c.rope_scaling = "rope_freqs tensor (Llama 3.1 frequency divisors)";
  else if (hp.rope_freq_scale != 1.0f)
    c.rope_scaling = "linear x" + std::to_string(1.0f / hp.rope_freq_scale);
  else
    c.rope_scaling = "none";
  c.n_ctx_train = hp.n_ctx_train;
  c.sliding_window = hp.sliding_window;
  if (hp.sliding_window > 0)
    for (std::int64_t il = 0; il < hp.n_layer; ++il)
      if (hp.layer_is_local[std::size_t(il)]) c.local_layers.push_back(il);
  c.attn_softcap = hp.attn_softcap;
  c.final_softcap = hp.final_softcap;
  c.embed_scale = hp.embed_scale;

  c.n_vocab = embd->ne[1];
  c.tokenizer_model = optional_string(file, "tokenizer.ggml.model");
  c.tokenizer_pre = optional_string(file, "tokenizer.ggml.pre");

  // ---- KV cache: K and V rows of n_head_kv * head_dim elements per layer and token
  const std::uint64_t kv_elems_layer = 2 * std::uint64_t(hp.n_head_kv * hp.head_dim);
  std::uint64_t full_ctx_rows = 0;  // sum over layers of the tokens held at n_ctx_train
  const std::uint64_t n_local = c.local_layers.size();
  for (std::int64_t il = 0; il < hp.n_layer; ++il) {
    const bool local = std::binary_search(c.local_layers.begin(), c.local_layers.end(), il);
    full_ctx_rows += std::uint64_t(local ? std::min(hp.n_ctx_train, hp.sliding_window) : hp.n_ctx_train);
  }
  c.kv_bytes_per_token_f32 = std::uint64_t(hp.n_layer) * kv_elems_layer * 4;
  c.kv_bytes_per_token_f16 = std::uint64_t(hp.n_layer) * kv_elems_layer * 2;
  c.kv_global_bytes_per_token_f32 = (std::uint64_t(hp.n_layer) - n_local) * kv_elems_layer * 4;
  c.kv_bytes_full_ctx_f32 = full_ctx_rows * kv_elems_layer * 4;
  c.kv_bytes_full_ctx_f16 = full_ctx_rows * kv_elems_layer * 2;

  // ---- cost of one generated token at attn_position
  c.attn_position = std::clamp<std::int64_t>(options.attn_position, 0, hp.n_ctx_train - 1);
  std::uint64_t keys_seen = 0;
  for (std::int64_t il = 0; il < hp.n_layer; ++il) {
    const bool local = std::binary_search(c.local_layers.begin(), c.local_layers.end(), il);
    keys_seen += std::uint64_t(visible_keys(c, c.attn_position, local));
  }
  const std::int64_t head_params = head ? head->n_elements() : embd->n_elements();
  c.lm_head_flops = 2.0 * double(head_params);
  c.matmul_flops = 2.0 * double(blk_matrix_params) + c.lm_head_flops;
  c.attn_flops = 4.0 * double(hp.n_head * hp.head_dim) * double(keys_seen);
  c.lm_head_bytes = head ? head->n_bytes : embd->n_bytes;
  const std::uint64_t embd_row = embd->n_bytes / std::uint64_t(std::max<std::int64_t>(embd->ne[1], 1));
  c.weight_bytes_per_token = c.weight_bytes - embd->n_bytes + embd_row + (head ? 0 : embd->n_bytes);
  c.kv_read_bytes_f32 = keys_seen * kv_elems_layer * 4;
  c.bandwidth_gbps = options.bandwidth_gbps;
  c.bandwidth_source = options.bandwidth_source;
  if (options.bandwidth_gbps > 0)
    c.tokens_per_s_ceiling = options.bandwidth_gbps * 1e9 / double(c.bytes_per_token());
  return c;
}

}  // namespace slm::model
