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

namespace {

struct Candidate {
  std::int32_t id;
  float logit;
};

// Most likely first, ties → lower id: a total order, so results never depend on the algorithm.
bool better(const Candidate& a, const Candidate& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

// NaN and -inf can never be drawn; skipping them keeps every comparison a total order.
bool usable(float l) { return !std::isnan(l) && l != -INFINITY; }

// The k best of `logits` in one pass: a heap whose top is the worst kept candidate, so most
// entries cost one comparison. O(n log k) against O(n) memory traffic for building all n.
std::vector<Candidate> top_k_of(std::span<const float> logits, std::size_t k) {
  std::vector<Candidate> heap;
  heap.reserve(k + 1);
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const float l = logits[i];
    if (!usable(l)) continue;
    const Candidate c{static_cast<std::int32_t>(i), l};
    if (heap.size() < k) {
      heap.push_back(c);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (l > heap.front().logit) {  // equal logits: the earlier (lower) id already won
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = c;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  }
  std::sort(heap.begin(), heap.end(), better);
  return heap;
}

}  // namespace

std::span<const float> Sampler::penalised(std::span<const float> logits) {
  if (config_.repeat_penalty == 1.0f || recent_.empty()) return logits;
  // Each distinct recent token is penalised once, however often it occurred (llama.cpp semantics).
  // Dividing a negative logit would make the token MORE likely, hence the multiply below zero.
  scratch_.assign(logits.begin(), logits.end());
  std::unordered_set<std::int32_t> seen(recent_.begin(), recent_.end());
  for (std::int32_t id : seen) {
    if (id < 0 || static_cast<std::size_t>(id) >= scratch_.size()) continue;
    float& l = scratch_[static_cast<std::size_t>(id)];
    l = l <= 0.0f ? l * config_.repeat_penalty : l / config_.repeat_penalty;
  }
  return scratch_;
}

std::vector<TokenProbability> Sampler::distribution(std::span<const float> raw_logits) {
  const std::span<const float> logits = penalised(raw_logits);
  if (config_.temperature <= 0.0f) return {{greedy_token(logits), 1.0f}};

  // The top-k set S (every usable token when top-k is off), most likely first where sorted.
  std::vector<Candidate> cands;
  bool sorted = false;
  if (config_.top_k > 0 && static_cast<std::size_t>(config_.top_k) < logits.size()) {
    cands = top_k_of(logits, static_cast<std::size_t>(config_.top_k));
    sorted = true;
  } else {
    cands.reserve(logits.size());
    for (std::size_t i = 0; i < logits.size(); ++i)
      if (usable(logits[i])) cands.push_back({static_cast<std::int32_t>(i), logits[i]});
  }
  if (cands.empty()) throw Error(Error::Kind::Argument, "sampler: no usable logit (empty, NaN or -inf)");
  float max_logit = cands.front().logit;
  for (const auto& c : cands) max_logit = std::max(max_logit, c.logit);
  if (std::isinf(max_logit)) {  // +inf: that token is certain (softmax would be NaN)
    return {{std::min_element(cands.begin(), cands.end(), better)->id, 1.0f}};
  }

  // top-p and min-p both keep a prefix of S in sorted order and both keep its first token, so the
  // result of top-p then min-p (llama.cpp's order) is the shorter prefix. top-p's probabilities
  // are at temperature 1 over all of S, so that sum comes first; min-p (p_i ≥ min_p · p_max ⇔
  // logit_i ≥ logit_max + ln min_p) then shrinks what has to be sorted.
  double norm = 0.0;
  if (config_.top_p < 1.0f)
    for (const auto& c : cands) norm += std::exp(static_cast<double>(c.logit) - max_logit);
  if (config_.min_p > 0.0f) {
    const double min_logit = max_logit + std::log(static_cast<double>(config_.min_p));
    std::erase_if(cands, [&](const Candidate& c) { return c.logit < min_logit; });  // never the max
  }
  if (config_.top_p < 1.0f) {
    // Sort a growing head until the running sum reaches p (the tail rarely matters).
    std::size_t head = std::min<std::size_t>(cands.size(), 256);
    for (;;) {
      if (!sorted) {
        std::nth_element(cands.begin(), cands.begin() + (head - 1), cands.end(), better);
        std::sort(cands.begin(), cands.begin() + head, better);
      }
      double cum = 0.0;
      std::size_t keep = 0;
      while (keep < head) {
        cum += std::exp(static_cast<double>(cands[keep++].logit) - max_logit) / norm;
        if (cum >= config_.top_p) break;
      }
      if (cum >= config_.top_p || head == cands.size()) {
        cands.resize(keep);
        sorted = true;
        break;
      }
      head = std::min(cands.size(), head * 8);
    }
  }
  if (!sorted) std::sort(cands.begin(), cands.end(), better);

  std::vector<TokenProbability> out;
  out.reserve(cands.size());
  const double inv_t = 1.0 / config_.temperature;
  std::vector<double> weights(cands.size());
  double sum = 0.0;
  for (std::size_t i = 0; i < cands.size(); ++i) {
    weights[i] = std::exp((static_cast<double>(cands[i].logit) - max_logit) * inv_t);
    sum += weights[i];
  }
  for (std::size_t i = 0; i < cands.size(); ++i) out.push_back({cands[i].id, static_cast<float>(weights[i] / sum)});
  return out;
}

std::int32_t Sampler::sample(std::span<const float> logits) {
  if (config_.temperature <= 0.0f) return greedy_token(penalised(logits));
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
