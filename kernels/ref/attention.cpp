#include <cstring>

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

}  // namespace slm::kernels::ref
