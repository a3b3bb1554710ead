// The tiny golden models' prompts (tests/data/golden/tiny-*/*/case.json) were tokenized by
// llama.cpp with add_special=true, parse_special=false; we must give the same ids.

#include <gtest/gtest.h>

#include "support/json.hpp"
#include "tokenizer/vocab_files.hpp"

namespace slm {
namespace {

TEST(GoldenPrompts, MatchLlamaCppTokenization) {
  const auto root = test::data_dir() / "golden";
  int n_cases = 0;
  for (const auto& model_dir : std::filesystem::directory_iterator(root)) {
    if (!model_dir.is_directory() || model_dir.path().filename().string().rfind("tiny-", 0) != 0) {
      continue;
    }
    for (const auto& case_dir : std::filesystem::directory_iterator(model_dir.path())) {
      const auto case_path = case_dir.path() / "case.json";
      if (!std::filesystem::exists(case_path)) continue;
      const test::Json c = test::Json::parse_file(case_path);
      const Tokenizer tok = test::load_vocab(root / "models" / c["model"].as_string());
      const auto ids = tok.encode(c["prompt"].as_string(), /*add_special=*/true,
                                  /*parse_special=*/false);
      EXPECT_EQ(ids, c["tokens"].as_int32s()) << case_path;
      EXPECT_EQ(tok.add_bos(), c["add_bos"].as_bool()) << case_path;
      EXPECT_EQ(tok.size(), static_cast<std::size_t>(c["n_vocab"].as_int())) << case_path;
      ++n_cases;
    }
  }
  EXPECT_EQ(n_cases, 10);
}

}  // namespace
}  // namespace slm
