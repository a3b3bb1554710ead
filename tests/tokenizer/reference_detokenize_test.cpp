// Reference detokenizations by llama.cpp (tools/golden/make_detokenize_golden.py):
// tests/data/real/detokenize-<model>.json. Whole sequences with every remove_special /
// unparse_special combination, single-token pieces, and the special ids (BOS/EOS/PAD, the
// end-of-generation and control sets). Skipped when absent.

#include <gtest/gtest.h>

#include "support/json.hpp"
#include "tokenizer/vocab_files.hpp"

namespace slm {
namespace {

std::string from_hex(const std::string& hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1]));
  }
  return out;
}

class ReferenceDetokenize : public ::testing::TestWithParam<const char*> {};

TEST_P(ReferenceDetokenize, MatchesLlamaCpp) {
  const auto json_path =
      test::data_dir() / "real" / (std::string("detokenize-") + GetParam() + ".json");
  if (!std::filesystem::exists(json_path)) GTEST_SKIP() << "no " << json_path;
  const test::Json ref = test::Json::parse_file(json_path);
  const std::string model = ref["model"].as_string();
  std::filesystem::path model_path = test::models_dir() / model;
  if (!std::filesystem::exists(model_path)) model_path = test::data_dir() / "vocab" / model;
  if (!std::filesystem::exists(model_path)) GTEST_SKIP() << "model " << model << " not present";
  const Tokenizer tok = test::load_vocab(model_path);

  const test::Json& seqs = ref["sequences"];
  ASSERT_GT(seqs.size(), 0u);
  std::size_t failures = 0;
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    const auto ids = seqs[i]["tokens"].as_int32s();
    for (bool remove_special : {false, true}) {
      for (bool render_special : {false, true}) {
        const std::string key = std::string(remove_special ? "1" : "0") + (render_special ? "1" : "0");
        const std::string expected = from_hex(seqs[i]["decoded"][key].as_string());
        const std::string got = tok.decode(ids, {remove_special, render_special});
        EXPECT_EQ(got, expected) << "sequence " << i << " options " << key;
        failures += got != expected;
      }
    }
  }
  const test::Json& pieces = ref["pieces"];
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const auto id = static_cast<std::int32_t>(pieces[i][0].as_int());
    const std::string plain = from_hex(pieces[i][1].as_string());
    const std::string special = from_hex(pieces[i][2].as_string());
    EXPECT_EQ(tok.token_to_piece(id, false), plain) << "id " << id;
    EXPECT_EQ(tok.token_to_piece(id, true), special) << "id " << id;
    EXPECT_EQ(tok.piece(id), special) << "id " << id;
    failures += tok.token_to_piece(id, false) != plain || tok.piece(id) != special;
  }
  EXPECT_EQ(failures, 0u);

  // Special ids, end-of-generation and control sets.
  const test::Json& sp = ref["special"];
  EXPECT_EQ(tok.bos(), sp["bos"].as_int());
  EXPECT_EQ(tok.eos(), sp["eos"].as_int());
  EXPECT_EQ(tok.pad(), sp["pad"].as_int());
  EXPECT_EQ(tok.end_of_generation_ids(), sp["eog"].as_int32s());
  // llama.cpp takes the first EOT-looking name in hash-map order; we prefer the chat
  // end-of-turn token. Either way it must end generation.
  const auto ref_eot = static_cast<std::int32_t>(sp["eot"].as_int());
  if (tok.eot() != ref_eot) {
    EXPECT_TRUE(tok.is_end_of_generation(tok.eot())) << tok.eot();
    EXPECT_TRUE(tok.is_end_of_generation(ref_eot)) << ref_eot;
  }
  std::vector<std::int32_t> control;
  for (std::int32_t id = 0; id < static_cast<std::int32_t>(tok.size()); ++id) {
    if (tok.is_control(id)) control.push_back(id);
  }
  EXPECT_EQ(control, sp["control"].as_int32s());
}

// Random byte strings, mostly invalid UTF-8, tokenized by llama.cpp (same file, "bytes").
TEST_P(ReferenceDetokenize, ArbitraryBytesTokenizeLikeLlamaCpp) {
  const auto json_path =
      test::data_dir() / "real" / (std::string("detokenize-") + GetParam() + ".json");
  if (!std::filesystem::exists(json_path)) GTEST_SKIP() << "no " << json_path;
  const test::Json ref = test::Json::parse_file(json_path);
  if (!ref.has("bytes")) GTEST_SKIP() << "no byte cases in " << json_path;
  const std::string model = ref["model"].as_string();
  std::filesystem::path model_path = test::models_dir() / model;
  if (!std::filesystem::exists(model_path)) model_path = test::data_dir() / "vocab" / model;
  if (!std::filesystem::exists(model_path)) GTEST_SKIP() << "model " << model << " not present";
  const Tokenizer tok = test::load_vocab(model_path);
  const test::Json& cases = ref["bytes"];
  ASSERT_GT(cases.size(), 0u);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const test::Json& c = cases[i];
    const std::string text = from_hex(c["hex"].as_string());
    EXPECT_EQ(tok.encode(text, c["add_special"].as_bool(), c["parse_special"].as_bool()),
              c["tokens"].as_int32s())
        << "case " << i << " bytes " << c["hex"].as_string();
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ReferenceDetokenize,
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
