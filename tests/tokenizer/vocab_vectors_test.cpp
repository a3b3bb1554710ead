// llama.cpp's tokenizer test vectors: every input must tokenize to exactly the ids llama.cpp
// produced (no BOS/EOS), and decode back to the input where llama.cpp's decoding does.

#include <gtest/gtest.h>

#include "tokenizer/vocab_files.hpp"

namespace slm {
namespace {

class VocabVectors : public ::testing::TestWithParam<const char*> {};

TEST_P(VocabVectors, EncodeMatchesLlamaCpp) {
  const auto path = test::data_dir() / "vocab" / GetParam();
  const Tokenizer tok = test::load_vocab(path);
  const auto cases = test::read_vocab_cases(path);
  ASSERT_EQ(cases.size(), 46u);
  int failures = 0;
  for (const auto& c : cases) {
    const auto ids = tok.encode(c.text, /*add_special=*/false, /*parse_special=*/false);
    EXPECT_EQ(ids, c.ids) << "text: '" << test::printable(c.text) << "'";
    failures += ids != c.ids;
  }
  EXPECT_EQ(failures, 0);
}

// The vocabularies' decode is lossless except for clean_up_tokenization_spaces, which drops
// the space in " ," " ." " ?" " !" " 's" ... (gpt-2, falcon). Inputs without those patterns
// must come back unchanged; SPM removes the space prefix it added.
bool cleaned_by_clean_spaces(const std::string& s) {
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] == ' ' && (s[i + 1] == ',' || s[i + 1] == '.' || s[i + 1] == '?' ||
                        s[i + 1] == '!' || s[i + 1] == '\'')) {
      return true;
    }
  }
  return false;
}

TEST_P(VocabVectors, DecodeRoundTrips) {
  const auto path = test::data_dir() / "vocab" / GetParam();
  const Tokenizer tok = test::load_vocab(path);
  int checked = 0;
  for (const auto& c : test::read_vocab_cases(path)) {
    if (tok.clean_spaces() && cleaned_by_clean_spaces(c.text)) continue;
    EXPECT_EQ(tok.decode(c.ids), c.text) << "text: '" << test::printable(c.text) << "'";
    ++checked;
  }
  EXPECT_GT(checked, 30);
}

INSTANTIATE_TEST_SUITE_P(Vocabs, VocabVectors,
                         ::testing::Values("ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf",
                                           "ggml-vocab-deepseek-coder.gguf",
                                           "ggml-vocab-falcon.gguf"),
                         [](const auto& info) {
                           std::string n = info.param;
                           n = n.substr(11, n.size() - 16);  // strip "ggml-vocab-" / ".gguf"
                           for (char& ch : n) if (ch == '-') ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace slm
