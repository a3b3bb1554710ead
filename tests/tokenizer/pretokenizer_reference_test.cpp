// Pre-tokenizers no test vocabulary uses (Llama 3, Qwen2, default, starcoder): the GPT-2
// vocabulary with tokenizer.ggml.pre replaced, tokenized by llama.cpp
// (tools/golden/make_pretokenizer_golden.py -> tests/data/real/tokenize-pre-<name>.json).
// The same copy is made here with slm's GGUF writer and read back through the reader.

#include <gtest/gtest.h>

#include "gguf/writer.hpp"
#include "support/json.hpp"
#include "tokenizer/vocab_files.hpp"

namespace slm {
namespace {

Tokenizer gpt2_vocab_with_pre(const std::string& pre) {
  const gguf::File base = gguf::File::open(test::data_dir() / "vocab" / "ggml-vocab-gpt-2.gguf");
  gguf::Writer w;
  for (const gguf::KeyValue& kv : base.metadata()) {
    w.add(kv.key, kv.key == "tokenizer.ggml.pre" ? gguf::Value::string(pre) : kv.value);
  }
  const gguf::File copy = gguf::File::from_bytes(w.to_bytes(), "gpt-2-with-" + pre + ".gguf");
  return tokenizer::load_tokenizer(copy);
}

class PreTokenizerReference : public ::testing::TestWithParam<const char*> {};

TEST_P(PreTokenizerReference, MatchesLlamaCpp) {
  const std::string pre = GetParam();
  const auto json_path = test::data_dir() / "real" / ("tokenize-pre-" + pre + ".json");
  if (!std::filesystem::exists(json_path)) GTEST_SKIP() << "no " << json_path;
  const test::Json ref = test::Json::parse_file(json_path);
  const Tokenizer tok = gpt2_vocab_with_pre(pre);
  EXPECT_EQ(tok.pre(), pre);
  EXPECT_EQ(tok.add_bos(), ref["add_bos"].as_bool());
  const test::Json& cases = ref["cases"];
  ASSERT_GT(cases.size(), 0u);
  std::size_t failures = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const test::Json& c = cases[i];
    const auto ids = tok.encode(c["text"].as_string(), c["add_special"].as_bool(),
                                c["parse_special"].as_bool());
    const auto expected = c["tokens"].as_int32s();
    EXPECT_EQ(ids, expected) << "case " << i << " text: '"
                             << test::printable(c["text"].as_string()) << "'";
    failures += ids != expected;
  }
  EXPECT_EQ(failures, 0u) << "of " << cases.size();
}

INSTANTIATE_TEST_SUITE_P(Pre, PreTokenizerReference,
                         ::testing::Values("llama-bpe", "qwen2", "default", "starcoder"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n) if (ch == '-') ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace slm
