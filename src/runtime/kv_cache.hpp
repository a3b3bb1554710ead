#pragma once
// Per-layer key/value cache of one session.
//
// Layer layout: [n_head_kv][rows][head_dim] elements of F32 or F16: one KV head's keys are
// contiguous rows of head_dim elements (what kernels::attention_block reads), so attending
// streams through memory. (Rows of [n_head_kv][head_dim], the order the projections produce,
// made each head read 128 of every 1024 bytes on Llama 3.2 1B, which the hardware prefetchers
// did not follow: decode at 4096 tokens of context ran at 0.75x llama.cpp; docs/performance.md.)
// Position p lives in row p % rows:
//  - global layers: rows = n_ctx, so the modulo never wraps;
//  - sliding-window layers (window W): a ring of rows = min(n_ctx, W + n_batch - 1). A batch
//    writes all its keys before attending, and its first query still needs the W - 1 keys
//    before it, so the ring holds W - 1 + n_batch positions.

#include <cstdint>
#include <vector>

#include "kernels/kernels.hpp"
#include "slm/arch.hpp"
#include "util/pages.hpp"

namespace slm::runtime {

struct KvSpan {  // the keys a query at some position attends to
  std::int64_t first;  // cache row of the oldest key
  std::int64_t n_kv;   // number of keys
  std::int64_t ring;   // rows wrap modulo ring
};

class KvCache {
 public:
  KvCache(const HParams& hp, std::int64_t n_ctx, std::int64_t n_batch, kernels::DType type);

  // Stores k, v ([n_head_kv * head_dim] floats each) of position pos in layer il.
  void store(std::int64_t il, std::int64_t pos, const float* k, const float* v);
  // Keys visible to a query at position pos (causal; windowed on sliding-window layers).
  KvSpan visible(std::int64_t il, std::int64_t pos) const;

  // Rows of KV head g in layer il (row_bytes() apart).
  const void* keys(std::int64_t il, std::int64_t g) const { return head(layers_[std::size_t(il)].k, il, g); }
  const void* values(std::int64_t il, std::int64_t g) const { return head(layers_[std::size_t(il)].v, il, g); }
  std::size_t row_bytes() const { return row_bytes_; }       // bytes of one head's row
  kernels::DType type() const { return type_; }
  std::int64_t max_rows() const { return max_rows_; }        // largest ring over layers
  std::size_t bytes() const;                                 // total allocation

 private:
  struct Layer {
    // [n_head_kv][rows][head_dim] of type_, resident only where written: a session sized for a
    // long context costs memory as its tokens arrive, not up front.
    util::Pages k, v;
    std::int64_t rows = 0;
    std::int64_t window = 0;  // 0: global
  };
  const std::uint8_t* head(const util::Pages& p, std::int64_t il, std::int64_t g) const {
    return p.data() + std::size_t(g) * std::size_t(layers_[std::size_t(il)].rows) * row_bytes_;
  }

  kernels::DType type_;
  std::int64_t n_head_kv_, head_dim_;
  std::size_t row_bytes_;
  std::int64_t max_rows_ = 0;
  std::vector<Layer> layers_;
};

}  // namespace slm::runtime
