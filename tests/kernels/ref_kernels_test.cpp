// The kernels of every available level (the scalar reference first) against independent
// double-precision formulas written here, Eigen for the matrix products; and dispatch behaviour.

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/formats/float.hpp"
#include "kernels/kernels.hpp"
#include "kernels/ref/ref.hpp"
#include "random_blocks.hpp"
#include "slm/error.hpp"

namespace slm::kernels {
namespace {

// Every kernel test runs at every level the host supports, against the same independent
// formulas (the scalar reference is the level named "scalar").
class Kernels : public ::testing::TestWithParam<Isa> {
 protected:
  const KernelTable& kt() const { return kernels_for(GetParam()); }
};

std::vector<float> gaussian(std::int64_t n, unsigned seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, sigma);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = nd(rng);
  return v;
}

constexpr DType kWeightTypes[] = {DType::F32, DType::F16, DType::BF16, DType::Q4_0, DType::Q4_1,
                                  DType::Q5_0, DType::Q8_0, DType::Q4_K, DType::Q5_K, DType::Q6_K};

// ---------------------------------------------------------------- matmul_f32

// Y = W X with W dequantized by dequantize_row and the product done by Eigen in double.
TEST_P(Kernels, MatmulF32PathMatchesEigenForEveryWeightType) {
  std::mt19937 rng(1);
  for (DType t : kWeightTypes) {
    const std::int64_t be = dtype_info(t).block_elems;
    const std::int64_t k = be == 1 ? 67 : 3 * std::max<std::int64_t>(be, 32) * (be == 256 ? 1 : 4);  // odd k for floats
    for (std::int64_t n_rows : {1, 7}) {
      for (std::int64_t batch : {1, 3}) {
        const auto w = test::random_blocks(t, n_rows * k / be, rng);
        const std::size_t stride = row_bytes(t, k);
        Eigen::MatrixXd wd(n_rows, k);
        std::vector<float> row(static_cast<std::size_t>(k));
        for (std::int64_t r = 0; r < n_rows; ++r) {
          dequantize_row(t, w.data() + r * stride, row.data(), k);
          for (std::int64_t i = 0; i < k; ++i) wd(r, i) = row[i];
        }
        const auto x = gaussian(batch * k, 7);
        Eigen::MatrixXd xd(k, batch);
        for (std::int64_t b = 0; b < batch; ++b)
          for (std::int64_t i = 0; i < k; ++i) xd(i, b) = x[b * k + i];
        const Eigen::MatrixXd expect = wd * xd;
        const Eigen::MatrixXd mag = wd.cwiseAbs() * xd.cwiseAbs();

        const std::int64_t ldy = n_rows + 2;
        std::vector<float> y(static_cast<std::size_t>(batch * ldy), -999.0f);
        const Matrix m{t, w.data(), k, n_rows, stride};
        // Two calls over a split row range, as threads would do.
        const std::int64_t mid = n_rows / 2;
        kt().matmul_f32(m, x.data(), batch, y.data(), ldy, 0, mid);
        kt().matmul_f32(m, x.data(), batch, y.data(), ldy, mid, n_rows);
        for (std::int64_t b = 0; b < batch; ++b) {
          for (std::int64_t r = 0; r < n_rows; ++r)
            EXPECT_NEAR(y[b * ldy + r], expect(r, b), 1e-6 * mag(r, b) + 1e-30)
                << dtype_name(t) << " r=" << r << " b=" << b;
          EXPECT_EQ(y[b * ldy + n_rows], -999.0f) << "wrote past the row range";
        }
      }
    }
  }
}

TEST_P(Kernels, MatmulRejectsBadShapesAndTypes) {
  std::vector<std::uint8_t> w(34 * 4);
  std::vector<float> x(64), y(4);
  EXPECT_THROW(kt().matmul_f32(Matrix{DType::Q8_0, w.data(), 48, 2, 51}, x.data(), 1, y.data(), 2, 0, 2), Error);
  EXPECT_THROW(kt().matmul_f32(Matrix{DType::Q8_0, w.data(), 64, 2, 68}, x.data(), 1, y.data(), 2, 0, 3), Error);
  EXPECT_THROW(kt().matmul_f32(Matrix{DType::Q5_1, w.data(), 64, 2, 48}, x.data(), 1, y.data(), 2, 0, 2), Error);
}

// ---------------------------------------------------------------- matmul_q8

// The integer path must equal the float dot of the dequantized weights with the dequantized
// activations (up to float rounding), and differ from the exact float product by no more than
// the activation quantization error allows.
TEST_P(Kernels, MatmulIntegerPathMatchesDequantizedDot) {
  std::mt19937 rng(2);
  for (DType t : {DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q8_0, DType::Q4_K, DType::Q5_K, DType::Q6_K}) {
    const std::int64_t be = dtype_info(t).block_elems;
    const std::int64_t k = be * (be == 256 ? 3 : 9);
    const std::int64_t n_rows = 5, batch = 3;
    const std::size_t stride = row_bytes(t, k);
    const auto w = test::random_blocks(t, n_rows * k / be, rng);
    auto x = gaussian(batch * k, 11);
    x[5] = 40.0f;  // one outlier: coarse activation scale in its block
    const DType at = activation_type(t);
    ASSERT_NE(at, DType::F32);
    const std::size_t ab = act_row_bytes(t, k);
    ASSERT_EQ(ab, row_bytes(at, k));
    std::vector<std::uint8_t> xq(ab * batch);
    for (std::int64_t b = 0; b < batch; ++b) kt().quantize_activations(at, x.data() + b * k, k, xq.data() + b * ab);

    const Matrix m{t, w.data(), k, n_rows, stride};
    std::vector<float> yq(static_cast<std::size_t>(batch * n_rows)), yf(yq.size());
    kt().matmul_q8(m, xq.data(), batch, yq.data(), n_rows, 0, n_rows);
    kt().matmul_f32(m, x.data(), batch, yf.data(), n_rows, 0, n_rows);

    std::vector<float> wr(static_cast<std::size_t>(k)), xr(static_cast<std::size_t>(k));
    for (std::int64_t b = 0; b < batch; ++b) {
      dequantize_row(at, xq.data() + b * ab, xr.data(), k);
      for (std::int64_t r = 0; r < n_rows; ++r) {
        dequantize_row(t, w.data() + r * stride, wr.data(), k);
        double dot = 0.0, mag = 0.0, qbound = 0.0;
        for (std::int64_t i = 0; i < k; ++i) {
          dot += static_cast<double>(wr[i]) * xr[i];
          mag += std::fabs(static_cast<double>(wr[i]) * xr[i]);
        }
        // Activation error per element: at most half a step (max|x|/127 per 32 or 256 block)
        // plus the fp16 rounding of the stored scale (Q8_0/Q8_1) times 127.
        const std::int64_t ab_elems = at == DType::Q8_K ? 256 : 32;
        for (std::int64_t i0 = 0; i0 < k; i0 += ab_elems) {
          double amax = 0.0, wsum = 0.0;
          for (std::int64_t i = i0; i < i0 + ab_elems; ++i) {
            amax = std::max(amax, std::fabs(static_cast<double>(x[b * k + i])));
            wsum += std::fabs(static_cast<double>(wr[i]));
          }
          qbound += wsum * amax / 127.0 * (0.5 + (at == DType::Q8_K ? 1e-6 : 127.0 / 2048.0));
        }
        // Q8_1 stores s = d*sum(q) rounded to fp16, and the Q4_1 dot uses it for the minimum's
        // term: allow |m| * |s| * 2^-11 per block.
        double s_err = 0.0;
        if (t == DType::Q4_1)
          for (std::int64_t i = 0; i < k / 32; ++i) {
            const auto* wb = w.data() + r * stride + i * 20;
            const auto* xb = xq.data() + b * ab + i * 36;
            std::uint16_t m, s;
            std::memcpy(&m, wb + 2, 2);
            std::memcpy(&s, xb + 2, 2);
            s_err += std::fabs(formats::fp16_to_f32(m) * formats::fp16_to_f32(s)) / 2048.0;
          }
        EXPECT_NEAR(yq[b * n_rows + r], dot, 2e-6 * mag + s_err + 1e-6) << dtype_name(t) << " r=" << r;
        EXPECT_LE(std::fabs(yq[b * n_rows + r] - yf[b * n_rows + r]), qbound * 1.0001 + s_err + 1e-5)
            << dtype_name(t) << " r=" << r;
      }
    }
  }
}

// Zero and denormal activations: every activation format gives scale 0 or q = 0, and the
// products are exactly zero on both paths.
TEST_P(Kernels, MatmulZeroAndDenormalActivationsGiveZero) {
  std::mt19937 rng(4);
  for (DType t : kWeightTypes) {
    const std::int64_t k = 512, n_rows = 3;
    const auto w = test::random_blocks(t, n_rows * k / dtype_info(t).block_elems, rng);
    const Matrix m{t, w.data(), k, n_rows, row_bytes(t, k)};
    for (float v : {0.0f, 1e-41f}) {
      std::vector<float> x(k, v), y(n_rows, 1.0f), yq(n_rows, 1.0f);
      if (v != 0.0f)
        for (std::int64_t i = 0; i < k; i += 2) x[i] = -v;
      std::vector<std::uint8_t> xq(act_row_bytes(t, k));
      kt().quantize_activations(activation_type(t), x.data(), k, xq.data());
      kt().matmul_q8(m, xq.data(), 1, yq.data(), n_rows, 0, n_rows);
      kt().matmul_f32(m, x.data(), 1, y.data(), n_rows, 0, n_rows);
      for (std::int64_t r = 0; r < n_rows; ++r) {
        EXPECT_NEAR(y[r], 0.0f, 1e-30f) << dtype_name(t) << " x=" << v;
        if (activation_type(t) != DType::F32) {
          EXPECT_EQ(yq[r], 0.0f) << dtype_name(t) << " x=" << v;
        }
      }
    }
  }
}

TEST_P(Kernels, MatmulIntegerPathOnFloatWeightsTakesFloatActivations) {
  std::mt19937 rng(3);
  const std::int64_t k = 33, n_rows = 4;
  const auto w = test::random_blocks(DType::F16, n_rows * k, rng);
  const auto x = gaussian(k, 5);
  EXPECT_EQ(activation_type(DType::F16), DType::F32);
  EXPECT_EQ(act_row_bytes(DType::F16, k), k * sizeof(float));
  std::vector<float> a(n_rows), b(n_rows);
  const Matrix m{DType::F16, w.data(), k, n_rows, row_bytes(DType::F16, k)};
  kt().matmul_q8(m, x.data(), 1, a.data(), n_rows, 0, n_rows);
  kt().matmul_f32(m, x.data(), 1, b.data(), n_rows, 0, n_rows);
  EXPECT_EQ(a, b);
}

// ---------------------------------------------------------------- element-wise

TEST_P(Kernels, RmsnormMatchesDoubleFormula) {
  for (std::int64_t n : {1, 7, 64, 1000}) {
    for (float mag : {1.0f, 1e-20f, 1e18f}) {
      auto x = gaussian(n, 3, mag);
      const auto w = gaussian(n, 4);
      const float eps = 1e-6f;
      double ss = 0.0;
      for (float v : x) ss += static_cast<double>(v) * v;
      const double s = 1.0 / std::sqrt(ss / n + eps);
      std::vector<float> y(static_cast<std::size_t>(n)), y2(y.size());
      kt().rmsnorm(x.data(), w.data(), eps, n, y.data());
      kt().rmsnorm(x.data(), nullptr, eps, n, y2.data());
      for (std::int64_t i = 0; i < n; ++i) {
        const double e = x[i] * s;
        EXPECT_NEAR(y2[i], e, 1e-6 * std::fabs(e) + 1e-30) << n << " " << mag;
        EXPECT_NEAR(y[i], e * w[i], 1e-6 * std::fabs(e * w[i]) + 1e-30) << n << " " << mag;
      }
      kt().rmsnorm(x.data(), w.data(), eps, n, x.data());  // in place
      EXPECT_EQ(x, y);
    }
  }
  // All zeros: eps keeps it finite.
  std::vector<float> z(5, 0.0f), out(5, 1.0f);
  kt().rmsnorm(z.data(), nullptr, 1e-5f, 5, out.data());
  for (float v : out) EXPECT_EQ(v, 0.0f);
}

TEST_P(Kernels, RopeBothLayoutsMatchRotationFormula) {
  const std::int64_t n_heads = 3, head_dim = 10;
  for (RopeLayout layout : {RopeLayout::Adjacent, RopeLayout::Neox}) {
    for (std::int64_t n_rot : {2, 6, 10}) {
      std::vector<float> inv_freq(static_cast<std::size_t>(n_rot / 2));
      for (std::int64_t i = 0; i < n_rot / 2; ++i)  // base 10000, with a per-dimension factor
        inv_freq[i] = static_cast<float>(std::pow(10000.0, -2.0 * i / n_rot) / (1.0 + 0.5 * i));
      for (float pos : {0.0f, 1.0f, 37.0f, 4000.0f}) {
        auto x = gaussian(n_heads * head_dim, 9);
        const auto x0 = x;
        kt().rope(layout, x.data(), n_heads, head_dim, n_rot, pos, inv_freq.data());
        for (std::int64_t h = 0; h < n_heads; ++h) {
          std::vector<double> e(x0.begin() + h * head_dim, x0.begin() + (h + 1) * head_dim);
          for (std::int64_t i = 0; i < n_rot / 2; ++i) {
            const std::int64_t a = layout == RopeLayout::Adjacent ? 2 * i : i;
            const std::int64_t b = layout == RopeLayout::Adjacent ? 2 * i + 1 : i + n_rot / 2;
            const double th = static_cast<double>(pos) * inv_freq[i];
            const double va = x0[h * head_dim + a], vb = x0[h * head_dim + b];
            e[a] = va * std::cos(th) - vb * std::sin(th);
            e[b] = va * std::sin(th) + vb * std::cos(th);
          }
          // Angle pos*inv_freq is rounded to float first (as llama.cpp does): allow its error.
          for (std::int64_t i = 0; i < head_dim; ++i)
            EXPECT_NEAR(x[h * head_dim + i], e[i], 2e-6 + 4e-7 * pos) << "layout " << static_cast<int>(layout)
                                                                       << " n_rot " << n_rot << " i " << i;
        }
      }
    }
  }
}

TEST_P(Kernels, SoftmaxMatchesDoubleFormulaWithAndWithoutSoftcap) {
  for (std::int64_t n : {1, 2, 17, 300}) {
    for (float cap : {0.0f, 50.0f, 0.5f}) {
      auto x = gaussian(n, 21, 30.0f);
      if (n > 2) x[1] = -std::numeric_limits<float>::infinity();  // a masked position
      std::vector<double> e(x.begin(), x.end());
      if (cap > 0) {
        for (auto& v : e)
          if (!std::isinf(v)) v = cap * std::tanh(v / cap);
      }
      double mx = -INFINITY, sum = 0.0;
      for (double v : e) mx = std::max(mx, v);
      for (auto& v : e) sum += (v = std::exp(v - mx));
      kt().softmax(x.data(), n, cap);
      for (std::int64_t i = 0; i < n; ++i) EXPECT_NEAR(x[i], e[i] / sum, 1e-6) << n << " cap " << cap;
      if (n > 2) {
        EXPECT_EQ(x[1], 0.0f);
      }
    }
  }
  std::vector<float> big{1e30f, -1e30f, 3e38f};  // large magnitudes do not overflow to NaN
  kt().softmax(big.data(), 3, 0.0f);
  EXPECT_EQ(big[2], 1.0f);
  EXPECT_EQ(big[0], 0.0f);
}

TEST_P(Kernels, GluSwigluAndGegluMatchDoubleFormulas) {
  for (std::int64_t n : {1, 5, 33}) {
    auto g = gaussian(n, 31, 3.0f);
    const auto u = gaussian(n, 32);
    g[0] = n > 1 ? 1e-40f : g[0];  // a denormal
    if (n > 3) { g[1] = 80.0f; g[2] = -80.0f; g[3] = 0.0f; }
    std::vector<float> s(static_cast<std::size_t>(n)), ge(s.size());
    kt().swiglu(g.data(), u.data(), n, s.data());
    kt().geglu(g.data(), u.data(), n, ge.data());
    for (std::int64_t i = 0; i < n; ++i) {
      const double x = g[i];
      const double es = x / (1.0 + std::exp(-x)) * u[i];
      const double eg = 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x))) * u[i];
      EXPECT_NEAR(s[i], es, 1e-6 * std::fabs(es) + 1e-37) << "x=" << x;
      // 1 + tanh(..) cancels for negative x: allow float rounding of that sum, scaled.
      EXPECT_NEAR(ge[i], eg, 1e-6 * std::fabs(eg) + 1e-7 * std::fabs(x * u[i]) + 1e-37) << "x=" << x;
    }
  }
}

TEST_P(Kernels, ElementwiseAddAndScale) {
  const auto a = gaussian(9, 41), b = gaussian(9, 42);
  std::vector<float> o(9);
  kt().add(a.data(), b.data(), 9, o.data());
  for (int i = 0; i < 9; ++i) EXPECT_EQ(o[i], a[i] + b[i]);
  kt().scale(a.data(), -2.5f, 9, o.data());
  for (int i = 0; i < 9; ++i) EXPECT_EQ(o[i], a[i] * -2.5f);
}

TEST_P(Kernels, SoftcapIsCapTimesTanh) {
  auto x = gaussian(37, 43);
  for (auto& v : x) v *= 60.0f;  // well into saturation for a cap of 30
  auto y = x;
  kt().softcap(y.data(), 37, 30.0f);
  for (int i = 0; i < 37; ++i) {
    const double want = 30.0 * std::tanh(double(x[i]) / 30.0);
    EXPECT_NEAR(y[i], want, 2e-6 * std::fabs(want) + 1e-30) << "x=" << x[i];
    EXPECT_LE(std::fabs(y[i]), 30.0f);
  }
}

// ---------------------------------------------------------------- attention
// ref::attention (one query token) defines attention; the table's attention_block is tested
// against it on every level (simd_attention_block_test).

void check_attention(DType kv_type, std::int64_t n_q, std::int64_t head_dim, std::int64_t n_kv, std::int64_t ring,
                     std::int64_t first, float softcap) {
  const std::int64_t rows = std::max(ring, first + n_kv);
  const auto q = gaussian(n_q * head_dim, 51);
  const auto kf = gaussian(rows * head_dim, 52), vf = gaussian(rows * head_dim, 53);
  const std::size_t es = kv_type == DType::F16 ? 2 : 4;
  const std::size_t stride = head_dim * es + 8;  // padded rows
  std::vector<std::uint8_t> kb(rows * stride), vb(rows * stride);
  std::vector<float> kr(kf.size()), vr(vf.size());  // the values as stored
  for (std::int64_t r = 0; r < rows; ++r) {
    quantize_row(kv_type, kf.data() + r * head_dim, kb.data() + r * stride, head_dim);
    quantize_row(kv_type, vf.data() + r * head_dim, vb.data() + r * stride, head_dim);
    dequantize_row(kv_type, kb.data() + r * stride, kr.data() + r * head_dim, head_dim);
    dequantize_row(kv_type, vb.data() + r * stride, vr.data() + r * head_dim, head_dim);
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  std::vector<float> out(n_q * head_dim), scratch(n_q * n_kv);
  ref::AttentionArgs a{q.data(), n_q, head_dim, kb.data(), vb.data(), kv_type, stride, first, n_kv, ring, scale, softcap,
                  out.data(), scratch.data()};
  ref::attention(a);
  for (std::int64_t h = 0; h < n_q; ++h) {
    std::vector<double> p(n_kv);
    double mx = -INFINITY, sum = 0.0;
    for (std::int64_t j = 0; j < n_kv; ++j) {
      const std::int64_t row = (first + j) % ring;
      double d = 0.0;
      for (std::int64_t i = 0; i < head_dim; ++i) d += static_cast<double>(q[h * head_dim + i]) * kr[row * head_dim + i];
      d *= scale;
      if (softcap > 0) d = softcap * std::tanh(d / softcap);
      p[j] = d;
      mx = std::max(mx, d);
    }
    for (auto& v : p) sum += (v = std::exp(v - mx));
    for (std::int64_t i = 0; i < head_dim; ++i) {
      double o = 0.0;
      for (std::int64_t j = 0; j < n_kv; ++j) o += p[j] / sum * vr[((first + j) % ring) * head_dim + i];
      EXPECT_NEAR(out[h * head_dim + i], o, 2e-6) << dtype_name(kv_type) << " h=" << h << " i=" << i;
    }
  }
}

TEST(RefAttention, MatchesDoubleFormula) {
  for (DType kv : {DType::F32, DType::F16}) {
    check_attention(kv, 1, 1, 1, 1000, 0, 0.0f);     // smallest case
    check_attention(kv, 4, 16, 9, 1000, 3, 0.0f);    // GQA group of 4, linear cache
    check_attention(kv, 2, 8, 7, 8, 5, 50.0f);       // ring buffer that wraps, soft-capped
    check_attention(kv, 3, 64, 33, 40, 20, 0.0f);
  }
}

TEST(RefAttention, RejectsUnsupportedCacheType) {
  float q = 1, out = 0, scratch = 0;
  std::uint8_t kv[64] = {};
  ref::AttentionArgs a{&q, 1, 1, kv, kv, DType::Q8_0, 34, 0, 1, 1, 1.0f, 0.0f, &out, &scratch};
  EXPECT_THROW(ref::attention(a), Error);
}

INSTANTIATE_TEST_SUITE_P(AllLevels, Kernels, ::testing::ValuesIn(available_isas()),
                         [](const ::testing::TestParamInfo<Isa>& i) { return std::string(isa_name(i.param)); });

// ---------------------------------------------------------------- dispatch

TEST(Dispatch, ScalarAlwaysAvailableAndFirst) {
  const auto isas = available_isas();
  ASSERT_FALSE(isas.empty());
  EXPECT_EQ(isas.front(), Isa::Scalar);
  EXPECT_EQ(kernels_for(Isa::Scalar).isa, Isa::Scalar);
  EXPECT_EQ(isas.back(), best_isa());
  for (Isa isa : isas) {
    const KernelTable& t = kernels_for(isa);
    EXPECT_EQ(t.isa, isa);
    EXPECT_NE(t.matmul_f32, nullptr);
    EXPECT_NE(t.matmul_q8, nullptr);
    EXPECT_NE(t.quantize_activations, nullptr);
    EXPECT_NE(t.rmsnorm, nullptr);
    EXPECT_NE(t.rope, nullptr);
    EXPECT_NE(t.softmax, nullptr);
    EXPECT_NE(t.swiglu, nullptr);
    EXPECT_NE(t.geglu, nullptr);
    EXPECT_NE(t.add, nullptr);
    EXPECT_NE(t.scale, nullptr);
    EXPECT_NE(t.softcap, nullptr);
    EXPECT_NE(t.attention_block, nullptr);
  }
}

TEST(Dispatch, ActiveTableRespectsSlmIsaCap) {
  // The active table is chosen once per process; check it against what the environment asked.
  const char* env = std::getenv("SLM_ISA");
  const Isa active = kernels().isa;
  if (env != nullptr && std::string(env) == "scalar") {
    EXPECT_EQ(active, Isa::Scalar);
  } else if (env != nullptr && std::string(env) == "avx2") {
    EXPECT_LE(static_cast<int>(active), static_cast<int>(Isa::Avx2));
  } else if (env != nullptr && std::string(env) == "avx512") {
    EXPECT_LE(static_cast<int>(active), static_cast<int>(Isa::Avx512));  // no AMX
  } else {
    EXPECT_EQ(active, best_isa());
  }
}

TEST(Dispatch, CappedRunInChildProcess) {
  // Run this binary again under SLM_ISA=scalar and =avx512 to check the cap and the fallback.
  const std::string self = ::testing::internal::GetArgvs().front();
  for (const char* level : {"scalar", "avx2", "avx512", "amx", "bogus"}) {
    const std::string cmd = "SLM_ISA=" + std::string(level) + " '" + self +
                            "' --gtest_filter=Dispatch.ActiveTableRespectsSlmIsaCap > /dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
}

}  // namespace
}  // namespace slm::kernels
