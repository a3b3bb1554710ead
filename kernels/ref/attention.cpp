#include <algorithm>
#include <cstring>
#include <string>

#include "kernels/formats/float.hpp"
#include "kernels/ref/ref.hpp"
#include "slm/error.hpp"

namespace slm::kernels::ref {
namespace {

// Element i of cache row `row` as float (F32 or F16 cache).
inline float kv_at(const void* base, DType t, std::size_t stride, std::int64_t row, std::int64_t i) {
  const auto* p = static_cast<const unsigned char*>(base) + static_cast<std::size_t>(row) * stride;
  if (t == DType::F16) return formats::load_fp16(p + 2 * i);
  float v;
  std::memcpy(&v, p + 4 * i, 4);
  return v;
}

}  // namespace

// For each query head: scores over the n_kv keys, softmax (with soft-cap), weighted sum of V.
void attention(const AttentionArgs& a) {
  if (a.kv_type != DType::F32 && a.kv_type != DType::F16)
    throw Error(Error::Kind::Unsupported, "attention: KV cache type " + std::string(dtype_name(a.kv_type)) +
                                              " (only F32 and F16)");
  if (a.n_kv <= 0 || a.ring <= 0)
    throw Error(Error::Kind::Argument, "attention: needs at least one key and a positive ring size");
  for (std::int64_t h = 0; h < a.n_q; ++h) {
    const float* q = a.q + h * a.head_dim;
    float* s = a.scratch + h * a.n_kv;
    for (std::int64_t j = 0; j < a.n_kv; ++j) {
      const std::int64_t row = (a.first + j) % a.ring;
      double dot = 0.0;
      for (std::int64_t i = 0; i < a.head_dim; ++i) dot += static_cast<double>(q[i]) * kv_at(a.k, a.kv_type, a.kv_row_stride, row, i);
      s[j] = a.scale * static_cast<float>(dot);
    }
    softmax(s, a.n_kv, a.softcap);
    float* o = a.out + h * a.head_dim;
    for (std::int64_t i = 0; i < a.head_dim; ++i) {
      double acc = 0.0;
      for (std::int64_t j = 0; j < a.n_kv; ++j)
        acc += static_cast<double>(s[j]) * kv_at(a.v, a.kv_type, a.kv_row_stride, (a.first + j) % a.ring, i);
      o[i] = static_cast<float>(acc);
    }
  }
}

// The block form is defined as the single-query kernel applied to each token in turn.
void attention_block(const AttentionBlockArgs& a) {
  if (a.n_tok < 0 || a.n_q < 0 || a.pos0 < 0 || a.window < 0)
    throw Error(Error::Kind::Argument, "attention_block: negative token count, head count, position or window");
  if (a.n_tok == 0) return;
  const std::int64_t last = a.pos0 + a.n_tok - 1;
  const std::int64_t lo = a.window > 0 ? std::max<std::int64_t>(0, a.pos0 - a.window + 1) : 0;
  if (a.ring < last - lo + 1)
    throw Error(Error::Kind::Argument, "attention_block: ring of " + std::to_string(a.ring) + " rows holds fewer than the " +
                                           std::to_string(last - lo + 1) + " key positions the block spans");
  for (std::int64_t t = 0; t < a.n_tok; ++t) {
    const std::int64_t p = a.pos0 + t;
    const std::int64_t start = a.window > 0 ? std::max<std::int64_t>(0, p - a.window + 1) : 0;
    AttentionArgs one{};
    one.q = a.q + t * a.q_stride;
    one.n_q = a.n_q;
    one.head_dim = a.head_dim;
    one.k = a.k;
    one.v = a.v;
    one.kv_type = a.kv_type;
    one.kv_row_stride = a.kv_row_stride;
    one.first = start % a.ring;
    one.n_kv = p - start + 1;
    one.ring = a.ring;
    one.scale = a.scale;
    one.softcap = a.softcap;
    one.out = a.out + t * a.out_stride;
    one.scratch = a.scratch;
    attention(one);
  }
}

}  // namespace slm::kernels::ref
