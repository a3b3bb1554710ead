// Sampler tests. The references here are written independently of src/sampling/: straightforward
// computations over probabilities sorted once (not over logits), following the definitions of
// top-k / top-p / min-p / temperature as llama.cpp documents them (tools/main/README.md).
#include "slm/sampler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <set>
#include <vector>

#include "slm/error.hpp"

namespace {

using slm::Sampler;
using slm::SamplerConfig;

SamplerConfig plain(float temperature, std::uint64_t seed = 1) {
  SamplerConfig c;
  c.temperature = temperature;
  c.top_k = 0;
  c.top_p = 1.0f;
  c.min_p = 0.0f;
  c.repeat_penalty = 1.0f;
  c.seed = seed;
  return c;
}

// Deterministic pseudo-random logits in [-scale, scale] (a small LCG, independent of the sampler's RNG).
std::vector<float> make_logits(int n, std::uint32_t seed, float scale = 4.0f) {
  std::vector<float> v(n);
  std::uint32_t s = seed;
  for (auto& x : v) {
    s = s * 1664525u + 1013904223u;
    x = scale * (static_cast<float>(s >> 8) / static_cast<float>(1u << 24) * 2.0f - 1.0f);
  }
  return v;
}

std::vector<double> softmax(const std::vector<float>& logits, double temperature) {
  double m = *std::max_element(logits.begin(), logits.end());
  std::vector<double> p(logits.size());
  double sum = 0;
  for (size_t i = 0; i < logits.size(); ++i) sum += (p[i] = std::exp((logits[i] - m) / temperature));
  for (auto& x : p) x /= sum;
  return p;
}

// Reference chain over sorted probabilities: returns surviving ids → final probability.
std::map<int, double> reference(const std::vector<float>& logits, int top_k, double top_p, double min_p,
                                double temperature) {
  std::vector<int> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return logits[a] > logits[b]; });
  if (top_k > 0 && top_k < static_cast<int>(order.size())) order.resize(top_k);
  if (top_p < 1.0) {
    std::vector<float> sub;
    for (int id : order) sub.push_back(logits[id]);
    std::vector<double> p = softmax(sub, 1.0);  // sorted, so p is non-increasing
    double cum = 0;
    size_t n = 0;
    while (n < order.size()) {
      cum += p[n++];
      if (cum >= top_p) break;
    }
    order.resize(n);
  }
  if (min_p > 0.0) {
    std::vector<float> sub;
    for (int id : order) sub.push_back(logits[id]);
    std::vector<double> p = softmax(sub, 1.0);
    std::vector<int> kept;
    for (size_t i = 0; i < order.size(); ++i)
      if (p[i] >= min_p * p[0]) kept.push_back(order[i]);
    order = kept;
  }
  std::vector<float> sub;
  for (int id : order) sub.push_back(logits[id]);
  std::vector<double> p = softmax(sub, temperature);
  std::map<int, double> out;
  for (size_t i = 0; i < order.size(); ++i) out[order[i]] = p[i];
  return out;
}

void expect_matches_reference(const SamplerConfig& cfg, const std::vector<float>& logits, int draws = 2000) {
  Sampler s(cfg);
  const auto dist = s.distribution(logits);
  const auto ref = reference(logits, cfg.top_k, cfg.top_p, cfg.min_p, cfg.temperature);
  ASSERT_EQ(dist.size(), ref.size()) << "top_k=" << cfg.top_k << " top_p=" << cfg.top_p << " min_p=" << cfg.min_p;
  for (const auto& tp : dist) {
    auto it = ref.find(tp.id);
    ASSERT_NE(it, ref.end()) << "token " << tp.id << " should have been excluded";
    EXPECT_NEAR(tp.probability, it->second, 1e-5) << "token " << tp.id;
  }
  // Drawing never leaves the kept set.
  for (int i = 0; i < draws; ++i) EXPECT_TRUE(ref.count(s.sample(logits))) << "draw " << i;
}

TEST(Sampler, GreedyIsArgmax) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    const auto logits = make_logits(1000, seed);
    const int expected = static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    Sampler s(plain(0.0f));
    EXPECT_EQ(s.sample(logits), expected);
    EXPECT_EQ(slm::greedy_token(logits), expected);
  }
}

TEST(Sampler, GreedyTiesGoToLowestId) {
  std::vector<float> logits = {0.5f, 2.0f, -1.0f, 2.0f, 2.0f};
  Sampler s(plain(0.0f));
  EXPECT_EQ(s.sample(logits), 1);
  logits[0] = NAN;  // NaN is never chosen
  logits[1] = NAN;
  EXPECT_EQ(s.sample(logits), 3);
}

TEST(Sampler, GreedyIgnoresTemperatureFilters) {
  SamplerConfig c;  // defaults: top-k 40, top-p 0.95, min-p 0.05
  c.temperature = 0.0f;
  const auto logits = make_logits(5000, 7);
  Sampler s(c);
  EXPECT_EQ(s.sample(logits), std::max_element(logits.begin(), logits.end()) - logits.begin());
}

TEST(Sampler, SameSeedSameTokens) {
  const auto logits = make_logits(300, 3, 2.0f);
  SamplerConfig c = plain(1.0f, 1234);
  Sampler a(c), b(c);
  std::vector<int> da, db;
  for (int i = 0; i < 500; ++i) {
    da.push_back(a.sample(logits));
    db.push_back(b.sample(logits));
  }
  EXPECT_EQ(da, db);
  a.reset();
  for (int i = 0; i < 500; ++i) EXPECT_EQ(a.sample(logits), da[i]) << "after reset, draw " << i;
  Sampler other(plain(1.0f, 1235));
  int differ = 0;
  for (int i = 0; i < 500; ++i) differ += other.sample(logits) != da[i];
  EXPECT_GT(differ, 100);  // a different seed is a different sequence
}

TEST(Sampler, UniformIsFixedByTheStandardGenerator) {
  // std::mt19937_64's 10000th output for the default seed is fixed by [rand.predef]: 9981545732273789042.
  // Our uniform is that generator's bits >> 11 scaled by 2^-53, so it is reproducible everywhere.
  SamplerConfig c = plain(1.0f, 5489u);
  Sampler s(c);
  double u = 0;
  for (int i = 0; i < 10000; ++i) u = s.next_uniform();
  EXPECT_EQ(u, static_cast<double>(9981545732273789042ull >> 11) * 0x1.0p-53);
}

// Pearson chi-square of observed counts against expected probabilities.
double chi_square(const std::vector<int>& counts, const std::vector<double>& p, int draws) {
  double chi = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    const double e = p[i] * draws;
    chi += (counts[i] - e) * (counts[i] - e) / e;
  }
  return chi;
}

TEST(Sampler, FrequenciesFollowSoftmaxOfLogitsOverTemperature) {
  const std::vector<float> logits = {1.0f, 0.2f, -0.5f, 2.0f, 0.0f, 1.5f, -1.0f, 0.7f};
  for (float t : {0.5f, 1.0f, 1.7f}) {
    Sampler s(plain(t, 42));
    const int draws = 200000;
    std::vector<int> counts(logits.size());
    for (int i = 0; i < draws; ++i) ++counts[s.sample(logits)];
    const auto p = softmax(logits, t);
    // 7 degrees of freedom: P(chi² > 24.3) = 0.001. The seed is fixed, so this cannot flake.
    EXPECT_LT(chi_square(counts, p, draws), 24.3) << "temperature " << t;
    for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(counts[i] / double(draws), p[i], 0.006) << "token " << i;
  }
}

TEST(Sampler, FrequenciesAfterTopKFollowRenormalisedSoftmax) {
  const std::vector<float> logits = {0.1f, 3.0f, 2.5f, -2.0f, 2.9f, 1.0f, 0.0f, 2.0f, -1.0f, 1.2f};
  SamplerConfig c = plain(0.8f, 9);
  c.top_k = 4;
  Sampler s(c);
  const auto ref = reference(logits, 4, 1.0, 0.0, 0.8);
  ASSERT_EQ(ref.size(), 4u);
  std::map<int, int> counts;
  const int draws = 100000;
  for (int i = 0; i < draws; ++i) ++counts[s.sample(logits)];
  std::vector<int> obs;
  std::vector<double> exp;
  for (const auto& [id, p] : ref) {
    obs.push_back(counts[id]);
    exp.push_back(p);
  }
  int total = 0;
  for (int o : obs) total += o;
  EXPECT_EQ(total, draws);  // nothing outside the top 4
  EXPECT_LT(chi_square(obs, exp, draws), 16.3);  // 3 dof, p = 0.001
}

TEST(Sampler, TopKKeepsTheKBest) {
  const auto logits = make_logits(2000, 11);
  for (int k : {1, 2, 5, 40, 1999, 2000, 5000}) {
    SamplerConfig c = plain(1.0f);
    c.top_k = k;
    expect_matches_reference(c, logits);
  }
}

TEST(Sampler, TopPKeepsTheSmallestPrefixReachingP) {
  const auto logits = make_logits(500, 12, 3.0f);
  for (float p : {0.05f, 0.3f, 0.5f, 0.9f, 0.99f}) {
    SamplerConfig c = plain(1.0f);
    c.top_p = p;
    expect_matches_reference(c, logits);
  }
}

TEST(Sampler, TopPOverAFlatLargeVocabulary) {
  // Nearly flat logits: the kept prefix runs to thousands of tokens.
  const auto logits = make_logits(20000, 14, 0.5f);
  for (float p : {0.5f, 0.9f}) {
    SamplerConfig c = plain(1.0f);
    c.top_p = p;
    expect_matches_reference(c, logits, 50);
    c.min_p = 0.7f;  // min-p cuts first here
    expect_matches_reference(c, logits, 50);
  }
}

TEST(Sampler, MinPKeepsTokensAboveAFractionOfTheBest) {
  const auto logits = make_logits(500, 13, 3.0f);
  for (float m : {0.01f, 0.05f, 0.2f, 0.6f, 1.0f}) {
    SamplerConfig c = plain(0.7f);
    c.min_p = m;
    expect_matches_reference(c, logits);
  }
}

TEST(Sampler, FullChainMatchesReference) {
  for (std::uint32_t seed = 20; seed < 30; ++seed) {
    const auto logits = make_logits(3000, seed, 6.0f);
    SamplerConfig c;  // llama.cpp defaults: top-k 40, top-p 0.95, min-p 0.05, temperature 0.8
    c.seed = seed;
    expect_matches_reference(c, logits);
    c.top_k = 100;
    c.top_p = 0.7f;
    c.min_p = 0.1f;
    c.temperature = 1.3f;
    expect_matches_reference(c, logits);
    c.top_k = 0;  // no top-k: top-p and min-p over the whole vocabulary
    c.top_p = 0.9f;
    c.min_p = 0.02f;
    expect_matches_reference(c, logits);
  }
}

TEST(Sampler, RepeatPenaltyDividesPositiveAndMultipliesNegativeLogits) {
  // Token 0 wins without penalty; penalising it (logit 2.0 / 2 = 1.0) lets token 1 (1.5) win.
  std::vector<float> logits = {2.0f, 1.5f, -0.5f, -0.6f};
  SamplerConfig c = plain(0.0f);
  c.repeat_penalty = 2.0f;
  c.repeat_last_n = 64;
  Sampler s(c);
  EXPECT_EQ(s.sample(logits), 0);
  s.accept(0);
  EXPECT_EQ(s.sample(logits), 1);

  // Negative logits are multiplied: -0.5 · 2 = -1.0 falls below -0.6.
  std::vector<float> neg = {-0.5f, -0.6f, -3.0f};
  Sampler n(c);
  n.accept(0);
  EXPECT_EQ(n.sample(neg), 1);

  // The probabilities reflect the penalised logits exactly.
  SamplerConfig t = plain(1.0f);
  t.repeat_penalty = 1.5f;
  Sampler p(t);
  p.accept(0);
  p.accept(2);
  p.accept(0);  // repeated: still penalised once
  const auto dist = p.distribution(logits);
  const std::vector<float> penalised = {2.0f / 1.5f, 1.5f, -0.5f * 1.5f, -0.6f};
  const auto expect = softmax(penalised, 1.0);
  ASSERT_EQ(dist.size(), 4u);
  for (const auto& tp : dist) EXPECT_NEAR(tp.probability, expect[tp.id], 1e-6) << tp.id;
}

TEST(Sampler, RepeatPenaltyWindowForgetsOldTokens) {
  std::vector<float> logits = {2.0f, 1.5f, 0.0f};
  SamplerConfig c = plain(0.0f);
  c.repeat_penalty = 4.0f;
  c.repeat_last_n = 2;
  Sampler s(c);
  s.accept(0);
  EXPECT_EQ(s.sample(logits), 1);
  s.accept(2);
  EXPECT_EQ(s.sample(logits), 1);  // 0 still in the last 2
  s.accept(2);
  EXPECT_EQ(s.sample(logits), 0);  // 0 has left the window
  c.repeat_last_n = 0;             // off
  Sampler off(c);
  off.accept(0);
  EXPECT_EQ(off.sample(logits), 0);
}

TEST(Sampler, RejectsBadConfigAndBadLogits) {
  SamplerConfig c;
  c.top_k = -1;
  EXPECT_THROW(Sampler{c}, slm::Error);
  c = {};
  c.top_p = 0.0f;
  EXPECT_THROW(Sampler{c}, slm::Error);
  c = {};
  c.min_p = 1.5f;
  EXPECT_THROW(Sampler{c}, slm::Error);
  c = {};
  c.repeat_penalty = 0.0f;
  EXPECT_THROW(Sampler{c}, slm::Error);
  Sampler s(SamplerConfig{});
  EXPECT_THROW(s.sample(std::vector<float>{}), slm::Error);
  EXPECT_THROW(s.sample(std::vector<float>{NAN, NAN}), slm::Error);
}

}  // namespace
