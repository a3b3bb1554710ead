// Quantizers against llama.cpp's own reference quantizers (quantize_row_*_ref in libggml-base,
// reached through tests/kernels/quant_oracle.py; skipped when neither $SLM_GGML_LIB, from
// scripts/ggml_oracle, nor llama-cpp-python provides it), and
// against simple round-to-nearest baselines written here (always run).
//
//  - Q8_0, Q8_1, Q8_K (activations): bit-identical to llama.cpp, so the integer path sees the
//    same numbers llama.cpp's does.
//  - Q4_K, Q6_K (weights): normalized RMSE = rms(x - dequant(quant(x))) / rms(x) within 10% of
//    llama.cpp's reference quantizer on the same data, and below the round-to-nearest baseline.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "kernels/formats/float.hpp"
#include "kernels/kernels.hpp"
#include "oracle.hpp"

namespace slm::kernels {
namespace {

using test::Record;

std::vector<float> floats_of(const Record& r) {
  std::vector<float> x(static_cast<std::size_t>(r.n));
  std::memcpy(x.data(), r.src.data(), r.src.size());
  return x;
}

double nrmse(const std::vector<float>& x, const std::vector<float>& y) {
  double e = 0.0, s = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    e += (static_cast<double>(x[i]) - y[i]) * (static_cast<double>(x[i]) - y[i]);
    s += static_cast<double>(x[i]) * x[i];
  }
  return s > 0.0 ? std::sqrt(e / s) : std::sqrt(e);
}

std::vector<float> round_trip(DType t, const std::vector<float>& x) {
  std::vector<std::uint8_t> q(row_bytes(t, static_cast<std::int64_t>(x.size())));
  quantize_row(t, x.data(), q.data(), static_cast<std::int64_t>(x.size()));
  std::vector<float> y(x.size());
  dequantize_row(t, q.data(), y.data(), static_cast<std::int64_t>(x.size()));
  return y;
}

std::vector<float> gaussian(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd;
  std::vector<float> v(n);
  for (auto& x : v) x = nd(rng);
  return v;
}

class GgmlOracle : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { status_ = test::run_oracle("ggml", "", records_); }
  void SetUp() override {
    if (status_ == 77) GTEST_SKIP() << "llama.cpp's libggml-base not found (scripts/ggml_oracle, $SLM_GGML_LIB)";
    ASSERT_EQ(status_, 0) << "oracle script failed";
  }
  static inline int status_ = -1;
  static inline std::vector<Record> records_;
};

// quantize_row against llama.cpp's reference quantizers (quantize_row_q8_*_ref: what
// llama-quantize writes), and every level's quantize_activations against the run-time
// quantizers of llama.cpp's CPU backend (quantize_row_q8_*: what its integer matmuls see;
// they round ties to even where the reference rounds them away from zero).
TEST_F(GgmlOracle, ActivationQuantizersAreBitIdentical) {
  int checked_ref = 0, checked_run = 0;
  for (const Record& r : records_) {
    if (r.type != DType::Q8_0 && r.type != DType::Q8_1 && r.type != DType::Q8_K) continue;
    const bool reference = r.name.find("_ref ") != std::string::npos;
    const auto x = floats_of(r);
    ASSERT_EQ(r.dst.size(), row_bytes(r.type, r.n)) << r.name;
    const std::size_t bb = static_cast<std::size_t>(dtype_info(r.type).block_bytes);
    const std::size_t levels = reference ? 1 : available_isas().size();
    for (std::size_t level = 0; level < levels; ++level) {
      std::vector<std::uint8_t> got(r.dst.size());
      std::string who = "quantize_row";
      if (reference) {
        quantize_row(r.type, x.data(), got.data(), r.n);
      } else {
        const Isa isa = available_isas()[level];
        kernels_for(isa).quantize_activations(r.type, x.data(), r.n, got.data());
        who = std::string("quantize_activations at ") + isa_name(isa);
      }
      int bad_blocks = 0;
      for (std::size_t b = 0; b * bb < got.size(); ++b) {
        // Blocks too small to scale (|x| < ~1e-37) have d = 0 in both, so their q's carry no
        // information: llama.cpp's AVX code leaves -128s there, slm 0s.
        const std::uint8_t zero[4] = {};
        const std::size_t dbytes = r.type == DType::Q8_K ? 4 : 2;
        if (!reference && std::memcmp(&got[b * bb], zero, dbytes) == 0 && std::memcmp(&r.dst[b * bb], zero, dbytes) == 0)
          continue;
        if (std::memcmp(&got[b * bb], &r.dst[b * bb], bb) != 0 && ++bad_blocks <= 3)
          ADD_FAILURE() << r.name << ": " << who << ": block " << b << " differs from llama.cpp's";
      }
      EXPECT_EQ(bad_blocks, 0) << r.name << " " << who;
    }
    ++(reference ? checked_ref : checked_run);
  }
  EXPECT_EQ(checked_ref, 9);
  EXPECT_EQ(checked_run, 9);
}

TEST_F(GgmlOracle, WeightQuantizersWithinTenPercentOfLlamaCpp) {
  int checked = 0;
  for (const Record& r : records_) {
    if (r.type != DType::Q4_K && r.type != DType::Q6_K) continue;
    const auto x = floats_of(r);
    std::vector<float> ref(x.size());
    dequantize_row(r.type, r.dst.data(), ref.data(), r.n);
    const double e_ref = nrmse(x, ref), e_ours = nrmse(x, round_trip(r.type, x));
    std::cout << "[ figures  ] " << dtype_name(r.type) << " " << r.name << ": nRMSE slm " << e_ours
              << ", llama.cpp " << e_ref << "\n";
    EXPECT_LE(e_ours, 1.10 * e_ref) << r.name;
    ++checked;
  }
  EXPECT_EQ(checked, 6);
}

// ---- independent baselines (no oracle needed)

// Q4_K with the plain choice per 32-group: step (max - min)/15, offset min (clamped <= 0), the
// 6-bit scales and mins quantized against fp16 super-scales, then round-to-nearest.
std::vector<float> q4_k_baseline(const std::vector<float>& x) {
  std::vector<float> y(x.size());
  for (std::size_t b = 0; b < x.size(); b += 256) {
    float s[8], m[8], smax = 0, mmax = 0;
    for (int g = 0; g < 8; ++g) {
      float lo = 0, hi = -INFINITY;
      for (int i = 0; i < 32; ++i) {
        lo = std::min(lo, x[b + 32 * g + i]);
        hi = std::max(hi, x[b + 32 * g + i]);
      }
      s[g] = std::max(hi - lo, 0.0f) / 15;
      m[g] = -lo;
      smax = std::max(smax, s[g]);
      mmax = std::max(mmax, m[g]);
    }
    const float D = formats::fp16_to_f32(formats::f32_to_fp16(smax / 63));
    const float M = formats::fp16_to_f32(formats::f32_to_fp16(mmax / 63));
    for (int g = 0; g < 8; ++g) {
      const float ds = D * (D > 0 ? std::round(s[g] / D) : 0), ms = M * (M > 0 ? std::round(m[g] / M) : 0);
      for (int i = 0; i < 32; ++i) {
        const float v = x[b + 32 * g + i];
        const float q = ds > 0 ? std::clamp(std::round((v + ms) / ds), 0.0f, 15.0f) : 0.0f;
        y[b + 32 * g + i] = q * ds - ms;
      }
    }
  }
  return y;
}

// Q6_K with step max|x|/31 per 16-group (symmetric -31..31), 8-bit scales against an fp16 d.
std::vector<float> q6_k_baseline(const std::vector<float>& x) {
  std::vector<float> y(x.size());
  for (std::size_t b = 0; b < x.size(); b += 256) {
    float s[16], smax = 0;
    for (int g = 0; g < 16; ++g) {
      float a = 0;
      for (int i = 0; i < 16; ++i) a = std::max(a, std::fabs(x[b + 16 * g + i]));
      s[g] = a / 31;
      smax = std::max(smax, s[g]);
    }
    const float D = formats::fp16_to_f32(formats::f32_to_fp16(smax / 127));
    for (int g = 0; g < 16; ++g) {
      const float ds = D > 0 ? D * std::round(s[g] / D) : 0;
      for (int i = 0; i < 16; ++i) {
        const float v = x[b + 16 * g + i];
        y[b + 16 * g + i] = ds > 0 ? ds * std::clamp(std::round(v / ds), -32.0f, 31.0f) : 0.0f;
      }
    }
  }
  return y;
}

TEST(Quantizers, BetterThanRoundToNearestBaselineOnGaussianData) {
  for (unsigned seed : {1u, 2u, 3u}) {
    const auto x = gaussian(256 * 64, seed);
    const double q4 = nrmse(x, round_trip(DType::Q4_K, x)), q4b = nrmse(x, q4_k_baseline(x));
    const double q6 = nrmse(x, round_trip(DType::Q6_K, x)), q6b = nrmse(x, q6_k_baseline(x));
    std::cout << "[ figures  ] seed " << seed << ": Q4_K nRMSE " << q4 << " (baseline " << q4b << "), Q6_K " << q6
              << " (baseline " << q6b << ")\n";
    EXPECT_LT(q4, q4b);
    EXPECT_LT(q6, q6b);
  }
}

TEST(Quantizers, ActivationRoundTripWithinHalfAStep) {
  auto x = gaussian(256 * 8, 9);
  for (std::size_t i = 0; i < 256; ++i) x[i] *= 1e4f;   // large magnitudes
  for (std::size_t i = 256; i < 512; ++i) x[i] = 0.0f;  // zeros
  for (std::size_t i = 512; i < 768; ++i) x[i] *= 1e-39f;  // denormals: too small to scale
  for (DType t : {DType::Q8_0, DType::Q8_1, DType::Q8_K}) {
    const auto y = round_trip(t, x);
    const std::size_t be = static_cast<std::size_t>(dtype_info(t).block_elems);
    for (std::size_t b = 0; b < x.size(); b += be) {
      float amax = 0;
      for (std::size_t i = b; i < b + be; ++i) amax = std::max(amax, std::fabs(x[i]));
      // Half a step, plus (Q8_0/Q8_1) the fp16 rounding of the stored scale times 127.
      const double step = amax / 127.0;
      const double tol = step * (t == DType::Q8_K ? 0.5 + 1e-6 : 0.5 + 127.0 / 2048.0) + 1e-37;
      for (std::size_t i = b; i < b + be; ++i)
        ASSERT_LE(std::fabs(static_cast<double>(x[i]) - y[i]), tol) << dtype_name(t) << " element " << i;
    }
  }
}

TEST(Quantizers, WeightQuantizersHandleEdgeBlocks) {
  for (DType t : {DType::Q4_K, DType::Q6_K}) {
    std::vector<float> x(256 * 4, 0.0f);                      // block 0: zeros
    for (int i = 0; i < 256; ++i) x[256 + i] = 3.5f;          // block 1: constant positive
    for (int i = 0; i < 256; ++i) x[512 + i] = -1e-41f * i;   // block 2: denormals
    const auto g = gaussian(256, 4);
    for (int i = 0; i < 256; ++i) x[768 + i] = g[i] * 6e4f;   // block 3: near the fp16 limit
    const auto y = round_trip(t, x);
    for (int i = 0; i < 256; ++i) EXPECT_EQ(y[i], 0.0f) << dtype_name(t);
    for (float v : y) ASSERT_TRUE(std::isfinite(v)) << dtype_name(t);
    for (int i = 0; i < 256; ++i) EXPECT_NEAR(y[256 + i], 3.5f, 3.5f * 0.02f) << dtype_name(t);
    for (int i = 0; i < 256; ++i) EXPECT_NEAR(y[512 + i], x[512 + i], 1e-37f) << dtype_name(t);
    const std::vector<float> x3(x.begin() + 768, x.end()), y3(y.begin() + 768, y.end());
    EXPECT_LT(nrmse(x3, y3), t == DType::Q4_K ? 0.15 : 0.05) << dtype_name(t);
  }
}

}  // namespace
}  // namespace slm::kernels
