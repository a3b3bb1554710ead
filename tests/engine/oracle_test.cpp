// The Float path against an independent float64 forward pass written in NumPy over the `gguf`
// Python package's dequantizers (tests/engine/numpy_forward.py), on the real models. The
// Float path is the model's math in f32 with exactly dequantized weights, so it must agree with
// float64 far more tightly than with llama.cpp. Skipped when the models, Python, numpy or gguf
// are missing (the interpreter is $SLM_PYTHON, else python3).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "slm/session.hpp"
#include "support/json.hpp"
#include "support/logit_compare.hpp"

namespace fs = std::filesystem;

namespace {

std::string python() {
  const char* p = std::getenv("SLM_PYTHON");
  return p && *p ? p : "python3";
}

class NumpyOracle : public ::testing::TestWithParam<const char*> {};

TEST_P(NumpyOracle, FloatPathMatchesFloat64) {
  const std::string stem = GetParam();
  const fs::path model_path = fs::path(SLM_MODELS_DIR) / (stem + ".gguf");
  const fs::path case_path = fs::path(SLM_TEST_DATA_DIR) / "real" / stem / "a_english" / "case.json";
  if (!fs::exists(model_path) || !fs::exists(case_path)) GTEST_SKIP() << "model or case absent";
  if (std::system(std::string(python()).append(" -c 'import numpy, gguf' 2>/dev/null").c_str()) != 0)
    GTEST_SKIP() << python() << " lacks numpy or gguf";

  // The first 6 prompt tokens keep the float64 pass short.
  std::vector<slm::TokenId> tokens = slm::test::Json::parse_file(case_path)["tokens"].as_int32s();
  tokens.resize(6);
  const fs::path out = fs::temp_directory_path() / ("slm-oracle-" + std::to_string(::getpid()) + ".f32");
  // Built with append: GCC 12 reports a false -Wrestrict on long operator+ chains.
  std::string cmd = python();
  cmd.append(" ").append(SLM_SOURCE_DIR).append("/tests/engine/numpy_forward.py ");
  cmd.append(model_path.string()).append(" ").append(out.string());
  for (auto t : tokens) cmd.append(" ").append(std::to_string(t));
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const std::vector<float> ref = slm::test::read_f32_file(out);
  fs::remove(out);

  const slm::Model model = slm::Model::load(model_path);
  slm::Session s(model, {.n_ctx = 64, .threads = 2, .matmul = slm::MatmulPath::Float});
  const auto ours = s.evaluate(tokens, true);
  ASSERT_EQ(ours.size(), ref.size());
  const auto r = slm::test::compare_rows(ref, ours, model.hparams().n_vocab, 0.0);
  std::printf("[numpy oracle] %-27s float path vs float64: max|dlogit| %.5f  mean KL %.2e  top-1 %lld/%lld\n",
              stem.c_str(), r.max_abs_diff, r.mean_kl, (long long)r.top1_equal, (long long)r.rows);
  EXPECT_LE(r.max_abs_diff, 0.01);  // measured 8e-5 (f32 rounding)
  EXPECT_LE(r.mean_kl, 1e-7);
  EXPECT_EQ(r.top1_equal, r.rows);
}

INSTANTIATE_TEST_SUITE_P(Real, NumpyOracle, ::testing::Values("gemma-3-270m-q4_k_m", "SmolLM2-135M-Instruct.Q4_1"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
