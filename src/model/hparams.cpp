// HParams from GGUF metadata. Every key is `{arch}.<name>`; a required key that is missing is
// an error naming it, an optional one gets the default documented in slm/arch.hpp.
#include "model/hparams.hpp"

#include <cmath>
#include <optional>
#include <string>

#include "slm/error.hpp"

namespace slm::model {
namespace {

// Limits far above any real model that keep a corrupt file from requesting absurd buffers.
constexpr std::int64_t kMaxLayers = 4096;
constexpr std::int64_t kMaxDim = 1 << 20;

class Keys {
 public:
  Keys(const gguf::File& f, std::string_view arch) : f_(f), prefix_(std::string(arch) + ".") {}

  std::string key(std::string_view name) const { return prefix_ + std::string(name); }

  // An integer key, or a per-layer integer array whose entries all agree.
  std::optional<std::int64_t> integer(std::string_view name) const {
    const std::string k = key(name);
    const gguf::Value* v = f_.find(k);
    if (!v) return std::nullopt;
    if (v->type == gguf::ValueType::Array) {
      const gguf::Array& items = std::get<gguf::Array>(v->data);
      if (items.empty()) throw error(Error::Kind::Format, "empty array", k);
      const std::int64_t first = scalar_int(*items.begin(), k);
      for (const gguf::Value& it : items)
        if (scalar_int(it, k) != first)
          throw error(Error::Kind::Unsupported, "per-layer values that differ", k);
      return first;
    }
    return scalar_int(*v, k);
  }
  std::int64_t required_integer(std::string_view name) const {
    if (auto v = integer(name)) return *v;
    throw error(Error::Kind::Format, "missing metadata key", key(name));
  }
  std::optional<float> real(std::string_view name) const {
    const std::string k = key(name);
    const gguf::Value* v = f_.find(k);
    if (!v) return std::nullopt;
    if (const double* d = std::get_if<double>(&v->data)) return float(*d);
    if (const auto* u = std::get_if<std::uint64_t>(&v->data)) return float(*u);
    if (const auto* i = std::get_if<std::int64_t>(&v->data)) return float(*i);
    throw error(Error::Kind::Format, "expected a number", k);
  }
  std::optional<std::string> string(std::string_view name) const {
    const std::string k = key(name);
    const gguf::Value* v = f_.find(k);
    if (!v) return std::nullopt;
    if (const auto* s = std::get_if<std::string>(&v->data)) return *s;
    throw error(Error::Kind::Format, "expected a string", k);
  }
  const gguf::Value* raw(std::string_view name) const { return f_.find(key(name)); }

  Error error(Error::Kind kind, const std::string& what, const std::string& k) const {
    return Error(kind, what, f_.path(), k);
  }

 private:
  std::int64_t scalar_int(const gguf::Value& v, const std::string& k) const {
    if (const auto* u = std::get_if<std::uint64_t>(&v.data)) {
      if (*u > std::uint64_t(INT64_MAX)) throw error(Error::Kind::Format, "value out of range", k);
      return std::int64_t(*u);
    }
    if (const auto* i = std::get_if<std::int64_t>(&v.data)) return *i;
    throw error(Error::Kind::Format, "expected an integer", k);
  }

  const gguf::File& f_;
  std::string prefix_;
};

void check_range(const Keys& keys, std::string_view name, std::int64_t v, std::int64_t lo,
                 std::int64_t hi) {
  if (v < lo || v > hi)
    throw keys.error(Error::Kind::Shape,
                     "value " + std::to_string(v) + " outside [" + std::to_string(lo) + ", " +
                         std::to_string(hi) + "]",
                     keys.key(name));
}

// Which layers are local (sliding-window).
std::vector<bool> local_layers(const Keys& keys, const ArchSpec& spec, const HParams& hp) {
  std::vector<bool> local(std::size_t(hp.n_layer), false);
  if (hp.sliding_window <= 0) return local;
  std::int64_t period = spec.swa_period;
  if (const gguf::Value* p = keys.raw("attention.sliding_window_pattern")) {
    if (p->type == gguf::ValueType::Array) {  // one bool per layer: true = sliding window
      const gguf::Array& items = std::get<gguf::Array>(p->data);
      if (std::int64_t(items.size()) != hp.n_layer)
        throw keys.error(Error::Kind::Shape, "expected one entry per layer",
                         keys.key("attention.sliding_window_pattern"));
      std::size_t i = 0;
      for (const gguf::Value& item : items) {
        const auto* b = std::get_if<bool>(&item.data);
        if (!b)
          throw keys.error(Error::Kind::Format, "expected bools",
                           keys.key("attention.sliding_window_pattern"));
        local[i++] = *b;
      }
      return local;
    }
    period = keys.required_integer("attention.sliding_window_pattern");
    check_range(keys, "attention.sliding_window_pattern", period, 0, kMaxLayers);
  }
  if (period > 0) {
    for (std::int64_t il = 0; il < hp.n_layer; ++il) local[std::size_t(il)] = il % period < period - 1;
  } else if (spec.swa_period == 0 && spec.uniform_window_from_key) {
    local.assign(local.size(), true);
  }
  return local;
}

}  // namespace

HParams read_hparams(const gguf::File& file, const ArchSpec& spec, const LogCallback& log) {
  const Keys keys(file, spec.gguf_arch);
  auto note = [&](const std::string& s) {
    if (log) log(LogLevel::Debug, s);
  };
  HParams hp;
  hp.n_ctx_train = keys.required_integer("context_length");
  hp.n_embd = keys.required_integer("embedding_length");
  hp.n_layer = keys.required_integer("block_count");
  hp.n_ff = keys.required_integer("feed_forward_length");
  hp.n_head = keys.required_integer("attention.head_count");
  check_range(keys, "context_length", hp.n_ctx_train, 1, INT32_MAX);
  check_range(keys, "embedding_length", hp.n_embd, 1, kMaxDim);
  check_range(keys, "block_count", hp.n_layer, 1, kMaxLayers);
  check_range(keys, "feed_forward_length", hp.n_ff, 1, kMaxDim);
  check_range(keys, "attention.head_count", hp.n_head, 1, kMaxDim);
  hp.n_head_kv = keys.integer("attention.head_count_kv").value_or(hp.n_head);
  check_range(keys, "attention.head_count_kv", hp.n_head_kv, 1, hp.n_head);
  if (hp.n_head % hp.n_head_kv != 0)
    throw keys.error(Error::Kind::Shape,
                     "head_count " + std::to_string(hp.n_head) + " is not a multiple of head_count_kv " +
                         std::to_string(hp.n_head_kv),
                     keys.key("attention.head_count_kv"));

  if (auto kl = keys.integer("attention.key_length")) {
    hp.head_dim = *kl;
  } else {
    if (hp.n_embd % hp.n_head != 0)
      throw keys.error(Error::Kind::Shape, "embedding_length is not a multiple of head_count",
                       keys.key("attention.head_count"));
    hp.head_dim = hp.n_embd / hp.n_head;
  }
  check_range(keys, "attention.key_length", hp.head_dim, 2, kMaxDim);
  if (auto vl = keys.integer("attention.value_length"); vl && *vl != hp.head_dim)
    throw keys.error(Error::Kind::Unsupported, "value_length different from key_length",
                     keys.key("attention.value_length"));
  hp.n_rot = keys.integer("rope.dimension_count").value_or(hp.head_dim);
  check_range(keys, "rope.dimension_count", hp.n_rot, 0, hp.head_dim);
  if (hp.n_rot % 2 != 0)
    throw keys.error(Error::Kind::Shape, "odd RoPE dimension count", keys.key("rope.dimension_count"));

  hp.rms_eps = keys.real("attention.layer_norm_rms_epsilon").value_or(1e-5f);
  if (!(hp.rms_eps > 0) || !std::isfinite(hp.rms_eps))
    throw keys.error(Error::Kind::Format, "epsilon must be positive",
                     keys.key("attention.layer_norm_rms_epsilon"));

  if (auto b = keys.real("rope.freq_base")) {
    hp.rope_base = *b;
  } else {
    hp.rope_base = spec.default_rope_base;
    note(keys.key("rope.freq_base") + " absent: using " + std::to_string(hp.rope_base));
  }
  hp.rope_base_local = spec.local_rope_base ? keys.real("rope.freq_base_swa").value_or(10000.0f) : hp.rope_base;
  if (!(hp.rope_base > 0) || !(hp.rope_base_local > 0))
    throw keys.error(Error::Kind::Format, "RoPE base must be positive", keys.key("rope.freq_base"));

  if (auto type = keys.string("rope.scaling.type"); type && *type != "none") {
    if (*type != "linear")
      throw keys.error(Error::Kind::Unsupported, "RoPE scaling type '" + *type + "'",
                       keys.key("rope.scaling.type"));
    const float factor = keys.real("rope.scaling.factor").value_or(1.0f);
    if (!(factor > 0))
      throw keys.error(Error::Kind::Format, "scaling factor must be positive", keys.key("rope.scaling.factor"));
    hp.rope_freq_scale = 1.0f / factor;
  }

  if (spec.swa_period > 0 || spec.uniform_window_from_key) {
    hp.sliding_window = keys.integer("attention.sliding_window").value_or(0);
    check_range(keys, "attention.sliding_window", hp.sliding_window, 0, INT32_MAX);
  }
  hp.layer_is_local = local_layers(keys, spec, hp);

  if (spec.attn_softcap.enabled)
    hp.attn_softcap = keys.real("attn_logit_softcapping").value_or(spec.attn_softcap.default_cap);
  if (spec.final_softcap.enabled)
    hp.final_softcap = keys.real("final_logit_softcapping").value_or(spec.final_softcap.default_cap);
  if (hp.attn_softcap < 0 || hp.final_softcap < 0)
    throw keys.error(Error::Kind::Format, "negative soft-cap", keys.key("attn_logit_softcapping"));

  hp.query_scale = spec.query_scale ? spec.query_scale(hp) : float(1.0 / std::sqrt(double(hp.head_dim)));
  hp.embed_scale = spec.embed_scale_sqrt_d ? std::sqrt(float(hp.n_embd)) : 1.0f;
  return hp;
}

}  // namespace slm::model
