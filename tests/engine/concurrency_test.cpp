// Concurrency: one loaded Model shared by sessions on several threads, and cancelling a
// generation from another thread. Labelled "concurrency": scripts/test also runs it under
// ThreadSanitizer (SLM_TSAN=ON), which reports any data race these runs contain.
//
// The reference is the same work done one session after another on one thread: results must
// be identical (same tokens, bitwise-identical logits), since sessions share only immutable
// state and each session's arithmetic does not depend on how many run at once.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "slm/error.hpp"
#include "slm/generate.hpp"
#include "slm/model.hpp"
#include "slm/session.hpp"
#include "slm/tokenizer.hpp"

namespace {

std::string model_path(const std::string& family) {
  return std::string(SLM_TEST_DATA_DIR) + "/golden/models/tiny-" + family + "-Q4_K_M.gguf";
}

const char* kPrompts[] = {"The quick brown fox", "Once upon a time", "1, 2, 3, 4,", "Paris is the capital of"};
constexpr int kThreads = 4;
constexpr int kSteps = 10;

struct GreedyRun {
  std::vector<std::int32_t> tokens;  // greedy continuation
  std::vector<float> logits;         // every step's logits, concatenated
};

// Greedy decoding by hand (argmax, lowest id on ties), keeping every logit.
GreedyRun greedy(const slm::Model& model, const std::string& prompt, int session_threads) {
  slm::Session s(model, {.n_ctx = 64, .threads = session_threads});
  GreedyRun r;
  auto logits = s.prefill(model.tokenizer().encode(prompt));
  for (int i = 0; i < kSteps; ++i) {
    r.logits.insert(r.logits.end(), logits.begin(), logits.end());
    std::int32_t best = 0;
    for (std::size_t v = 1; v < logits.size(); ++v)
      if (logits[v] > logits[std::size_t(best)]) best = std::int32_t(v);
    r.tokens.push_back(best);
    logits = s.decode(best);
  }
  return r;
}

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

class Concurrency : public ::testing::TestWithParam<const char*> {};

TEST_P(Concurrency, SessionsOnThreadsEqualSessionsOneAfterAnother) {
  const slm::Model model = slm::Model::load(model_path(GetParam()));
  for (const int session_threads : {1, 2}) {
    std::vector<GreedyRun> sequential;
    for (int i = 0; i < kThreads; ++i) sequential.push_back(greedy(model, kPrompts[i], session_threads));

    std::vector<GreedyRun> parallel(kThreads);
    std::vector<std::string> errors(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
      threads.emplace_back([&, i, copy = model] {  // each thread holds its own copy of the handle
        try {
          parallel[std::size_t(i)] = greedy(copy, kPrompts[i], session_threads);
        } catch (const std::exception& e) {
          errors[std::size_t(i)] = e.what();
        }
      });
    for (auto& t : threads) t.join();

    for (int i = 0; i < kThreads; ++i) {
      SCOPED_TRACE(std::string(kPrompts[i]) + ", session threads " + std::to_string(session_threads));
      EXPECT_EQ(errors[std::size_t(i)], "");
      EXPECT_EQ(parallel[std::size_t(i)].tokens, sequential[std::size_t(i)].tokens);
      EXPECT_TRUE(bitwise_equal(parallel[std::size_t(i)].logits, sequential[std::size_t(i)].logits));
    }
  }
}

// The shared tokenizer used from several threads at once gives what it gives alone.
TEST_P(Concurrency, SharedTokenizerOnThreads) {
  const slm::Model model = slm::Model::load(model_path(GetParam()));
  const slm::Tokenizer& tok = model.tokenizer();
  std::vector<std::vector<std::int32_t>> expected;
  for (const char* p : kPrompts) expected.push_back(tok.encode(std::string(p) + " " + p));
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      for (int rep = 0; rep < 20; ++rep) {
        const std::string text = std::string(kPrompts[(i + rep) % kThreads]) + " " + kPrompts[(i + rep) % kThreads];
        const auto ids = tok.encode(text);
        if (ids != expected[std::size_t((i + rep) % kThreads)] || tok.decode(ids, {.remove_special = true}).empty())
          ++mismatches[std::size_t(i)];
      }
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) EXPECT_EQ(mismatches[std::size_t(i)], 0) << "thread " << i;
}

slm::GenerateOptions greedy_options(int n) {
  slm::GenerateOptions o;
  o.max_tokens = n;
  o.sampler.temperature = 0.0f;
  o.stop_at_end_of_generation = false;
  return o;
}

// Another thread sets the cancel flag while generate() runs. To make the moment deterministic
// the generating thread's callback waits, after its first piece of text, until the other
// thread has set the flag; generate() must then stop before the next token.
TEST_P(Concurrency, CancelFromAnotherThreadStopsCleanlyAndTheSessionStaysUsable) {
  const slm::Model model = slm::Model::load(model_path(GetParam()));
  const slm::Tokenizer& tok = model.tokenizer();
  const auto prompt = tok.encode(kPrompts[0]);

  slm::Session reference(model, {.n_ctx = 64, .threads = 1});
  const auto whole = slm::generate(reference, tok, prompt, greedy_options(20), nullptr);
  ASSERT_EQ(whole.generated_tokens, 20);

  std::atomic<bool> cancel{false};
  std::mutex mu;
  std::condition_variable cv;
  bool first_piece = false;
  std::thread canceller([&] {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return first_piece; });
    cancel.store(true);
    cv.notify_all();
  });

  slm::Session s(model, {.n_ctx = 64, .threads = 2});
  slm::GenerateOptions o = greedy_options(-1);  // until the context is full, unless cancelled
  o.cancel = &cancel;
  int pieces = 0;
  const auto stats = slm::generate(s, tok, prompt, o, [&](std::string_view) {
    if (pieces++ == 0) {
      std::unique_lock lock(mu);
      first_piece = true;
      cv.notify_all();
      cv.wait(lock, [&] { return cancel.load(); });
    }
    return true;
  });
  {  // lets the canceller finish even if no piece of text was ever produced
    std::lock_guard lock(mu);
    first_piece = true;
  }
  cv.notify_all();
  canceller.join();

  EXPECT_EQ(stats.stop_reason, slm::StopReason::Cancelled);
  EXPECT_EQ(pieces, 1);
  ASSERT_GE(stats.generated_tokens, 1);
  EXPECT_LT(stats.generated_tokens, 20);
  EXPECT_EQ(s.position(), int(prompt.size()) + stats.generated_tokens);
  EXPECT_TRUE(std::equal(stats.tokens.begin(), stats.tokens.end(), whole.tokens.begin()));

  // Usable afterwards: continuing gives the rest of the uncancelled run.
  const auto rest = slm::generate(s, tok, {}, greedy_options(20 - stats.generated_tokens), nullptr);
  std::vector<std::int32_t> joined = stats.tokens;
  joined.insert(joined.end(), rest.tokens.begin(), rest.tokens.end());
  EXPECT_EQ(joined, whole.tokens);
}

TEST_P(Concurrency, CancelSetBeforeGenerateEvaluatesNothing) {
  const slm::Model model = slm::Model::load(model_path(GetParam()));
  slm::Session s(model, {.n_ctx = 64, .threads = 1});
  const std::atomic<bool> cancel{true};
  slm::GenerateOptions o = greedy_options(8);
  o.cancel = &cancel;
  const auto stats = slm::generate(s, model.tokenizer(), model.tokenizer().encode(kPrompts[1]), o, nullptr);
  EXPECT_EQ(stats.stop_reason, slm::StopReason::Cancelled);
  EXPECT_EQ(stats.generated_tokens, 0);
  EXPECT_EQ(s.position(), 0);
  EXPECT_STREQ(slm::to_string(stats.stop_reason), "cancelled");
}

INSTANTIATE_TEST_SUITE_P(Tiny, Concurrency, ::testing::Values("llama", "gemma3"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
