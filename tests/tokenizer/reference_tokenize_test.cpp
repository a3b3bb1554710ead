// Reference tokenizations by llama.cpp (tools/golden/make_tokenize_golden.py, through
// llama-cpp-python) of multilingual text, emoji, code, whitespace runs and special-token
// text, for the real models and the vocab files: tests/data/real/tokenize-<model>.json.
// Skipped when the JSON file or the model is absent.

#include <gtest/gtest.h>

#include "support/json.hpp"
#include "tokenizer/vocab_files.hpp"

namespace slm {
namespace {

class ReferenceTokenize : public ::testing::TestWithParam<const char*> {};

TEST_P(ReferenceTokenize, MatchesLlamaCpp) {
  const auto json_path = test::data_dir() / "real" / (std::string("tokenize-") + GetParam() + ".json");
  if (!std::filesystem::exists(json_path)) GTEST_SKIP() << "no " << json_path;
  const test::Json ref = test::Json::parse_file(json_path);
  const std::string model = ref["model"].as_string();
  std::filesystem::path model_path = test::models_dir() / model;
  if (!std::filesystem::exists(model_path)) model_path = test::data_dir() / "vocab" / model;
  if (!std::filesystem::exists(model_path)) GTEST_SKIP() << "model " << model << " not present";

  const Tokenizer tok = test::load_vocab(model_path);
  EXPECT_EQ(tok.size(), static_cast<std::size_t>(ref["n_vocab"].as_int()));
  EXPECT_EQ(tok.add_bos(), ref["add_bos"].as_bool());
  EXPECT_EQ(tok.add_eos(), ref["add_eos"].as_bool());
  const test::Json& cases = ref["cases"];
  ASSERT_GT(cases.size(), 0u);
  std::size_t failures = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const test::Json& c = cases[i];
    const std::string& text = c["text"].as_string();
    const bool add_special = c["add_special"].as_bool();
    const bool parse_special = c["parse_special"].as_bool();
    const auto ids = tok.encode(text, add_special, parse_special);
    const auto expected = c["tokens"].as_int32s();
    EXPECT_EQ(ids, expected) << "case " << i << " add_special=" << add_special
                             << " parse_special=" << parse_special << " text: '"
                             << test::printable(text) << "'";
    failures += ids != expected;
  }
  EXPECT_EQ(failures, 0u) << "of " << cases.size();
}

INSTANTIATE_TEST_SUITE_P(Models, ReferenceTokenize,
                         ::testing::Values("gemma-3-270m-q4_k_m", "SmolLM2-135M-Instruct.Q4_1",
                                           "ggml-vocab-llama-spm", "ggml-vocab-gpt-2",
                                           "ggml-vocab-deepseek-coder", "ggml-vocab-falcon"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n) if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace slm
