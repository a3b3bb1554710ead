// Binding tensor names to typed views, with every shape and type checked at load.
#include "model/weights.hpp"

#include <cstring>
#include <string>

#include "slm/error.hpp"

namespace slm::model {
namespace {

std::string dims(const std::vector<std::int64_t>& d) {
  std::string s = "[";
  for (std::size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

class Binder {
 public:
  Binder(const gguf::File& f, Weights& w) : f_(f), w_(w) {}

  const gguf::TensorInfo* find(const std::string& name) const { return f_.find_tensor(name); }

  const gguf::TensorInfo& require(const std::string& name) const {
    const gguf::TensorInfo* t = f_.find_tensor(name);
    if (!t) throw Error(Error::Kind::Format, "missing tensor", f_.path(), name);
    return *t;
  }

  void check_shape(const gguf::TensorInfo& t, const std::vector<std::int64_t>& expected) const {
    std::vector<std::int64_t> actual(t.ne, t.ne + (t.n_dims > 0 ? t.n_dims : 1));
    std::vector<std::int64_t> padded = expected;
    padded.resize(actual.size() > expected.size() ? actual.size() : expected.size(), 1);
    actual.resize(padded.size(), 1);
    if (actual != padded)
      throw Error(Error::Kind::Shape, "expected shape " + dims(expected) + ", got " + dims(actual), f_.path(),
                  t.name, f_.data_offset() + t.offset);
  }

  kernels::Matrix matrix(const std::string& name, std::int64_t k, std::int64_t n_rows) const {
    return matrix(require(name), k, n_rows);
  }
  kernels::Matrix matrix(const gguf::TensorInfo& t, std::int64_t k, std::int64_t n_rows) const {
    check_shape(t, {k, n_rows});
    const auto& info = kernels::dtype_info(t.type);
    if (!info.supported || t.type == kernels::DType::Q8_K)
      throw Error(Error::Kind::Unsupported, "tensor type " + std::string(info.name) + " not supported for matmul",
                  f_.path(), t.name, f_.data_offset() + t.offset);
    if (k % info.block_elems != 0)
      throw Error(Error::Kind::Shape, "row length not a multiple of the block size", f_.path(), t.name);
    return kernels::Matrix{t.type, f_.tensor_data(t).data(), k, n_rows, kernels::row_bytes(t.type, k)};
  }

  // An F32 vector [n]; other float types are converted once into owned storage.
  const float* vector(const std::string& name, std::int64_t n) const { return vector(require(name), n); }
  const float* vector(const gguf::TensorInfo& t, std::int64_t n) const {
    check_shape(t, {n});
    const auto bytes = f_.tensor_data(t);
    if (t.type == kernels::DType::F32) {
      // The GGUF data section is aligned (>= 8) and so is every tensor offset.
      if (reinterpret_cast<std::uintptr_t>(bytes.data()) % alignof(float) == 0)
        return reinterpret_cast<const float*>(bytes.data());
    } else if (t.type != kernels::DType::F16 && t.type != kernels::DType::BF16) {
      throw Error(Error::Kind::Unsupported,
                  "vector tensor of type " + std::string(kernels::dtype_name(t.type)) + " (expected F32)",
                  f_.path(), t.name);
    }
    auto owned = std::make_unique<float[]>(std::size_t(n));
    if (t.type == kernels::DType::F32)
      std::memcpy(owned.get(), bytes.data(), std::size_t(n) * sizeof(float));
    else
      kernels::dequantize_row(t.type, bytes.data(), owned.get(), n);
    w_.converted.push_back(std::move(owned));
    return w_.converted.back().get();
  }
  const float* optional_vector(const std::string& name, std::int64_t n) const {
    const gguf::TensorInfo* t = find(name);
    return t ? vector(*t, n) : nullptr;
  }

 private:
  const gguf::File& f_;
  Weights& w_;
};

}  // namespace

Weights bind_weights(const gguf::File& file, const ArchSpec& spec, HParams& hp) {
  Weights w;
  Binder b(file, w);
  const std::int64_t d = hp.n_embd, hd = hp.head_dim;
  const std::int64_t q_dim = hp.n_head * hd, kv_dim = hp.n_head_kv * hd;

  const gguf::TensorInfo& embd = b.require("token_embd.weight");
  hp.n_vocab = embd.n_dims >= 2 ? embd.ne[1] : 0;
  if (hp.n_vocab < 1)
    throw Error(Error::Kind::Shape, "token_embd has no rows", file.path(), "token_embd.weight");
  w.token_embd = b.matrix(embd, d, hp.n_vocab);
  w.output_norm = b.vector("output_norm.weight", d);
  if (const gguf::TensorInfo* out = b.find("output.weight")) {
    w.output = b.matrix(*out, d, hp.n_vocab);
  } else {
    w.output = w.token_embd;  // tied embeddings: the LM head is token_embd
    w.tied_output = true;
  }
  if (spec.rope_freqs_tensor) w.rope_freqs = b.optional_vector("rope_freqs.weight", hp.n_rot / 2);

  w.layers.resize(std::size_t(hp.n_layer));
  for (std::int64_t il = 0; il < hp.n_layer; ++il) {
    LayerWeights& l = w.layers[std::size_t(il)];
    const std::string p = "blk." + std::to_string(il) + ".";
    l.attn_norm = b.vector(p + "attn_norm.weight", d);
    l.wq = b.matrix(p + "attn_q.weight", d, q_dim);
    l.wk = b.matrix(p + "attn_k.weight", d, kv_dim);
    l.wv = b.matrix(p + "attn_v.weight", d, kv_dim);
    if (spec.qkv_bias) {
      l.bq = b.vector(p + "attn_q.bias", q_dim);
      l.bk = b.vector(p + "attn_k.bias", kv_dim);
      l.bv = b.vector(p + "attn_v.bias", kv_dim);
    }
    if (spec.qk_norm) {
      l.q_norm = b.vector(p + "attn_q_norm.weight", hd);
      l.k_norm = b.vector(p + "attn_k_norm.weight", hd);
    }
    l.wo = b.matrix(p + "attn_output.weight", q_dim, d);
    if (spec.post_attn_norm) l.post_attn_norm = b.vector(p + "post_attention_norm.weight", d);
    l.ffn_norm = b.vector(p + "ffn_norm.weight", d);
    l.gate = b.matrix(p + "ffn_gate.weight", d, hp.n_ff);
    l.up = b.matrix(p + "ffn_up.weight", d, hp.n_ff);
    l.down = b.matrix(p + "ffn_down.weight", hp.n_ff, d);
    if (spec.post_ffn_norm) l.post_ffn_norm = b.vector(p + "post_ffw_norm.weight", d);
  }
  return w;
}

std::vector<std::span<const std::uint8_t>> decode_read_ranges(const Weights& w) {
  std::vector<std::span<const std::uint8_t>> out;
  const auto add = [&](const kernels::Matrix& m) {
    if (m.data) out.emplace_back(static_cast<const std::uint8_t*>(m.data), std::size_t(m.n_rows) * m.row_stride);
  };
  for (const LayerWeights& l : w.layers)
    for (const kernels::Matrix* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.gate, &l.up, &l.down}) add(*m);
  add(w.output);  // token_embd when tied
  return out;
}

}  // namespace slm::model
