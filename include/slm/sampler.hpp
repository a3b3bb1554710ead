#pragma once
// Sampler: turns a row of logits into the next token.
//
// The chain follows llama.cpp's default order so that the same settings mean the same thing:
//   repetition penalty → top-k → top-p → min-p → temperature → draw.
// temperature <= 0 is greedy decoding: the argmax of the (penalised) logits, ties → lowest id.
// The random source is a std::mt19937_64 (its output sequence is fixed by the C++ standard) and
// uniforms are made from its bits here, never through std::*_distribution (implementation-defined),
// so a seed gives the same tokens on every platform and standard library.

#include <cstdint>
#include <deque>
#include <random>
#include <span>
#include <vector>

namespace slm {

struct SamplerConfig {
  float temperature = 0.8f;     // 0 (or less) → greedy
  int top_k = 40;               // keep the k most likely tokens; 0 → off
  float top_p = 0.95f;          // keep the smallest prefix with cumulative probability ≥ p; 1 → off
  float min_p = 0.05f;          // keep tokens with p ≥ min_p · p_max; 0 → off
  float repeat_penalty = 1.0f;  // logits of recent tokens: / penalty if > 0, · penalty if ≤ 0; 1 → off
  int repeat_last_n = 64;       // how many recent tokens the penalty looks at; 0 → off, -1 → all
  std::uint64_t seed = 0;
};

// One surviving candidate of the chain, with its probability after temperature.
struct TokenProbability {
  std::int32_t id;
  float probability;
};

class Sampler {
 public:
  // Throws slm::Error (Argument) for values outside their domain (negative top_k, top_p ∉ (0,1], ...).
  explicit Sampler(const SamplerConfig& config);

  const SamplerConfig& config() const noexcept { return config_; }

  // Picks a token from `logits` (one value per vocabulary entry). Does not record it: call accept().
  // Throws slm::Error (Argument) on empty logits or when every logit is NaN.
  std::int32_t sample(std::span<const float> logits);

  // Records a token (prompt or generated) for the repetition penalty window.
  void accept(std::int32_t token);
  // Forgets the recorded tokens and restarts the random sequence from the seed.
  void reset();

  // The candidates that survive penalties, top-k, top-p and min-p, most likely first (ties → lower
  // id), with probabilities softmax(logit / temperature) renormalised over the survivors.
  // Greedy mode returns the single argmax with probability 1. sample() draws from exactly this.
  // (Not const: penalties are applied in a scratch buffer the sampler keeps.)
  std::vector<TokenProbability> distribution(std::span<const float> logits);

  // A uniform double in [0, 1) from the next 53 bits of the generator (exposed for tests).
  double next_uniform();

 private:
  // `logits` with the repetition penalty applied (a copy in scratch_ when there is one to apply).
  std::span<const float> penalised(std::span<const float> logits);

  SamplerConfig config_;
  std::mt19937_64 rng_;
  std::deque<std::int32_t> recent_;  // the last repeat_last_n accepted tokens, oldest first
  std::vector<float> scratch_;       // penalised logits [n_vocab]
};

// argmax with ties → lowest id; NaN entries are skipped. Throws slm::Error (Argument) if none is usable.
std::int32_t greedy_token(std::span<const float> logits);

}  // namespace slm
