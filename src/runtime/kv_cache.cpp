#include "runtime/kv_cache.hpp"

#include <algorithm>
#include <cstring>

namespace slm::runtime {

KvCache::KvCache(const HParams& hp, std::int64_t n_ctx, std::int64_t n_batch, kernels::DType type)
    : type_(type),
      n_head_kv_(hp.n_head_kv),
      head_dim_(hp.head_dim),
      row_bytes_(kernels::row_bytes(type, hp.head_dim)) {
  layers_.reserve(std::size_t(hp.n_layer));
  for (std::int64_t il = 0; il < hp.n_layer; ++il) {
    const bool local = hp.layer_is_local[std::size_t(il)] && hp.sliding_window > 0;
    const std::int64_t rows = local ? std::min(n_ctx, hp.sliding_window + n_batch - 1) : n_ctx;
    const std::size_t bytes = std::size_t(n_head_kv_) * std::size_t(rows) * row_bytes_;
    layers_.push_back(Layer{util::Pages(bytes), util::Pages(bytes), rows, local ? hp.sliding_window : 0});
    max_rows_ = std::max(max_rows_, rows);
  }
}

void KvCache::store(std::int64_t il, std::int64_t pos, const float* k, const float* v) {
  Layer& l = layers_[std::size_t(il)];
  for (std::int64_t g = 0; g < n_head_kv_; ++g) {
    const std::size_t off = (std::size_t(g) * std::size_t(l.rows) + std::size_t(pos % l.rows)) * row_bytes_;
    const float* kg = k + g * head_dim_;
    const float* vg = v + g * head_dim_;
    if (type_ == kernels::DType::F32) {
      std::memcpy(l.k.data() + off, kg, row_bytes_);
      std::memcpy(l.v.data() + off, vg, row_bytes_);
    } else {
      kernels::quantize_row(type_, kg, l.k.data() + off, head_dim_);
      kernels::quantize_row(type_, vg, l.v.data() + off, head_dim_);
    }
  }
}

KvSpan KvCache::visible(std::int64_t il, std::int64_t pos) const {
  const Layer& l = layers_[std::size_t(il)];
  const std::int64_t start = l.window > 0 ? std::max<std::int64_t>(0, pos - l.window + 1) : 0;
  return KvSpan{start % l.rows, pos - start + 1, l.rows};
}

std::size_t KvCache::bytes() const {
  std::size_t n = 0;
  for (const Layer& l : layers_) n += l.k.size() + l.v.size();
  return n;
}

}  // namespace slm::runtime
