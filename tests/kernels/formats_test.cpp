// Tensor formats against independent oracles: the Python gguf package (dequantization of real
// model tensors and synthetic blocks, fp16/bf16 conversion via numpy), and llama.cpp's own
// reference quantizers (libggml-base: scripts/ggml_oracle or llama-cpp-python) for the quantizers.
// The oracle data comes from tests/kernels/quant_oracle.py, run with $SLM_PYTHON (or python3).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "kernels/formats/float.hpp"
#include "kernels/kernels.hpp"
#include "oracle.hpp"
#include "slm/error.hpp"

namespace slm::kernels {
namespace {

namespace fs = std::filesystem;
using test::Record;
using test::run_oracle;

// Dequantizes every kind-0 record and requires bitwise equality with the oracle's floats.
void expect_dequant_bitwise(const std::vector<Record>& recs, int& n_checked) {
  for (const Record& r : recs) {
    if (r.kind != 0) continue;
    ASSERT_EQ(r.dst.size(), static_cast<std::size_t>(r.n) * 4) << r.name;
    ASSERT_EQ(r.src.size(), row_bytes(r.type, r.n)) << r.name;
    std::vector<float> got(static_cast<std::size_t>(r.n));
    dequantize_row(r.type, r.src.data(), got.data(), r.n);
    int mismatches = 0;
    for (std::int64_t i = 0; i < r.n; ++i) {
      std::uint32_t a, b;
      std::memcpy(&a, &got[i], 4);
      std::memcpy(&b, r.dst.data() + 4 * i, 4);
      if (a != b && ++mismatches <= 3) {
        float e;
        std::memcpy(&e, &b, 4);
        ADD_FAILURE() << r.name << " (" << dtype_name(r.type) << ") element " << i << ": got " << got[i] << " (0x"
                      << std::hex << a << "), gguf says " << e << " (0x" << b << ")" << std::dec;
      }
    }
    EXPECT_EQ(mismatches, 0) << r.name;
    ++n_checked;
  }
}

std::vector<fs::path> model_files() {
  std::vector<fs::path> files;
  for (const char* dir : {SLM_MODELS_DIR, SLM_TEST_DATA_DIR "/golden/models"}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().extension() == ".gguf") files.push_back(e.path());
  }
  return files;
}

TEST(Formats, DequantizeMatchesGgufPackageOnModelTensors) {
  const auto files = model_files();
  bool have_real = false;
  std::string args;
  for (const auto& f : files) {
    args += " '" + f.string() + "'";
    have_real |= f.parent_path() == fs::path(SLM_MODELS_DIR);
  }
  if (files.empty()) GTEST_SKIP() << "no models in " SLM_MODELS_DIR " or the golden models dir";
  std::vector<Record> recs;
  ASSERT_EQ(run_oracle("dequant", args, recs), 0) << "oracle script failed";
  int n = 0;
  expect_dequant_bitwise(recs, n);
  // Every type the real models hold must have been exercised.
  std::vector<DType> seen;
  for (const auto& r : recs) seen.push_back(r.type);
  auto has = [&](DType t) { return std::find(seen.begin(), seen.end(), t) != seen.end(); };
  for (DType t : {DType::F32, DType::Q4_K, DType::Q6_K}) EXPECT_TRUE(has(t)) << dtype_name(t);
  if (have_real) {
    for (DType t : {DType::Q8_0, DType::Q5_0, DType::Q4_1}) EXPECT_TRUE(has(t)) << dtype_name(t);
  }
  EXPECT_GT(n, 30);
  if (!have_real) GTEST_SKIP() << "real models absent: checked only the tiny golden models";
}

TEST(Formats, DequantizeMatchesGgufPackageOnSyntheticBlocks) {
  std::vector<Record> recs;
  ASSERT_EQ(run_oracle("synthetic", "", recs), 0) << "oracle script failed";
  int n = 0;
  expect_dequant_bitwise(recs, n);
  EXPECT_GE(n, 15);  // all fp16, bf16, 7 random-byte formats, 6 package quantizations
}

TEST(Formats, FloatConversionsMatchNumpyAndGguf) {
  std::vector<Record> recs;
  ASSERT_EQ(run_oracle("synthetic", "", recs), 0) << "oracle script failed";
  int checked = 0;
  for (const Record& r : recs) {
    if (r.kind != 1 || (r.type != DType::F16 && r.type != DType::BF16)) continue;
    std::vector<float> x(static_cast<std::size_t>(r.n));
    std::memcpy(x.data(), r.src.data(), r.src.size());
    std::vector<std::uint8_t> got(r.dst.size());
    quantize_row(r.type, x.data(), got.data(), r.n);
    int bad = 0;
    for (std::int64_t i = 0; i < r.n; ++i)
      if (std::memcmp(&got[2 * i], &r.dst[2 * i], 2) != 0 && ++bad <= 3) {
        std::uint16_t a, b;
        std::memcpy(&a, &got[2 * i], 2);
        std::memcpy(&b, &r.dst[2 * i], 2);
        ADD_FAILURE() << r.name << ": " << x[i] << " -> 0x" << std::hex << a << ", oracle 0x" << b << std::dec;
      }
    EXPECT_EQ(bad, 0) << r.name;
    ++checked;
  }
  EXPECT_EQ(checked, 2);
  // NaN stays NaN and inf stays inf (numpy leaves NaN payloads unspecified, so checked here).
  EXPECT_TRUE(std::isnan(formats::fp16_to_f32(formats::f32_to_fp16(std::nanf("")))));
  EXPECT_TRUE(std::isnan(formats::fp16_to_f32(formats::f32_to_fp16(-std::nanf("7")))));
  EXPECT_TRUE(std::isnan(formats::bf16_to_f32(formats::f32_to_bf16(std::nanf("1")))));
  // Every fp16 value survives the round trip through f32 exactly (including subnormals).
  for (std::uint32_t h = 0; h < 65536; ++h) {
    const float f = formats::fp16_to_f32(static_cast<std::uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(formats::f32_to_fp16(f), h) << std::hex << h;
  }
}

TEST(Formats, Q8_0QuantizeMatchesGgufPackageBitwise) {
  std::vector<Record> recs;
  ASSERT_EQ(run_oracle("synthetic", "", recs), 0) << "oracle script failed";
  int checked = 0;
  for (const Record& r : recs) {
    if (r.kind != 1 || r.type != DType::Q8_0) continue;
    std::vector<float> x(static_cast<std::size_t>(r.n));
    std::memcpy(x.data(), r.src.data(), r.src.size());
    std::vector<std::uint8_t> got(r.dst.size());
    quantize_row(DType::Q8_0, x.data(), got.data(), r.n);
    EXPECT_EQ(got, r.dst) << r.name;
    ++checked;
  }
  EXPECT_EQ(checked, 1);
}

TEST(Formats, RowHelpersRejectRaggedLengthsAndUnsupportedTypes) {
  std::vector<float> f(64);
  std::vector<std::uint8_t> b(1024);
  EXPECT_THROW(dequantize_row(DType::Q4_K, b.data(), f.data(), 32), Error);
  EXPECT_THROW(dequantize_row(DType::Q5_1, b.data(), f.data(), 32), Error);
  EXPECT_THROW(quantize_row(DType::Q4_0, f.data(), b.data(), 32), Error);  // no quantizer
  EXPECT_THROW(quantize_row(DType::Q8_0, f.data(), b.data(), 33), Error);
  EXPECT_FALSE(can_quantize(DType::Q4_1));
  EXPECT_FALSE(can_quantize(DType::Q5_K));
  for (DType t : {DType::F32, DType::F16, DType::BF16, DType::Q5_0, DType::Q8_0, DType::Q4_K, DType::Q6_K, DType::Q8_K})
    EXPECT_TRUE(can_quantize(t)) << dtype_name(t);
  EXPECT_EQ(activation_type(DType::Q4_0), DType::Q8_0);
  EXPECT_EQ(activation_type(DType::Q5_0), DType::Q8_0);
  EXPECT_EQ(activation_type(DType::Q8_0), DType::Q8_0);
  EXPECT_EQ(activation_type(DType::Q4_1), DType::Q8_1);
  EXPECT_EQ(activation_type(DType::Q4_K), DType::Q8_K);
  EXPECT_EQ(activation_type(DType::Q5_K), DType::Q8_K);
  EXPECT_EQ(activation_type(DType::Q6_K), DType::Q8_K);
  EXPECT_EQ(activation_type(DType::BF16), DType::F32);
  EXPECT_EQ(act_row_bytes(DType::Q6_K, 512), 2u * 292u);
  EXPECT_EQ(act_row_bytes(DType::Q4_1, 64), 2u * 36u);
}

}  // namespace
}  // namespace slm::kernels
