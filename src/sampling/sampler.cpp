#include "slm/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

#include "slm/error.hpp"

namespace slm {
namespace {

[[noreturn]] void bad_config(const std::string& what) {
  throw Error(Error::Kind::Argument, "sampler: " + what, {}, "SamplerConfig");
}

}  // namespace

std::int32_t greedy_token(std::span<const float> logits) {
  std::int32_t best = -1;
  float best_logit = 0.0f;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const float l = logits[i];
    if (std::isnan(l)) continue;
    // Strictly greater keeps the first (lowest) id among equal maxima.
    if (best < 0 || l > best_logit) {
      best = static_cast<std::int32_t>(i);
      best_logit = l;
    }
  }
  if (best < 0) throw Error(Error::Kind::Argument, "sampler: no usable logit (empty or all NaN)");
  return best;
}

Sampler::Sampler(const SamplerConfig& config) : config_(config), rng_(config.seed) {
  if (std::isnan(config.temperature)) bad_config("temperature is NaN");
  if (config.top_k < 0) bad_config("top_k must be >= 0 (0 = off), got " + std::to_string(config.top_k));
  if (!(config.top_p > 0.0f && config.top_p <= 1.0f))
    bad_config("top_p must be in (0, 1], got " + std::to_string(config.top_p));
  if (!(config.min_p >= 0.0f && config.min_p <= 1.0f))
    bad_config("min_p must be in [0, 1], got " + std::to_string(config.min_p));
  if (!(config.repeat_penalty > 0.0f) || std::isinf(config.repeat_penalty))
    bad_config("repeat_penalty must be a positive number, got " + std::to_string(config.repeat_penalty));
  if (config.repeat_last_n < -1)
    bad_config("repeat_last_n must be >= -1 (-1 = all), got " + std::to_string(config.repeat_last_n));
}

void Sampler::accept(std::int32_t token) {
  if (config_.repeat_last_n == 0) return;
  recent_.push_back(token);
  if (config_.repeat_last_n > 0 && recent_.size() > static_cast<std::size_t>(config_.repeat_last_n))
    recent_.pop_front();
}

void Sampler::reset() {
  recent_.clear();
  rng_.seed(config_.seed);
}

double Sampler::next_uniform() {
  // 53 random bits scaled by 2^-53: every double in [0, 1) on that grid is equally likely.
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

std::vector<Sampler::Candidate> Sampler::penalised(std::span<const float> logits) const {
  std::vector<Candidate> cands;
  cands.reserve(logits.size());
  for (std::size_t i = 0; i < logits.size(); ++i) {
    // NaN and -inf can never be drawn; dropping them keeps the sorts total orders.
    if (std::isnan(logits[i]) || logits[i] == -INFINITY) continue;
    cands.push_back({static_cast<std::int32_t>(i), logits[i]});
  }
  if (cands.empty()) throw Error(Error::Kind::Argument, "sampler: no usable logit (empty, NaN or -inf)");
  if (config_.repeat_penalty != 1.0f && !recent_.empty()) {
    // Each distinct recent token is penalised once, however often it occurred (llama.cpp semantics).
    // Dividing a negative logit would make the token MORE likely, hence the multiply below zero.
    std::unordered_set<std::int32_t> seen(recent_.begin(), recent_.end());
    for (auto& c : cands) {
      if (!seen.count(c.id)) continue;
      c.logit = c.logit <= 0.0f ? c.logit * config_.repeat_penalty : c.logit / config_.repeat_penalty;
    }
  }
  return cands;
}

std::vector<TokenProbability> Sampler::distribution(std::span<const float> logits) const {
  std::vector<Candidate> cands = penalised(logits);
  // Most likely first, ties → lower id: a total order, so results do not depend on the sort algorithm.
  const auto better = [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };

  if (config_.temperature <= 0.0f) {
    const auto best = std::min_element(cands.begin(), cands.end(), better);
    return {{best->id, 1.0f}};
  }

  if (config_.top_k > 0 && static_cast<std::size_t>(config_.top_k) < cands.size()) {
    std::nth_element(cands.begin(), cands.begin() + config_.top_k - 1, cands.end(), better);
    cands.resize(static_cast<std::size_t>(config_.top_k));
  }
  std::sort(cands.begin(), cands.end(), better);
  const float max_logit = cands.front().logit;  // finite: +inf would make every softmax NaN
  if (std::isinf(max_logit)) {
    return {{cands.front().id, 1.0f}};
  }

  if (config_.top_p < 1.0f) {
    // Probabilities at temperature 1, as llama.cpp's top-p sees them (temperature comes later).
    double sum = 0.0;
    for (const auto& c : cands) sum += std::exp(static_cast<double>(c.logit) - max_logit);
    double cum = 0.0;
    std::size_t keep = cands.size();
    for (std::size_t i = 0; i < cands.size(); ++i) {
      cum += std::exp(static_cast<double>(cands[i].logit) - max_logit) / sum;
      if (cum >= config_.top_p) {
        keep = i + 1;
        break;
      }
    }
    cands.resize(keep);
  }

  if (config_.min_p > 0.0f) {
    // p_i ≥ min_p · p_max  ⇔  logit_i ≥ logit_max + ln(min_p); the first token always stays.
    const double min_logit = max_logit + std::log(static_cast<double>(config_.min_p));
    std::size_t keep = 1;
    while (keep < cands.size() && cands[keep].logit >= min_logit) ++keep;
    cands.resize(keep);
  }

  std::vector<TokenProbability> out;
  out.reserve(cands.size());
  const double inv_t = 1.0 / config_.temperature;
  double sum = 0.0;
  std::vector<double> weights(cands.size());
  for (std::size_t i = 0; i < cands.size(); ++i) {
    weights[i] = std::exp((static_cast<double>(cands[i].logit) - max_logit) * inv_t);
    sum += weights[i];
  }
  for (std::size_t i = 0; i < cands.size(); ++i)
    out.push_back({cands[i].id, static_cast<float>(weights[i] / sum)});
  return out;
}

std::int32_t Sampler::sample(std::span<const float> logits) {
  if (config_.temperature <= 0.0f) {
    if (config_.repeat_penalty == 1.0f || recent_.empty()) return greedy_token(logits);
    return distribution(logits).front().id;
  }
  const std::vector<TokenProbability> dist = distribution(logits);
  const double target = next_uniform();
  double cum = 0.0;
  for (const auto& tp : dist) {
    cum += tp.probability;
    if (target < cum) return tp.id;
  }
  return dist.back().id;  // only reachable through rounding when target ≈ 1
}

}  // namespace slm
