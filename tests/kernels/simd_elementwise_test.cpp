// Element-wise SIMD kernels of every level this CPU supports against the scalar reference
// (kernels_for(Isa::Scalar)). Tolerances: add/scale exact; rmsnorm/rope 2e-6 relative (only
// summation order and FMA contraction differ); softmax, SiLU, GELU 2e-6 relative plus an absolute
// term scaled to the inputs (xsimd's exp/tanh are within a few ulp of libm's, and GELU of very
// negative inputs cancels: 1 + tanh(..) loses all relative precision in both implementations).

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/formats/float.hpp"
#include "kernels/kernels.hpp"
#include "simd_levels.hpp"

namespace slm::kernels {
namespace {

using test::expect_close;

const KernelTable& scalar() { return kernels_for(Isa::Scalar); }

const std::vector<std::int64_t> kLengths = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 63, 100, 257, 1000, 4099};

// Random values, then some edges mixed in: zeros, denormals, large magnitudes.
std::vector<float> inputs(std::int64_t n, std::mt19937& rng, float scale = 3.0f, bool edges = true) {
  std::normal_distribution<float> nd(0.0f, scale);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = nd(rng);
  if (edges && n >= 8) {
    v[0] = 0.0f;
    v[1] = -0.0f;
    v[2] = 1e-40f;   // denormal
    v[3] = -3e-39f;  // denormal
    v[n / 2] = 80.0f;
    v[n - 1] = -80.0f;
  }
  return v;
}

class SimdElementwise : public testing::TestWithParam<Isa> {
 protected:
  const KernelTable& simd() const { return kernels_for(GetParam()); }
  std::mt19937 rng_{1234};
};

TEST_P(SimdElementwise, TableIsTheRequestedLevel) { EXPECT_EQ(simd().isa, GetParam()); }

TEST_P(SimdElementwise, AddAndScaleAreExact) {
  for (std::int64_t n : kLengths) {
    auto a = inputs(n, rng_, 1e30f), b = inputs(n, rng_, 1e30f);
    std::vector<float> want(a.size()), got(a.size());
    scalar().add(a.data(), b.data(), n, want.data());
    simd().add(a.data(), b.data(), n, got.data());
    expect_close(got.data(), want.data(), n, 0.f, 0.f, "add n=" + std::to_string(n));
    scalar().scale(a.data(), -0.37f, n, want.data());
    simd().scale(a.data(), -0.37f, n, got.data());
    expect_close(got.data(), want.data(), n, 0.f, 0.f, "scale n=" + std::to_string(n));
    // In place (y aliases x).
    simd().add(a.data(), b.data(), n, a.data());
    scalar().add(got.data(), b.data(), 0, want.data());  // no-op with n = 0 must not crash
  }
}

TEST_P(SimdElementwise, RmsnormMatchesReference) {
  for (std::int64_t n : kLengths) {
    for (float mag : {1.0f, 1e-20f, 1e18f}) {
      auto x = inputs(n, rng_, mag, mag == 1.0f), w = inputs(n, rng_, 1.0f, false);
      std::vector<float> want(x.size()), got(x.size());
      const float* const weights[] = {w.data(), nullptr};
      for (const float* wp : weights) {
        scalar().rmsnorm(x.data(), wp, 1e-6f, n, want.data());
        simd().rmsnorm(x.data(), wp, 1e-6f, n, got.data());
        expect_close(got.data(), want.data(), n, 2e-6f, 0.f, "rmsnorm n=" + std::to_string(n));
      }
    }
    std::vector<float> zeros(static_cast<std::size_t>(n), 0.0f), want(zeros.size()), got(zeros.size());
    scalar().rmsnorm(zeros.data(), nullptr, 1e-5f, n, want.data());
    simd().rmsnorm(zeros.data(), nullptr, 1e-5f, n, got.data());
    expect_close(got.data(), want.data(), n, 0.f, 0.f, "rmsnorm zeros");
  }
}

TEST_P(SimdElementwise, RopeBothLayoutsMatchReference) {
  std::uniform_real_distribution<float> ud(0.0f, 1.0f);
  struct Shape {
    std::int64_t heads, head_dim, n_rot;
  };
  for (Shape s : {Shape{1, 2, 2}, Shape{3, 64, 64}, Shape{4, 128, 128}, Shape{2, 256, 256}, Shape{5, 80, 32},
                  Shape{2, 96, 96}, Shape{1, 1024, 1024}, Shape{3, 18, 14}}) {
    std::vector<float> inv(static_cast<std::size_t>(s.n_rot / 2));
    for (std::size_t i = 0; i < inv.size(); ++i) inv[i] = std::pow(10000.0f, -2.0f * i / s.n_rot) * (0.5f + ud(rng_));
    for (RopeLayout layout : {RopeLayout::Adjacent, RopeLayout::Neox}) {
      for (float pos : {0.0f, 1.0f, 17.0f, 4095.0f}) {
        auto x = inputs(s.heads * s.head_dim, rng_, 1.0f, false);
        auto want = x, got = x;
        scalar().rope(layout, want.data(), s.heads, s.head_dim, s.n_rot, pos, inv.data());
        simd().rope(layout, got.data(), s.heads, s.head_dim, s.n_rot, pos, inv.data());
        for (std::size_t i = 0; i < x.size(); ++i)  // rotation keeps magnitudes ~1: absolute bound
          ASSERT_NEAR(got[i], want[i], 2e-6f * (1.0f + std::fabs(want[i])))
              << "rope layout " << static_cast<int>(layout) << " heads " << s.heads << " dim " << s.head_dim
              << " rot " << s.n_rot << " pos " << pos << " at " << i;
      }
    }
  }
}

TEST_P(SimdElementwise, SoftmaxMatchesReference) {
  for (std::int64_t n : kLengths) {
    for (float cap : {0.0f, 50.0f, 30.0f}) {
      auto x = inputs(n, rng_, 4.0f);
      if (n >= 4) x[1] = -std::numeric_limits<float>::infinity();  // a masked entry
      auto want = x, got = x;
      scalar().softmax(want.data(), n, cap);
      simd().softmax(got.data(), n, cap);
      expect_close(got.data(), want.data(), n, 2e-5f, 1e-9f, "softmax n=" + std::to_string(n) + " cap=" + std::to_string(cap));
      if (n >= 4) {
        EXPECT_EQ(got[1], 0.0f);  // masked: exactly zero probability
      }
    }
  }
}

TEST_P(SimdElementwise, SoftcapMatchesReference) {
  for (std::int64_t n : kLengths) {
    for (float cap : {30.0f, 50.0f}) {
      auto x = inputs(n, rng_, 40.0f);
      if (n >= 8) {
        x[4] = 1e30f;  // saturates at +-cap
        x[5] = -1e30f;
      }
      auto want = x, got = x;
      scalar().softcap(want.data(), n, cap);
      simd().softcap(got.data(), n, cap);
      expect_close(got.data(), want.data(), n, 2e-6f, 1e-30f, "softcap n=" + std::to_string(n) + " cap=" + std::to_string(cap));
      if (n >= 8) {
        EXPECT_EQ(got[4], cap);
        EXPECT_EQ(got[5], -cap);
      }
    }
  }
}

TEST_P(SimdElementwise, SwigluAndGegluMatchReference) {
  for (std::int64_t n : kLengths) {
    auto g = inputs(n, rng_, 3.0f), u = inputs(n, rng_, 2.0f);
    if (n >= 8) {
      g[4] = 1e30f;
      g[5] = -1e30f;
      g[6] = -20.0f;
    }
    std::vector<float> want(g.size()), got(g.size());
    scalar().swiglu(g.data(), u.data(), n, want.data());
    simd().swiglu(g.data(), u.data(), n, got.data());
    for (std::int64_t i = 0; i < n; ++i)
      ASSERT_NEAR(got[i], want[i], 2e-6f * std::fabs(want[i]) + 1e-6f * std::fabs(u[i]) * 1e-6f) << "swiglu n=" << n << " i=" << i;
    scalar().geglu(g.data(), u.data(), n, want.data());
    simd().geglu(g.data(), u.data(), n, got.data());
    for (std::int64_t i = 0; i < n; ++i) {
      const float tol = 4e-6f * std::fabs(want[i]) + 2e-7f * std::fabs(g[i] * u[i]) + 1e-30f;
      ASSERT_NEAR(got[i], want[i], tol) << "geglu n=" << n << " i=" << i << " g=" << g[i];
    }
  }
}

TEST_P(SimdElementwise, GegluFp16IsBitIdentical) {
  // Every fp16 value as a gate (plus the +-10 cut-offs and values between fp16 neighbours),
  // then random gates; the table lookup must equal the reference exactly.
  std::vector<float> g, u;
  for (int i = 0; i < 65536; ++i) {
    const float h = formats::fp16_to_f32(static_cast<std::uint16_t>(i));
    if (std::isnan(h)) continue;
    g.push_back(h);
    g.push_back(std::nextafter(h, 0.0f));
  }
  for (float c : {-10.0f, 10.0f, std::nextafter(-10.0f, 0.0f), std::nextafter(10.0f, 0.0f), 1e30f, -1e30f}) g.push_back(c);
  auto extra = inputs(1001, rng_, 4.0f);
  g.insert(g.end(), extra.begin(), extra.end());
  u = inputs(static_cast<std::int64_t>(g.size()), rng_, 1.0f, false);
  const auto n = static_cast<std::int64_t>(g.size());
  std::vector<float> want(g.size()), got(g.size());
  scalar().geglu_fp16(g.data(), u.data(), n, want.data());
  simd().geglu_fp16(g.data(), u.data(), n, got.data());
  for (std::size_t i = 0; i < g.size(); ++i)
    ASSERT_EQ(std::memcmp(&got[i], &want[i], 4), 0) << "gate " << g[i] << ": " << got[i] << " vs " << want[i];
  // Odd tails too.
  simd().geglu_fp16(g.data(), u.data(), 13, got.data());
  for (int i = 0; i < 13; ++i) ASSERT_EQ(std::memcmp(&got[i], &want[i], 4), 0) << i;
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SimdElementwise);
INSTANTIATE_TEST_SUITE_P(Levels, SimdElementwise, testing::ValuesIn(test::simd_levels()), test::level_name);

}  // namespace
}  // namespace slm::kernels
