// The seed models' published hyper-parameters, and the tensor table of each family.
#include "model/shapes.hpp"

#include <array>

#include "slm/error.hpp"

namespace slm::model {
namespace {

// Sources: each model's Hugging Face config.json (num_hidden_layers, hidden_size,
// num_attention_heads, num_key_value_heads, head_dim, intermediate_size, vocab_size,
// max_position_embeddings, rope_theta, rms_norm_eps, sliding_window, *_softcapping,
// tie_word_embeddings, rope_scaling) and the parameter count on its model card.
ModelShape preset(std::string name, std::string arch, std::int64_t n_layer, std::int64_t n_embd, std::int64_t n_head,
                  std::int64_t n_head_kv, std::int64_t head_dim, std::int64_t n_ff, std::int64_t n_vocab,
                  std::int64_t n_ctx, float rope_base, float rms_eps, bool tied, std::int64_t published,
                  std::string_view source) {
  ModelShape s;
  s.name = std::move(name);
  s.arch = std::move(arch);
  s.n_layer = n_layer;
  s.n_embd = n_embd;
  s.n_head = n_head;
  s.n_head_kv = n_head_kv;
  s.head_dim = head_dim;
  s.n_ff = n_ff;
  s.n_vocab = n_vocab;
  s.n_ctx = n_ctx;
  s.rope_base = rope_base;
  s.rms_eps = rms_eps;
  s.tied_embeddings = tied;
  s.published_params = published;
  s.source = source;
  return s;
}

std::vector<ModelShape> make_seed_shapes() {
  std::vector<ModelShape> v;
  v.push_back(preset("llama3-8b", "llama", 32, 4096, 32, 8, 128, 14336, 128256, 8192, 500000.0f, 1e-5f, false,
                     8030261248, "meta-llama/Meta-Llama-3-8B"));
  v.push_back(preset("llama3.2-3b", "llama", 28, 3072, 24, 8, 128, 8192, 128256, 131072, 500000.0f, 1e-5f, true,
                     3212749824, "meta-llama/Llama-3.2-3B"));
  v.back().llama3_rope_factor = 32.0f;
  v.push_back(preset("llama3.2-1b", "llama", 16, 2048, 32, 8, 64, 8192, 128256, 131072, 500000.0f, 1e-5f, true,
                     1235814400, "meta-llama/Llama-3.2-1B"));
  v.back().llama3_rope_factor = 32.0f;
  v.push_back(preset("mistral-7b", "llama", 32, 4096, 32, 8, 128, 14336, 32000, 32768, 10000.0f, 1e-5f, false,
                     7241732096, "mistralai/Mistral-7B-v0.1"));
  v.push_back(preset("gemma-2b", "gemma", 18, 2048, 8, 1, 256, 16384, 256000, 8192, 10000.0f, 1e-6f, true,
                     2506172416, "google/gemma-2b"));
  v.push_back(preset("gemma-7b", "gemma", 28, 3072, 16, 16, 256, 24576, 256000, 8192, 10000.0f, 1e-6f, true,
                     8537680896, "google/gemma-7b"));
  v.push_back(preset("gemma2-2b", "gemma2", 26, 2304, 8, 4, 256, 9216, 256000, 8192, 10000.0f, 1e-6f, true,
                     2614341888, "google/gemma-2-2b"));
  v.back().sliding_window = 4096;
  v.back().attn_softcap = 50.0f;
  v.back().final_softcap = 30.0f;
  v.push_back(preset("gemma3-270m", "gemma3", 18, 640, 4, 1, 256, 2048, 262144, 32768, 1000000.0f, 1e-6f, true,
                     268098176, "google/gemma-3-270m"));
  v.back().sliding_window = 512;
  v.back().rope_base_swa = 10000.0f;
  v.push_back(preset("gemma3-1b", "gemma3", 26, 1152, 4, 1, 256, 6912, 262144, 32768, 1000000.0f, 1e-6f, true,
                     999885952, "google/gemma-3-1b-pt"));
  v.back().sliding_window = 512;
  v.back().rope_base_swa = 10000.0f;
  v.push_back(preset("qwen2-0.5b", "qwen2", 24, 896, 14, 2, 64, 4864, 151936, 32768, 1000000.0f, 1e-6f, true,
                     494032768, "Qwen/Qwen2.5-0.5B"));
  v.push_back(preset("qwen2-1.5b", "qwen2", 28, 1536, 12, 2, 128, 8960, 151936, 32768, 1000000.0f, 1e-6f, true,
                     1543714304, "Qwen/Qwen2.5-1.5B"));
  v.push_back(preset("qwen2-7b", "qwen2", 28, 3584, 28, 4, 128, 18944, 152064, 32768, 1000000.0f, 1e-6f, false,
                     7615616512, "Qwen/Qwen2.5-7B"));
  return v;
}

const std::vector<ModelShape>& seeds() {
  static const std::vector<ModelShape> kSeeds = make_seed_shapes();  // immutable after first use
  return kSeeds;
}

void check_dims(const ModelShape& s) {
  auto positive = [&](std::int64_t v, const char* what) {
    if (v <= 0) throw Error(Error::Kind::Argument, std::string(what) + " must be positive", {}, s.name);
  };
  positive(s.n_layer, "n_layer");
  positive(s.n_embd, "n_embd");
  positive(s.n_head, "n_head");
  positive(s.n_head_kv, "n_head_kv");
  positive(s.head_dim, "head_dim");
  positive(s.n_ff, "n_ff");
  positive(s.n_vocab, "n_vocab");
  if (s.n_head % s.n_head_kv != 0)
    throw Error(Error::Kind::Argument, "n_head must be a multiple of n_head_kv", {}, s.name);
  if (s.head_dim % 2 != 0) throw Error(Error::Kind::Argument, "head_dim must be even (RoPE pairs)", {}, s.name);
}

}  // namespace

std::span<const ModelShape> seed_shapes() { return seeds(); }

const ModelShape* find_shape(std::string_view name) noexcept {
  for (const ModelShape& s : seeds())
    if (s.name == name) return &s;
  return nullptr;
}

ModelShape custom_shape(std::string_view arch, std::int64_t n_layer, std::int64_t n_embd, std::int64_t n_head,
                        std::int64_t n_head_kv, std::int64_t head_dim, std::int64_t n_ff, std::int64_t n_vocab) {
  if (!find_arch(arch)) throw Error(Error::Kind::Argument, "unknown architecture '" + std::string(arch) + "'");
  ModelShape s;
  s.name = "custom";
  s.arch = std::string(arch);
  s.n_layer = n_layer;
  s.n_embd = n_embd;
  s.n_head = n_head;
  s.n_head_kv = n_head_kv;
  s.head_dim = head_dim;
  s.n_ff = n_ff;
  s.n_vocab = n_vocab;
  s.n_ctx = 4096;
  s.source = "custom --dims";
  // The family's usual constants, as in its seed models.
  if (arch == "llama") {
    s.rope_base = 500000.0f;
  } else if (arch == "qwen2") {
    s.rope_base = 1000000.0f;
    s.rms_eps = 1e-6f;
    s.tied_embeddings = true;
  } else {  // the Gemma family
    s.rms_eps = 1e-6f;
    s.tied_embeddings = true;
    if (arch == "gemma2") {
      s.sliding_window = 4096;
      s.attn_softcap = 50.0f;
      s.final_softcap = 30.0f;
    } else if (arch == "gemma3") {
      s.rope_base = 1000000.0f;
      s.rope_base_swa = 10000.0f;
      s.sliding_window = 512;
    }
  }
  check_dims(s);
  return s;
}

std::vector<TensorSpec> tensor_layout(const ModelShape& s) {
  const ArchSpec* spec = find_arch(s.arch);
  if (!spec) throw Error(Error::Kind::Argument, "unknown architecture '" + s.arch + "'", {}, s.name);
  check_dims(s);
  const std::int64_t d = s.n_embd, hd = s.head_dim, q_dim = s.n_head * hd, kv_dim = s.n_head_kv * hd;
  std::vector<TensorSpec> t;
  auto add = [&](std::string name, std::vector<std::int64_t> ne, TensorRole role) {
    t.push_back({std::move(name), std::move(ne), role});
  };
  add("token_embd.weight", {d, s.n_vocab}, TensorRole::Embedding);
  if (s.llama3_rope_factor > 0) {
    if (!spec->rope_freqs_tensor)
      throw Error(Error::Kind::Argument, "family " + s.arch + " has no rope_freqs tensor", {}, s.name);
    add("rope_freqs.weight", {hd / 2}, TensorRole::RopeFreqs);
  }
  for (std::int64_t il = 0; il < s.n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    add(p + "attn_norm.weight", {d}, TensorRole::Norm);
    add(p + "attn_q.weight", {d, q_dim}, TensorRole::Matrix);
    add(p + "attn_k.weight", {d, kv_dim}, TensorRole::Matrix);
    add(p + "attn_v.weight", {d, kv_dim}, TensorRole::Matrix);
    if (spec->qkv_bias) {
      add(p + "attn_q.bias", {q_dim}, TensorRole::Bias);
      add(p + "attn_k.bias", {kv_dim}, TensorRole::Bias);
      add(p + "attn_v.bias", {kv_dim}, TensorRole::Bias);
    }
    if (spec->qk_norm) {
      add(p + "attn_q_norm.weight", {hd}, TensorRole::Norm);
      add(p + "attn_k_norm.weight", {hd}, TensorRole::Norm);
    }
    add(p + "attn_output.weight", {q_dim, d}, TensorRole::Matrix);
    if (spec->post_attn_norm) add(p + "post_attention_norm.weight", {d}, TensorRole::Norm);
    add(p + "ffn_norm.weight", {d}, TensorRole::Norm);
    add(p + "ffn_gate.weight", {d, s.n_ff}, TensorRole::Matrix);
    add(p + "ffn_up.weight", {d, s.n_ff}, TensorRole::Matrix);
    add(p + "ffn_down.weight", {s.n_ff, d}, TensorRole::Matrix);
    if (spec->post_ffn_norm) add(p + "post_ffw_norm.weight", {d}, TensorRole::Norm);
  }
  add("output_norm.weight", {d}, TensorRole::Norm);
  if (!s.tied_embeddings) add("output.weight", {d, s.n_vocab}, TensorRole::Matrix);
  return t;
}

std::int64_t parameter_count(const ModelShape& shape) {
  std::int64_t n = 0;
  for (const TensorSpec& t : tensor_layout(shape)) {
    std::int64_t e = 1;
    for (auto x : t.ne) e *= x;
    n += e;
  }
  return n;
}

}  // namespace slm::model
