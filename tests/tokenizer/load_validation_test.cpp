// Malformed tokenizer metadata (REFERENCE.md §3.3 items 29-32) must be rejected with an
// slm::Error naming the key, never a crash. Files are built with the GGUF writer and parsed
// by the reader, as a model file would be.

#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "gguf/reader.hpp"
#include "gguf/writer.hpp"
#include "slm/error.hpp"
#include "tokenizer/load.hpp"

namespace slm {
namespace {

using gguf::Value;
using gguf::ValueType;

Value strings(std::vector<std::string> v) {
  std::vector<Value> items;
  for (auto& s : v) items.push_back(Value::string(std::move(s)));
  return Value::array(ValueType::String, std::move(items));
}
Value floats(std::vector<float> v) {
  std::vector<Value> items;
  for (float x : v) items.push_back(Value::f32(x));
  return Value::array(ValueType::F32, std::move(items));
}
Value ints(std::vector<std::int32_t> v) {
  std::vector<Value> items;
  for (std::int32_t x : v) items.push_back(Value::i32(x));
  return Value::array(ValueType::I32, std::move(items));
}

using Metadata = std::map<std::string, Value>;

// A tiny valid SentencePiece vocabulary: <unk> <s> </s> a b ab.
Metadata spm_vocab() {
  return {
      {"tokenizer.ggml.model", Value::string("llama")},
      {"tokenizer.ggml.tokens", strings({"<unk>", "<s>", "</s>", "a", "b", "ab"})},
      {"tokenizer.ggml.scores", floats({0, 0, 0, -1, -2, -0.5f})},
      {"tokenizer.ggml.token_type", ints({2, 3, 3, 1, 1, 1})},
      {"tokenizer.ggml.add_space_prefix", Value::boolean(false)},
  };
}

// A tiny valid byte-level BPE vocabulary: a b ab Ġ (space) Ġa, merges "a b", "Ġ a".
Metadata bpe_vocab() {
  return {
      {"tokenizer.ggml.model", Value::string("gpt2")},
      {"tokenizer.ggml.pre", Value::string("gpt-2")},
      {"tokenizer.ggml.tokens", strings({"a", "b", "ab", "\xC4\xA0", "\xC4\xA0" "a"})},
      {"tokenizer.ggml.token_type", ints({1, 1, 1, 1, 1})},
      {"tokenizer.ggml.merges", strings({"a b", "\xC4\xA0 a"})},
      {"tokenizer.ggml.bos_token_id", Value::u32(0)},
      {"tokenizer.ggml.eos_token_id", Value::u32(0)},
  };
}

Tokenizer load(const Metadata& md) {
  gguf::Writer w;
  w.add("general.architecture", Value::string("llama"));
  for (const auto& [k, v] : md) w.add(k, v);
  const gguf::File file = gguf::File::from_bytes(w.to_bytes(), "vocab.gguf");
  return tokenizer::load_tokenizer(file);
}

// Expects load() to throw an slm::Error whose key is `key`.
void expect_rejected(const Metadata& md, const std::string& key) {
  try {
    load(md);
    ADD_FAILURE() << "accepted; expected an error about " << key;
  } catch (const Error& e) {
    EXPECT_EQ(e.where(), key) << e.what();
    EXPECT_EQ(e.file(), "vocab.gguf") << e.what();
  }
}

TEST(TokenizerLoad, ValidTinyVocabulariesWork) {
  const Tokenizer spm = load(spm_vocab());
  EXPECT_EQ(spm.kind(), TokenizerKind::Spm);
  EXPECT_EQ(spm.encode("ab", false), (std::vector<std::int32_t>{5}));
  EXPECT_EQ(spm.encode("ba", false), (std::vector<std::int32_t>{4, 3}));
  EXPECT_EQ(spm.encode("ab", true), (std::vector<std::int32_t>{1, 5}));  // SPM adds BOS 1
  EXPECT_EQ(spm.encode("c", false), (std::vector<std::int32_t>{0}));  // no byte tokens: <unk>

  const Tokenizer bpe = load(bpe_vocab());
  EXPECT_EQ(bpe.kind(), TokenizerKind::Bpe);
  EXPECT_EQ(bpe.encode("ab a", false), (std::vector<std::int32_t>{2, 4}));
  EXPECT_EQ(bpe.decode(std::vector<std::int32_t>{2, 4}), "ab a");
}

TEST(TokenizerLoad, RejectsWrongArrayTypes) {
  auto md = spm_vocab();
  md["tokenizer.ggml.tokens"] = ints({1, 2, 3, 4, 5, 6});
  expect_rejected(md, "tokenizer.ggml.tokens");
  md = spm_vocab();
  md["tokenizer.ggml.scores"] = ints({0, 0, 0, 0, 0, 0});
  expect_rejected(md, "tokenizer.ggml.scores");
  md = spm_vocab();
  md["tokenizer.ggml.token_type"] = floats({1, 1, 1, 1, 1, 1});
  expect_rejected(md, "tokenizer.ggml.token_type");
  md = spm_vocab();
  md["tokenizer.ggml.scores"] = Value::f32(1.0f);
  expect_rejected(md, "tokenizer.ggml.scores");
  md = bpe_vocab();
  md["tokenizer.ggml.merges"] = ints({1, 2});
  expect_rejected(md, "tokenizer.ggml.merges");
}

TEST(TokenizerLoad, RejectsShortArrays) {
  auto md = spm_vocab();
  md["tokenizer.ggml.scores"] = floats({0, 0, 0});
  expect_rejected(md, "tokenizer.ggml.scores");
  md = spm_vocab();
  md["tokenizer.ggml.token_type"] = ints({1, 1});
  expect_rejected(md, "tokenizer.ggml.token_type");
  md = spm_vocab();
  md["tokenizer.ggml.tokens"] = strings({});
  expect_rejected(md, "tokenizer.ggml.tokens");
}

TEST(TokenizerLoad, RejectsIdsOutOfRange) {
  for (const char* key : {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
                          "tokenizer.ggml.eot_token_id", "tokenizer.ggml.unknown_token_id",
                          "tokenizer.ggml.padding_token_id"}) {
    auto md = spm_vocab();
    md[key] = Value::u32(6);
    expect_rejected(md, key);
  }
}

TEST(TokenizerLoad, RejectsMalformedMerges) {
  auto md = bpe_vocab();
  md["tokenizer.ggml.merges"] = strings({"a b", "ab"});
  expect_rejected(md, "tokenizer.ggml.merges");
  md["tokenizer.ggml.merges"] = strings({" a"});
  expect_rejected(md, "tokenizer.ggml.merges");
  md["tokenizer.ggml.merges"] = strings({"a c"});
  expect_rejected(md, "tokenizer.ggml.merges");
  md.erase("tokenizer.ggml.merges");
  expect_rejected(md, "tokenizer.ggml.merges");
}

TEST(TokenizerLoad, RejectsUnknownModelOrPreTokenizer) {
  auto md = spm_vocab();
  md["tokenizer.ggml.model"] = Value::string("bert");
  expect_rejected(md, "tokenizer.ggml.model");
  md.erase("tokenizer.ggml.model");
  expect_rejected(md, "tokenizer.ggml.model");
  md = bpe_vocab();
  md["tokenizer.ggml.pre"] = Value::string("no-such-pre");
  expect_rejected(md, "tokenizer.ggml.pre");
}

TEST(TokenizerLoad, MissingPreTokenizerFallsBackWithWarning) {
  auto md = bpe_vocab();
  md.erase("tokenizer.ggml.pre");
  const Tokenizer tok = load(md);
  EXPECT_FALSE(tok.warnings().empty());
  EXPECT_EQ(tok.encode("ab", false), (std::vector<std::int32_t>{2}));
}

TEST(TokenizerLoad, RejectsBadTokenText) {
  auto md = spm_vocab();
  md["tokenizer.ggml.tokens"] = strings({"<unk>", "<s>", "</s>", "a", std::string(70000, 'x'), "ab"});
  expect_rejected(md, "tokenizer.ggml.tokens");
  md["tokenizer.ggml.tokens"] = strings({"<unk>", "<s>", "</s>", "a", "\xFF\xFE", "ab"});
  expect_rejected(md, "tokenizer.ggml.tokens");
  md.erase("tokenizer.ggml.tokens");
  expect_rejected(md, "tokenizer.ggml.tokens");
}

}  // namespace
}  // namespace slm
