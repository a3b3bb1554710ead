// Encoding never fails on arbitrary bytes; decoding any valid id never fails; invalid ids are
// rejected with slm::Error (Argument).

#include <gtest/gtest.h>

#include <random>

#include "slm/error.hpp"
#include "tokenizer/vocab_files.hpp"

namespace slm {
namespace {

class Robustness : public ::testing::TestWithParam<const char*> {};

TEST_P(Robustness, ArbitraryBytesAndIds) {
  const Tokenizer tok = test::load_vocab(test::data_dir() / "vocab" / GetParam());
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> byte(0, 255), len(0, 64), id(0, int(tok.size()) - 1);
  // Bytes biased towards UTF-8 structure (lead/continuation bytes, spaces, digits, quotes).
  static constexpr char kInteresting[] = "\xC3\xA9\xE2\x96\x81\xF0\x9F\x98\x80 \t\n\r'0123<|>";
  const std::string interesting(kInteresting, sizeof(kInteresting) - 1);
  for (int iter = 0; iter < 300; ++iter) {
    std::string s;
    const int n = len(rng);
    for (int i = 0; i < n; ++i) {
      s += (iter % 2) ? static_cast<char>(byte(rng)) : interesting[byte(rng) % interesting.size()];
    }
    for (bool parse_special : {false, true}) {
      const auto ids = tok.encode(s, true, parse_special);
      for (std::int32_t t : ids) {
        ASSERT_GE(t, 0);
        ASSERT_LT(static_cast<std::size_t>(t), tok.size());
      }
      EXPECT_NO_THROW(tok.decode(ids));
    }
    std::vector<std::int32_t> random_ids;
    for (int i = 0; i < n; ++i) random_ids.push_back(id(rng));
    EXPECT_NO_THROW(tok.decode(random_ids, {true, true}));
  }
  // Valid UTF-8 with no special-token text survives the round trip through BPE bytes
  // (SPM byte fallback) — checked on text with no spaces to avoid clean-up rules.
  const std::string text = "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4\xF0\x9F\x9A\x80x=[3,14];";
  EXPECT_EQ(tok.decode(tok.encode(text, false)), text);

  EXPECT_THROW(tok.decode(std::vector<std::int32_t>{-1}), Error);
  EXPECT_THROW(tok.decode(std::vector<std::int32_t>{static_cast<std::int32_t>(tok.size())}), Error);
  EXPECT_THROW(tok.token_to_piece(static_cast<std::int32_t>(tok.size())), Error);
  try {
    tok.piece(-5);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::Kind::Argument);
  }
}

INSTANTIATE_TEST_SUITE_P(Vocabs, Robustness,
                         ::testing::Values("ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf",
                                           "ggml-vocab-deepseek-coder.gguf",
                                           "ggml-vocab-falcon.gguf"));

}  // namespace
}  // namespace slm
