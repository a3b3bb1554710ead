// generate() on the tiny golden models. The reference is the Session driven by hand: prefill, then
// argmax (written here, lowest id on ties) → decode, step by step.
#include "slm/generate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "slm/chat.hpp"
#include "slm/error.hpp"
#include "slm/model.hpp"
#include "slm/session.hpp"
#include "slm/tokenizer.hpp"
#include "support/json.hpp"

namespace {

const char* kModels[] = {"tiny-llama", "tiny-gemma", "tiny-gemma2", "tiny-gemma3", "tiny-qwen2"};

std::string model_path(const std::string& name) {
  return std::string(SLM_TEST_DATA_DIR) + "/golden/models/" + name + "-Q4_K_M.gguf";
}

slm::GenerateOptions greedy(int n) {
  slm::GenerateOptions o;
  o.max_tokens = n;
  o.sampler.temperature = 0.0f;
  o.stop_at_end_of_generation = false;  // random tiny models may well pick EOS
  return o;
}

int argmax(std::span<const float> v) {
  return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
}

std::vector<std::int32_t> prompt_for(const slm::Tokenizer& tok) { return tok.encode("The quick brown fox", true); }

class Generate : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    model_ = std::make_unique<slm::Model>(slm::Model::load(model_path(GetParam())));
  }
  slm::Session session() { return slm::Session(*model_, {.n_ctx = 64, .threads = 1}); }
  const slm::Tokenizer& tok() const { return model_->tokenizer(); }
  std::unique_ptr<slm::Model> model_;
};

TEST_P(Generate, GreedyEqualsArgmaxSteppingThroughTheSession) {
  const auto prompt = prompt_for(tok());
  slm::Session ref = session();
  std::vector<std::int32_t> expected;
  auto logits = ref.prefill(prompt);
  for (int i = 0; i < 8; ++i) {
    expected.push_back(argmax(logits));
    logits = ref.decode(expected.back());
  }

  slm::Session s = session();
  std::string streamed;
  const auto stats = slm::generate(s, tok(), prompt, greedy(8), [&](std::string_view piece) {
    streamed += piece;
    return true;
  });
  EXPECT_EQ(stats.tokens, expected);
  EXPECT_EQ(stats.generated_tokens, 8);
  EXPECT_EQ(stats.prompt_tokens, static_cast<int>(prompt.size()));
  EXPECT_EQ(stats.stop_reason, slm::StopReason::MaxTokens);
  EXPECT_EQ(s.position(), static_cast<int>(prompt.size()) + 8);  // every generated token is in the session
  std::string pieces;
  for (auto t : expected) pieces += tok().token_to_piece(t, false);
  EXPECT_EQ(streamed, pieces);
  EXPECT_EQ(stats.text, pieces);
  EXPECT_EQ(stats.words, slm::count_words(pieces));
}

TEST_P(Generate, ContinuingFromTheSessionEqualsOneLongRun) {
  const auto prompt = prompt_for(tok());
  slm::Session a = session();
  const auto whole = slm::generate(a, tok(), prompt, greedy(8), nullptr);
  slm::Session b = session();
  auto first = slm::generate(b, tok(), prompt, greedy(3), nullptr);
  const auto rest = slm::generate(b, tok(), {}, greedy(5), nullptr);  // empty prompt: continue
  first.tokens.insert(first.tokens.end(), rest.tokens.begin(), rest.tokens.end());
  EXPECT_EQ(first.tokens, whole.tokens);
}

TEST_P(Generate, StopStringEndsGenerationAndIsNotEmitted) {
  const auto prompt = prompt_for(tok());
  slm::Session a = session();
  const auto full = slm::generate(a, tok(), prompt, greedy(12), nullptr);
  ASSERT_GE(full.text.size(), 6u) << "the model's greedy text is too short for this test";
  // A stop string starting in the middle of the text (it may span several tokens).
  const std::size_t at = full.text.size() / 2;
  const std::string stop = full.text.substr(at, 3);
  const std::size_t first = full.text.find(stop);

  slm::GenerateOptions o = greedy(12);
  o.stop = {"\x01never", stop};
  slm::Session b = session();
  std::string streamed;
  const auto stats = slm::generate(b, tok(), prompt, o, [&](std::string_view p) {
    streamed += p;
    return true;
  });
  EXPECT_EQ(stats.stop_reason, slm::StopReason::StopString);
  EXPECT_EQ(streamed, full.text.substr(0, first));
  EXPECT_EQ(stats.text, streamed);
  EXPECT_LE(stats.generated_tokens, full.generated_tokens);
  // The tokens generated are the same prefix as in the unstopped run.
  EXPECT_TRUE(std::equal(stats.tokens.begin(), stats.tokens.end(), full.tokens.begin()));
}

TEST_P(Generate, CallbackReturningFalseStops) {
  const auto prompt = prompt_for(tok());
  slm::Session s = session();
  int calls = 0;
  const auto stats = slm::generate(s, tok(), prompt, greedy(20), [&](std::string_view) { return ++calls < 2; });
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(stats.stop_reason, slm::StopReason::Callback);
  EXPECT_LT(stats.generated_tokens, 20);
}

TEST_P(Generate, SameSeedSameSampledText) {
  const auto prompt = prompt_for(tok());
  slm::GenerateOptions o;
  o.max_tokens = 10;
  o.stop_at_end_of_generation = false;
  o.sampler.temperature = 1.0f;
  o.sampler.seed = 77;
  slm::Session a = session(), b = session();
  const auto x = slm::generate(a, tok(), prompt, o, nullptr);
  const auto y = slm::generate(b, tok(), prompt, o, nullptr);
  EXPECT_EQ(x.tokens, y.tokens);
  EXPECT_EQ(x.generated_tokens, 10);
}

// True when `s` is a sequence of complete, well-formed UTF-8 characters (RFC 3629).
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (int k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

TEST_P(Generate, RunningOutOfContextIsAStopNotAnError) {
  const auto prompt = prompt_for(tok());
  slm::Session s(*model_, {.n_ctx = static_cast<int>(prompt.size()) + 3, .threads = 1});
  const auto stats = slm::generate(s, tok(), prompt, greedy(10), nullptr);
  EXPECT_EQ(stats.stop_reason, slm::StopReason::ContextFull);
  EXPECT_EQ(stats.generated_tokens, 3);
}

TEST_P(Generate, EmptyPromptOnEmptySessionIsAnError) {
  slm::Session s = session();
  const slm::Tokenizer& t = tok();
  EXPECT_THROW(slm::generate(s, t, {}, greedy(2), nullptr), slm::Error);
}

INSTANTIATE_TEST_SUITE_P(TinyModels, Generate, ::testing::ValuesIn(kModels),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// End to end on a real instruction model against llama.cpp (tests/data/real/*/d_chat/case.json,
// made by tools/golden with llama-cpp-python): our chat rendering must give llama.cpp's prompt,
// and greedy generation must give its greedy tokens up to the end-of-turn token.
TEST(GenerateRealModel, SmolLM2ChatAnswerMatchesLlamaCpp) {
  const std::string path = std::string(SLM_MODELS_DIR) + "/SmolLM2-135M-Instruct.Q4_1.gguf";
  const std::string case_path = std::string(SLM_TEST_DATA_DIR) + "/real/SmolLM2-135M-Instruct.Q4_1/d_chat/case.json";
  if (!std::filesystem::exists(path) || !std::filesystem::exists(case_path)) GTEST_SKIP() << "real model absent";
  const auto ref = slm::test::Json::parse_file(case_path);
  const slm::Model model = slm::Model::load(path);
  const slm::ChatFormat format = slm::chat_format_of(model);
  const std::vector<slm::ChatMessage> msgs = {{"user", "What is the capital of France? Answer in one sentence."}};
  const std::string prompt_text = slm::render_chat(format, msgs, true);
  ASSERT_EQ(prompt_text, ref["prompt"].as_string());
  const auto prompt = model.tokenizer().encode(prompt_text, true, true);
  ASSERT_EQ(prompt, ref["tokens"].as_int32s());

  const auto greedy_ref = ref["greedy"].as_int32s();
  std::vector<std::int32_t> expected;
  for (auto t : greedy_ref) {
    if (model.tokenizer().is_end_of_generation(t)) break;
    expected.push_back(t);
  }
  ASSERT_LT(expected.size(), greedy_ref.size()) << "the reference answer never ends its turn";

  slm::Session session(model, {.n_ctx = 256});
  slm::GenerateOptions o;
  o.max_tokens = 64;
  o.sampler.temperature = 0.0f;
  const auto stats = slm::generate(session, model.tokenizer(), prompt, o, nullptr);
  EXPECT_EQ(stats.tokens, expected);
  EXPECT_EQ(stats.stop_reason, slm::StopReason::EndOfGeneration);
  EXPECT_EQ(stats.text, model.tokenizer().decode(expected));
}

// Gemma's vocabulary spells rare characters (here Fraktur letters, 4 bytes each) with byte-fallback
// tokens, so single tokens carry parts of a character. Streamed pieces must still be whole
// characters, and together the whole text.
TEST(GenerateRealModel, StreamedPiecesAreWholeCharacters) {
  const std::string path = std::string(SLM_MODELS_DIR) + "/gemma-3-270m-q4_k_m.gguf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "real model absent";
  const slm::Model model = slm::Model::load(path);
  const auto& tok = model.tokenizer();
  slm::Session session(model, {.n_ctx = 128});
  slm::GenerateOptions o;
  o.max_tokens = 16;
  o.sampler.temperature = 0.0f;
  o.stop_at_end_of_generation = false;
  std::vector<std::string> pieces;
  const auto stats = slm::generate(session, tok, tok.encode("𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝔘𝔫𝔦𝔠𝔬𝔡𝔢", true), o,
                                   [&](std::string_view p) {
                                     pieces.emplace_back(p);
                                     return true;
                                   });
  int partial_tokens = 0;  // the precondition: some generated tokens are parts of characters
  for (auto t : stats.tokens) partial_tokens += !valid_utf8(tok.token_to_piece(t, false));
  ASSERT_GT(partial_tokens, 0) << "the model generated no split characters; the test checks nothing";
  ASSERT_FALSE(pieces.empty());
  std::string joined;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    // Only the last piece may end inside a character: when max_tokens stops generation there,
    // what was held back is released as it is.
    if (i + 1 < pieces.size() || valid_utf8(stats.text)) {
      EXPECT_TRUE(valid_utf8(pieces[i])) << "streamed piece " << i << " splits a character";
    }
    joined += pieces[i];
  }
  EXPECT_EQ(joined, stats.text);
  std::string all;
  for (auto t : stats.tokens) all += tok.token_to_piece(t, false);
  EXPECT_EQ(stats.text, all);
}

TEST(GenerateStats, CountsWhitespaceSeparatedWords) {
  EXPECT_EQ(slm::count_words(""), 0);
  EXPECT_EQ(slm::count_words("   \n\t"), 0);
  EXPECT_EQ(slm::count_words("Paris"), 1);
  EXPECT_EQ(slm::count_words(" The capital of France is Paris.\n"), 6);
  EXPECT_EQ(slm::count_words("a\tb\nc  d"), 4);
}

}  // namespace
