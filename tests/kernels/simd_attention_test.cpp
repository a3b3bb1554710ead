// SIMD attention of every level against the scalar reference: F32 and F16 caches, GQA groups
// larger and smaller than the kernel's head tile, ring-buffer wrap, soft-cap. Outputs are convex
// combinations of V rows, so the bound is absolute: 2e-5 * max|v| (scores differ from the
// double-accumulated reference by float rounding; exp/tanh by a few ulp).

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/formats/float.hpp"
#include "kernels/kernels.hpp"
#include "simd_levels.hpp"
#include "slm/error.hpp"

namespace slm::kernels {
namespace {

struct Case {
  std::int64_t n_q, head_dim, n_kv, ring, first;
  float softcap;
};

class SimdAttention : public testing::TestWithParam<Isa> {
 protected:
  const KernelTable& simd() const { return kernels_for(GetParam()); }
  std::mt19937 rng_{7};
};

TEST_P(SimdAttention, MatchesReference) {
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const Case cases[] = {{1, 64, 1, 1000, 0, 0.f},   {2, 64, 5, 1000, 3, 0.f},     {4, 128, 100, 1000, 10, 0.f},
                        {8, 256, 37, 40, 30, 50.f}, {9, 64, 64, 64, 63, 0.f},      {16, 32, 200, 256, 100, 30.f},
                        {3, 8, 17, 17, 5, 0.f},     {1, 24, 9, 1000, 0, 0.f}};
  for (DType kv_type : {DType::F32, DType::F16}) {
    for (const Case& c : cases) {
      const std::size_t esize = kv_type == DType::F32 ? 4 : 2;
      const std::size_t stride = static_cast<std::size_t>(c.head_dim) * esize + 16;  // padded rows
      std::vector<std::uint8_t> k(stride * static_cast<std::size_t>(c.ring)), v(k.size());
      float vmax = 0;
      for (std::int64_t r = 0; r < c.ring; ++r)
        for (std::int64_t i = 0; i < c.head_dim; ++i) {
          const float kf = nd(rng_) * 2.0f, vf = nd(rng_);
          vmax = std::fmax(vmax, std::fabs(vf));
          std::uint8_t* kp = k.data() + r * stride + i * esize;
          std::uint8_t* vp = v.data() + r * stride + i * esize;
          if (kv_type == DType::F32) {
            std::memcpy(kp, &kf, 4);
            std::memcpy(vp, &vf, 4);
          } else {
            const std::uint16_t kh = formats::f32_to_fp16(kf), vh = formats::f32_to_fp16(vf);
            std::memcpy(kp, &kh, 2);
            std::memcpy(vp, &vh, 2);
          }
        }
      std::vector<float> q(static_cast<std::size_t>(c.n_q * c.head_dim));
      for (auto& x : q) x = nd(rng_);
      std::vector<float> want(q.size()), got(q.size()), s1(static_cast<std::size_t>(c.n_q * c.n_kv)), s2(s1.size());
      AttentionArgs a{q.data(), c.n_q, c.head_dim, k.data(), v.data(), kv_type, stride, c.first, c.n_kv, c.ring,
                      1.0f / std::sqrt(static_cast<float>(c.head_dim)), c.softcap, want.data(), s1.data()};
      kernels_for(Isa::Scalar).attention(a);
      a.out = got.data();
      a.scratch = s2.data();
      simd().attention(a);
      for (std::size_t i = 0; i < q.size(); ++i)
        ASSERT_NEAR(got[i], want[i], 2e-5f * vmax) << "kv " << dtype_name(kv_type) << " n_q " << c.n_q << " dim "
                                                   << c.head_dim << " n_kv " << c.n_kv << " at " << i;
    }
  }
}

TEST_P(SimdAttention, RejectsUnsupportedCache) {
  std::vector<float> q(64), out(64), scratch(4), kv(256);
  AttentionArgs a{q.data(), 1, 64, kv.data(), kv.data(), DType::Q8_0, 256, 0, 1, 4, 1.0f, 0.0f, out.data(), scratch.data()};
  EXPECT_THROW(simd().attention(a), slm::Error);
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SimdAttention);
INSTANTIATE_TEST_SUITE_P(Levels, SimdAttention, testing::ValuesIn(test::simd_levels()), test::level_name);

}  // namespace
}  // namespace slm::kernels
