// The generation loop: prefill, then sample → append → stream until a stop condition.
#include "slm/generate.hpp"

#include <chrono>
#include <string>

#include "api/stop_filter.hpp"
#include "slm/error.hpp"
#include "slm/session.hpp"
#include "slm/tokenizer.hpp"

namespace slm {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

const char* to_string(StopReason r) noexcept {
  switch (r) {
    case StopReason::MaxTokens: return "max-tokens";
    case StopReason::EndOfGeneration: return "end-of-generation";
    case StopReason::StopString: return "stop-string";
    case StopReason::Callback: return "callback";
    case StopReason::ContextFull: return "context-full";
    case StopReason::Cancelled: return "cancelled";
  }
  return "?";
}

int count_words(std::string_view text) noexcept {
  int words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = is_space(c);
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

GenerateStats generate(Session& session, const Tokenizer& tokenizer, std::span<const std::int32_t> prompt_tokens,
                       const GenerateOptions& options, const PieceCallback& on_piece) {
  Sampler sampler(options.sampler);
  return generate(session, tokenizer, prompt_tokens, options, sampler, on_piece);
}

GenerateStats generate(Session& session, const Tokenizer& tokenizer, std::span<const std::int32_t> prompt_tokens,
                       const GenerateOptions& options, Sampler& sampler, const PieceCallback& on_piece) {
  GenerateStats stats;
  const auto cancelled = [&] { return options.cancel && options.cancel->load(std::memory_order_relaxed); };
  if (cancelled()) {
    stats.stop_reason = StopReason::Cancelled;
    return stats;
  }
  std::span<const float> logits;
  const auto t_prompt = Clock::now();
  if (prompt_tokens.empty()) {
    if (session.position() == 0)
      throw Error(Error::Kind::Argument, "generate: empty prompt and the session holds no tokens");
    logits = session.logits();
  } else {
    logits = session.prefill(prompt_tokens);
  }
  stats.prompt_seconds = seconds_since(t_prompt);
  stats.prompt_tokens = static_cast<int>(prompt_tokens.size());
  // The prompt counts for the repetition penalty, as in llama.cpp.
  for (std::int32_t t : prompt_tokens) sampler.accept(t);

  detail::StopFilter stop(options.stop);
  Utf8Stream utf8;
  const auto emit = [&](const std::string& text) {
    if (text.empty()) return true;
    stats.text += text;
    return on_piece ? on_piece(text) : true;
  };

  const auto t_gen = Clock::now();
  bool keep_going = true;
  while (keep_going) {
    if (options.max_tokens >= 0 && stats.generated_tokens >= options.max_tokens) {
      stats.stop_reason = StopReason::MaxTokens;
      break;
    }
    if (cancelled()) {
      stats.stop_reason = StopReason::Cancelled;
      break;
    }
    const std::int32_t token = sampler.sample(logits);
    if (options.stop_at_end_of_generation && tokenizer.is_end_of_generation(token)) {
      stats.stop_reason = StopReason::EndOfGeneration;
      break;
    }
    if (session.position() >= session.n_ctx()) {
      stats.stop_reason = StopReason::ContextFull;
      break;
    }
    sampler.accept(token);
    logits = session.decode(token);
    ++stats.generated_tokens;
    stats.tokens.push_back(token);

    const std::string shown = stop.push(utf8.push(tokenizer.token_to_piece(token, false)));
    keep_going = emit(shown);
    if (stop.stopped()) {
      stats.stop_reason = StopReason::StopString;
      break;
    }
    if (!keep_going) stats.stop_reason = StopReason::Callback;
  }
  if (stats.stop_reason != StopReason::Callback && stats.stop_reason != StopReason::StopString) {
    // Release what was held back: an incomplete character, or a stop-string prefix that never completed.
    std::string tail = stop.push(utf8.flush());
    if (stop.stopped()) stats.stop_reason = StopReason::StopString;
    tail += stop.flush();
    if (!emit(tail)) stats.stop_reason = StopReason::Callback;
  }
  stats.generation_seconds = seconds_since(t_gen);

  if (stats.prompt_seconds > 0) stats.prompt_tokens_per_second = stats.prompt_tokens / stats.prompt_seconds;
  if (stats.generation_seconds > 0) stats.tokens_per_second = stats.generated_tokens / stats.generation_seconds;
  stats.words = count_words(stats.text);
  if (stats.generation_seconds > 0) stats.words_per_second = stats.words / stats.generation_seconds;
  return stats;
}

}  // namespace slm
