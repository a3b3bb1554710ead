// Prefill attention (attention_block) of every SIMD level against the scalar single-query
// reference applied token by token, with each token's visible range computed as the KV cache
// computes it (causal, optionally windowed, ring rows). Covers F32 and F16 caches, ring wrap,
// sliding windows shorter and longer than the context, soft-cap, head_dim 8..256 (every column
// tail of the 8- and 16-lane P.V tiles), n_q 1..8, token counts that leave ragged row tiles,
// spans of several staged key chunks, broad and peaked weights. Outputs are convex combinations
// of V rows, so the bound is absolute: 2e-5 * max|v|.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/formats/float.hpp"
#include "kernels/kernels.hpp"
#include "kernels/ref/ref.hpp"
#include "simd_levels.hpp"
#include "slm/error.hpp"

namespace slm::kernels {
namespace {

struct Case {
  std::int64_t n_tok, n_q, head_dim, pos0, window, ring;
  float softcap;
};

struct Cache {
  std::vector<std::uint8_t> k, v;
  std::size_t stride;
  float vmax = 0;
};

Cache random_cache(DType type, std::int64_t rows, std::int64_t d, std::mt19937& rng) {
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const std::size_t esize = type == DType::F32 ? 4 : 2;
  Cache c;
  c.stride = static_cast<std::size_t>(d) * esize + 32;  // padded rows, as KV heads interleave
  c.k.resize(c.stride * static_cast<std::size_t>(rows));
  c.v.resize(c.k.size());
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t i = 0; i < d; ++i) {
      const float kf = nd(rng) * 2.0f, vf = nd(rng);
      c.vmax = std::fmax(c.vmax, std::fabs(vf));
      std::uint8_t* kp = c.k.data() + static_cast<std::size_t>(r) * c.stride + static_cast<std::size_t>(i) * esize;
      std::uint8_t* vp = c.v.data() + static_cast<std::size_t>(r) * c.stride + static_cast<std::size_t>(i) * esize;
      if (type == DType::F32) {
        std::memcpy(kp, &kf, 4);
        std::memcpy(vp, &vf, 4);
      } else {
        const std::uint16_t kh = formats::f32_to_fp16(kf), vh = formats::f32_to_fp16(vf);
        std::memcpy(kp, &kh, 2);
        std::memcpy(vp, &vh, 2);
      }
    }
  return c;
}

// The reference: the scalar single-query kernel, one token of the block at a time.
void reference_block(const Case& c, const Cache& cache, DType kv_type, const float* q, std::int64_t stride, float scale,
                     float* out) {
  std::vector<float> scratch(static_cast<std::size_t>(c.n_q * (c.pos0 + c.n_tok)));
  for (std::int64_t t = 0; t < c.n_tok; ++t) {
    const std::int64_t p = c.pos0 + t;
    const std::int64_t start = c.window > 0 ? std::max<std::int64_t>(0, p - c.window + 1) : 0;
    ref::AttentionArgs a{q + t * stride, c.n_q, c.head_dim, cache.k.data(), cache.v.data(), kv_type,
                         cache.stride, start % c.ring, p - start + 1, c.ring, scale, c.softcap,
                         out + t * stride, scratch.data()};
    ref::attention(a);
  }
}

class SimdAttentionBlock : public testing::TestWithParam<Isa> {
 protected:
  const KernelTable& simd() const { return kernels_for(GetParam()); }

  // The block kernel against the reference on case c, for broad and peaked weights (q magnitude
  // 1 and 6: the online softmax's running max then changes often) and both cache types.
  void check(const Case& c) {
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (float qmag : {1.0f, 6.0f})
      for (DType kv_type : {DType::F32, DType::F16}) {
        const Cache cache = random_cache(kv_type, c.ring, c.head_dim, rng_);
        const std::int64_t row_len = c.n_q * c.head_dim, stride = row_len + 8;  // padded token rows
        std::vector<float> q(static_cast<std::size_t>(c.n_tok * stride));
        for (auto& x : q) x = qmag * nd(rng_);
        const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
        const float kCanary = 12345.0f;
        std::vector<float> want(q.size(), kCanary), got(q.size(), kCanary);
        reference_block(c, cache, kv_type, q.data(), stride, scale, want.data());
        const std::int64_t lo = c.window > 0 ? std::max<std::int64_t>(0, c.pos0 - c.window + 1) : 0;
        std::vector<float> s2(attention_block_scratch(c.n_tok, c.n_q, c.head_dim, c.pos0 + c.n_tok - lo));
        AttentionBlockArgs b{q.data(), stride, c.n_tok, c.n_q, c.head_dim, cache.k.data(), cache.v.data(), kv_type,
                             cache.stride, c.pos0, c.window, c.ring, scale, c.softcap, got.data(), stride, s2.data()};
        simd().attention_block(b);
        for (std::size_t i = 0; i < q.size(); ++i) {
          if (std::int64_t(i) % stride >= row_len) {
            ASSERT_EQ(got[i], kCanary) << "wrote outside the output rows at " << i;
            continue;
          }
          ASSERT_NEAR(got[i], want[i], 2e-5f * cache.vmax)
              << "q x" << qmag << " kv " << dtype_name(kv_type) << " n_tok " << c.n_tok << " n_q " << c.n_q
              << " dim " << c.head_dim << " pos0 " << c.pos0 << " window " << c.window << " at token "
              << std::int64_t(i) / stride << " elem " << std::int64_t(i) % stride;
        }
      }
  }

  std::mt19937 rng_{11};
};

TEST_P(SimdAttentionBlock, MatchesSingleQueryReferencePerToken) {
  const Case cases[] = {
      {1, 1, 64, 0, 0, 1000, 0.f},      // one token, one key
      {7, 4, 256, 0, 0, 512, 0.f},      // Gemma 3 shape from position 0: a causal triangle
      {8, 4, 256, 300, 0, 512, 0.f},    // later block, span of 308 keys (10 chunks)
      {13, 3, 64, 50, 20, 32, 30.f},    // sliding window, ring of window + n_tok - 1 that wraps
      {5, 8, 128, 10, 512, 600, 0.f},   // window longer than the context so far
      {9, 1, 24, 3, 4, 12, 50.f},       // tiny window, head_dim with an 8-column tail
      {33, 2, 8, 100, 0, 200, 0.f},     // many tokens, head_dim 8
      {6, 7, 136, 40, 16, 21, 0.f},     // 7 heads (ragged row tiles), 16-column tail, exact ring
      {4, 5, 80, 2000, 0, 4096, 30.f},  // long span (63 chunks), 8-column tail
      {3, 2, 256, 1023, 512, 514, 0.f}, // window-limited span crossing the ring's end
      {5, 2, 96, 70, 0, 128, 0.f},      // 16-lane column tiles: 4 + a tail of 2 vectors
      {4, 3, 112, 33, 8, 11, 30.f},     // 4 + a tail of 3 vectors; window 8, ring of 11
  };
  for (const Case& c : cases) check(c);
}

// One token (decode) has its own path: row tiles of 4, 2, 1 and 3-as-4 rows, key tiles whose
// last one overhangs the chunk, keys read straight from the cache.
TEST_P(SimdAttentionBlock, DecodeMatchesSingleQueryReference) {
  const Case cases[] = {
      {1, 4, 64, 4095, 0, 4096, 0.f},    // Llama 3.2 1B at 4096 keys (128 chunks)
      {1, 7, 64, 700, 0, 1024, 0.f},     // Qwen2 0.5B: row tiles of 4 and 3
      {1, 8, 256, 40, 0, 64, 30.f},      // Gemma 2B (MQA, 8 heads), soft-capped; 41 keys
      {1, 4, 256, 900, 512, 512, 0.f},   // Gemma 3 local layer: window 512 in a ring that wraps
      {1, 3, 128, 17, 0, 18, 0.f},       // SmolLM2: 3 heads per KV head, one partial key tile
      {1, 2, 80, 33, 5, 9, 50.f},        // 2 rows, 8-column tail, tiny window and ring
      {1, 1, 24, 2, 0, 3, 0.f},          // 1 row, 3 keys, head_dim 24
      {1, 5, 136, 100, 0, 101, 0.f},     // 4 + 1 rows, 16-column tail, exact ring
      {1, 6, 48, 64, 0, 65, 0.f},        // 4 + 2 rows; two whole chunks and one key
  };
  for (const Case& c : cases) check(c);
}

// A key a row may not see has weight 0, but its V row must not be read into that row either:
// 0 * NaN is NaN. The last token's V row is NaN; the earlier tokens' outputs must stay the
// reference's (finite), whatever tokens share a row tile.
TEST_P(SimdAttentionBlock, LaterTokensNonFiniteValuesDoNotReachEarlierRows) {
  const Case cases[] = {{7, 1, 64, 0, 0, 64, 0.f}, {6, 2, 32, 10, 0, 64, 0.f}, {5, 3, 48, 20, 4, 32, 30.f}};
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (const Case& c : cases) {
    Cache cache = random_cache(DType::F32, c.ring, c.head_dim, rng_);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const std::int64_t last = (c.pos0 + c.n_tok - 1) % c.ring;
    for (std::int64_t i = 0; i < c.head_dim; ++i)
      std::memcpy(cache.v.data() + static_cast<std::size_t>(last) * cache.stride + static_cast<std::size_t>(i) * 4, &nan, 4);
    const std::int64_t stride = c.n_q * c.head_dim;
    std::vector<float> q(static_cast<std::size_t>(c.n_tok * stride));
    for (auto& x : q) x = nd(rng_);
    const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
    std::vector<float> want(q.size()), got(q.size());
    reference_block(c, cache, DType::F32, q.data(), stride, scale, want.data());
    const std::int64_t lo = c.window > 0 ? std::max<std::int64_t>(0, c.pos0 - c.window + 1) : 0;
    std::vector<float> scratch(attention_block_scratch(c.n_tok, c.n_q, c.head_dim, c.pos0 + c.n_tok - lo));
    AttentionBlockArgs b{q.data(), stride, c.n_tok, c.n_q, c.head_dim, cache.k.data(), cache.v.data(), DType::F32,
                         cache.stride, c.pos0, c.window, c.ring, scale, c.softcap, got.data(), stride, scratch.data()};
    simd().attention_block(b);
    for (std::int64_t i = 0; i < (c.n_tok - 1) * stride; ++i) {
      ASSERT_TRUE(std::isfinite(want[std::size_t(i)]));
      ASSERT_NEAR(got[std::size_t(i)], want[std::size_t(i)], 2e-5f * cache.vmax)
          << "n_tok " << c.n_tok << " n_q " << c.n_q << " at token " << i / stride;
    }
    EXPECT_TRUE(std::isnan(got[std::size_t((c.n_tok - 1) * stride)]));  // the last token sees its own NaN
  }
}

TEST_P(SimdAttentionBlock, RejectsUnsupportedCacheAndShortRing) {
  std::vector<float> q(64 * 4), out(q.size()), scratch(attention_block_scratch(4, 1, 64, 8)), kv(64 * 16);
  AttentionBlockArgs a{q.data(), 64, 4, 1, 64, kv.data(), kv.data(), DType::Q8_0, 256, 4, 0, 16, 1.0f, 0.0f,
                       out.data(), 64, scratch.data()};
  EXPECT_THROW(simd().attention_block(a), slm::Error);
  a.kv_type = DType::F32;
  a.ring = 7;  // the block spans positions 0..7: 8 rows needed
  EXPECT_THROW(simd().attention_block(a), slm::Error);
  a.ring = 8;
  EXPECT_NO_THROW(simd().attention_block(a));
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SimdAttentionBlock);
INSTANTIATE_TEST_SUITE_P(Levels, SimdAttentionBlock, testing::ValuesIn(test::simd_levels()), test::level_name);

}  // namespace
}  // namespace slm::kernels
