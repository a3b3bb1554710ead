// Q5_0 quantization (kernels/formats/q5_0.hpp), which the Q4_K_M plan needs for rows whose
// length is not a multiple of 256 (Qwen2 0.5B's 896, Gemma 3's 640 and 1152): bit-identical to
// llama.cpp's quantize_row_q5_0_ref (the quantizer llama-quantize uses without an imatrix),
// reached through tests/kernels/quant_oracle.py; skipped when neither $SLM_GGML_LIB, from
// scripts/ggml_oracle, nor llama-cpp-python provides it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/kernels.hpp"
#include "oracle.hpp"

namespace slm::kernels {
namespace {

TEST(Q5_0Quantize, BitIdenticalToLlamaCpp) {
  std::vector<test::Record> records;
  const int status = test::run_oracle("ggml", "", records);
  if (status == 77) GTEST_SKIP() << "llama.cpp's libggml-base not found (scripts/ggml_oracle, $SLM_GGML_LIB)";
  ASSERT_EQ(status, 0) << "oracle script failed";
  int checked = 0;
  for (const test::Record& r : records) {
    if (r.type != DType::Q5_0) continue;
    std::vector<float> x(static_cast<std::size_t>(r.n));
    std::memcpy(x.data(), r.src.data(), r.src.size());
    ASSERT_EQ(r.dst.size(), row_bytes(DType::Q5_0, r.n)) << r.name;
    std::vector<std::uint8_t> got(r.dst.size());
    quantize_row(DType::Q5_0, x.data(), got.data(), r.n);
    int bad = 0;
    for (std::size_t b = 0; b * 22 < got.size(); ++b)
      if (std::memcmp(&got[b * 22], &r.dst[b * 22], 22) != 0 && ++bad <= 3)
        ADD_FAILURE() << r.name << ": block " << b << " differs from llama.cpp's";
    EXPECT_EQ(bad, 0) << r.name;
    ++checked;
  }
  EXPECT_EQ(checked, 3);  // gaussian, edge, ties
}

// Without the oracle: every element within half a step (|d|/2) of its input, plus the fp16
// rounding of the stored scale times the largest code magnitude (16).
TEST(Q5_0Quantize, RoundTripWithinHalfAStep) {
  std::mt19937 rng(5);
  std::normal_distribution<float> nd;
  std::vector<float> x(32 * 64);
  for (auto& v : x) v = nd(rng);
  std::vector<std::uint8_t> q(row_bytes(DType::Q5_0, std::int64_t(x.size())));
  quantize_row(DType::Q5_0, x.data(), q.data(), std::int64_t(x.size()));
  std::vector<float> y(x.size());
  dequantize_row(DType::Q5_0, q.data(), y.data(), std::int64_t(x.size()));
  for (std::size_t b = 0; b < x.size() / 32; ++b) {
    float amax = 0, m = 0;  // m: the element of largest magnitude, sign kept
    for (int j = 0; j < 32; ++j)
      if (std::fabs(x[b * 32 + j]) > amax) amax = std::fabs(m = x[b * 32 + j]);
    const float d = amax / 16;
    for (int j = 0; j < 32; ++j) {
      const std::size_t i = b * 32 + j;
      // codes run from -16 d (at m) to +15 d on the other side: beyond 15.5 d the code clamps
      const float clamp = x[i] * m < 0 ? std::fmax(0.0f, std::fabs(x[i]) - 15.5f * d) : 0.0f;
      const float tol = 0.5f * d + clamp + 16 * d / 1024;
      EXPECT_LE(std::fabs(x[i] - y[i]), tol) << "block " << b << " element " << j;
    }
  }
}

}  // namespace
}  // namespace slm::kernels
