// The five tiny random-weight models (one per family) against llama.cpp's logits at every
// prompt position (tests/data/golden/README.md). Checks, per case and per matmul path:
//   mean KL(reference || ours) <= 0.1 and top-1 equal wherever the reference margin > 1.0
// (README §5: correct rounding noise gives <= 0.05, every wrong semantic choice >= 0.25).
// Also: the batch equals prefill(n-1)+decode(1) and token-by-token decoding, including
// sessions whose sliding-window ring is as small as it can be.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "slm/error.hpp"
#include "slm/session.hpp"
#include "slm/tokenizer.hpp"
#include "support/json.hpp"
#include "support/logit_compare.hpp"

namespace fs = std::filesystem;
using slm::test::Json;

namespace {

const fs::path kGolden = fs::path(SLM_TEST_DATA_DIR) / "golden";

struct Case {
  std::string family, name;
  fs::path dir() const { return kGolden / ("tiny-" + family) / name; }
};

struct Param {
  Case c;
  slm::MatmulPath path;
};

void PrintTo(const Param& p, std::ostream* os) { *os << p.c.family << "/" << p.c.name << "/" << slm::to_string(p.path); }

std::vector<Param> params() {
  std::vector<Param> p;
  for (const char* fam : {"llama", "qwen2", "gemma", "gemma2", "gemma3"})
    for (const char* name : {"a_english", "c_mixed"})
      for (auto path : {slm::MatmulPath::Integer, slm::MatmulPath::Float}) p.push_back({{fam, name}, path});
  return p;
}

struct Loaded {
  slm::Model model;
  std::vector<slm::TokenId> tokens;
  std::int64_t n_vocab;
  std::vector<float> ref;  // [n_tokens][n_vocab]
};

Loaded load_case(const Case& c) {
  const Json j = Json::parse_file(c.dir() / "case.json");
  Loaded l{slm::Model::load(kGolden / "models" / j["model"].as_string()), j["tokens"].as_int32s(),
           j["n_vocab"].as_int(), slm::test::read_f32_file(c.dir() / "logits.f32")};
  EXPECT_EQ(std::int64_t(l.tokens.size()), j["n_tokens"].as_int());
  EXPECT_EQ(l.ref.size(), l.tokens.size() * std::size_t(l.n_vocab));
  // The model's own tokenizer gives llama.cpp's prompt ids.
  EXPECT_EQ(l.model.tokenizer().encode(j["prompt"].as_string(), /*add_special=*/true, /*parse_special=*/false),
            l.tokens);
  return l;
}

class Golden : public ::testing::TestWithParam<Param> {};

TEST_P(Golden, BatchLogitsMatchLlamaCpp) {
  const Param& p = GetParam();
  Loaded l = load_case(p.c);
  ASSERT_EQ(l.model.hparams().n_vocab, l.n_vocab);
  slm::Session s(l.model, {.n_ctx = 512, .threads = 2, .matmul = p.path});
  auto ours = s.evaluate(l.tokens, /*all_logits=*/true);
  ASSERT_EQ(ours.size(), l.ref.size());
  const auto r = slm::test::compare_rows(l.ref, ours, l.n_vocab, 1.0);
  std::printf("[golden] %-7s %-9s %-7s max|dlogit| %.4f  mean KL %.5f  max KL %.5f  top-1 %lld/%lld  "
              "top-1 where margin>1: %lld/%lld\n",
              p.c.family.c_str(), p.c.name.c_str(), slm::to_string(p.path), r.max_abs_diff, r.mean_kl, r.max_kl,
              (long long)r.top1_equal, (long long)r.rows, (long long)r.confident_top1_equal,
              (long long)r.confident);
  EXPECT_LE(r.mean_kl, 0.1);
  EXPECT_EQ(r.confident_top1_equal, r.confident);
  EXPECT_EQ(s.position(), int(l.tokens.size()));
}

// Incremental evaluation must give the batch's logits: the KV cache, positions and ring
// buffers are what is exercised here (the arithmetic per row is the same).
TEST_P(Golden, IncrementalDecodingMatchesBatch) {
  const Param& p = GetParam();
  Loaded l = load_case(p.c);
  const std::size_t n = l.tokens.size(), V = std::size_t(l.n_vocab);
  slm::Session batch(l.model, {.n_ctx = 128, .threads = 2, .matmul = p.path});
  const auto b = batch.evaluate(l.tokens, true);
  const std::vector<float> all(b.begin(), b.end());
  auto row = [&](std::size_t i) { return std::span<const float>(all).subspan(i * V, V); };
  auto max_diff = [](std::span<const float> a, std::span<const float> b) {
    double m = 0;
    for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(double(a[i]) - b[i]));
    return m;
  };

  // prefill(n-1) then decode(last)
  slm::Session inc(l.model, {.n_ctx = 128, .threads = 2, .matmul = p.path});
  inc.prefill(std::span<const slm::TokenId>(l.tokens).first(n - 1));
  const double d_last = max_diff(inc.decode(l.tokens.back()), row(n - 1));

  // token by token with n_batch 1: sliding-window rings hold exactly the window
  slm::Session step(l.model, {.n_ctx = 128, .threads = 1, .matmul = p.path, .n_batch = 1});
  double d_step = 0;
  for (std::size_t i = 0; i < n; ++i) d_step = std::max(d_step, max_diff(step.decode(l.tokens[i]), row(i)));

  // batches of 5 (shorter than the window of 8) and of 20 (longer): the rings hold window +
  // n_batch - 1 rows, so both wrap on these 29-60 token prompts
  slm::Session chunked(l.model, {.n_ctx = 128, .threads = 2, .matmul = p.path, .n_batch = 5});
  double d_chunk = max_diff(chunked.evaluate(l.tokens, true), all);
  slm::Session chunked20(l.model, {.n_ctx = 128, .threads = 2, .matmul = p.path, .n_batch = 20});
  d_chunk = std::max(d_chunk, max_diff(chunked20.evaluate(l.tokens, true), all));

  // reset() forgets everything: the same prompt gives the same logits again
  chunked.reset();
  EXPECT_EQ(chunked.position(), 0);
  const double d_reset = max_diff(chunked.evaluate(l.tokens, true), all);

  std::printf("[incremental] %-7s %-9s %-7s max|dlogit| vs batch: prefill+decode %.2e  step-by-step %.2e  "
              "chunks of 5/20 %.2e  after reset %.2e\n",
              p.c.family.c_str(), p.c.name.c_str(), slm::to_string(p.path), d_last, d_step, d_chunk, d_reset);
  // Same arithmetic per row; only the order of independent operations may differ.
  constexpr double kTol = 1e-3;
  EXPECT_LE(d_last, kTol);
  EXPECT_LE(d_step, kTol);
  EXPECT_LE(d_chunk, kTol);
  EXPECT_LE(d_reset, kTol);
  EXPECT_EQ(step.position(), int(n));
}

INSTANTIATE_TEST_SUITE_P(Tiny, Golden, ::testing::ValuesIn(params()), [](const auto& info) {
  return info.param.c.family + "_" + info.param.c.name + "_" + slm::to_string(info.param.path);
});

}  // namespace
