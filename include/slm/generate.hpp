#pragma once
// generate(): evaluate a prompt, then sample tokens one at a time, streaming their text.
//
//   slm::Model model = slm::Model::load(path);
//   slm::Session session(model);
//   auto prompt = model.tokenizer().encode("The capital of France is");
//   slm::generate(session, model.tokenizer(), prompt, {.max_tokens = 32},
//                 [](std::string_view piece) { std::fputs(std::string(piece).c_str(), stdout); return true; });
//
// Every sampled token other than an end-of-generation token is appended to the session before its
// text is passed on, so after generate() returns the session holds prompt + generated tokens and a
// conversation can continue from there. Text is streamed in whole UTF-8 characters (a character
// split across tokens is held back until complete), and text that might be the start of a stop
// string is held back until it is known not to be one.

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "slm/sampler.hpp"

namespace slm {

class Session;
class Tokenizer;

struct GenerateOptions {
  int max_tokens = 256;             // at most this many generated tokens; < 0 → until the context is full
  SamplerConfig sampler;            // used when generate() makes its own Sampler
  std::vector<std::string> stop;    // stop when the text contains one of these (it is not emitted)
  bool stop_at_end_of_generation = true;  // stop at EOS/EOT tokens (Tokenizer::is_end_of_generation)
  // Set to true (from any thread) to stop: checked before the prompt is evaluated and before
  // each token. Generation then ends with StopReason::Cancelled; the session holds what was
  // evaluated so far and stays usable. Must outlive the generate() call.
  const std::atomic<bool>* cancel = nullptr;
};

enum class StopReason {
  MaxTokens,        // max_tokens reached
  EndOfGeneration,  // the model produced an end-of-generation token
  StopString,       // a stop string appeared
  Callback,         // on_piece returned false
  ContextFull,      // the session has no room for another token
  Cancelled,        // GenerateOptions::cancel was set
};
const char* to_string(StopReason r) noexcept;

struct GenerateStats {
  int prompt_tokens = 0;
  double prompt_seconds = 0;        // prefill of the prompt
  int generated_tokens = 0;         // tokens appended to the session after the prompt
  double generation_seconds = 0;    // sampling + decoding of those tokens
  double prompt_tokens_per_second = 0;
  double tokens_per_second = 0;     // generated_tokens / generation_seconds
  int words = 0;                    // whitespace-separated words in `text`
  double words_per_second = 0;
  StopReason stop_reason = StopReason::MaxTokens;
  std::string text;                 // everything passed to on_piece, concatenated
  std::vector<std::int32_t> tokens; // the generated tokens appended to the session
};

// Called with each new piece of text; return false to stop generating.
using PieceCallback = std::function<bool(std::string_view piece)>;

// Evaluates `prompt_tokens` (may be empty when the session already holds tokens: generation
// then continues from its last logits) and generates with a Sampler made from options.sampler.
// Throws slm::Error: Argument (empty prompt on an empty session, bad sampler settings),
// ContextFull (the prompt does not fit). Running out of context while generating is not an
// error: it ends generation with StopReason::ContextFull.
GenerateStats generate(Session& session, const Tokenizer& tokenizer, std::span<const std::int32_t> prompt_tokens,
                       const GenerateOptions& options, const PieceCallback& on_piece);

// Same, with a caller-owned Sampler (its random state and penalty window carry over between
// calls, e.g. across the turns of a chat). options.sampler is ignored.
GenerateStats generate(Session& session, const Tokenizer& tokenizer, std::span<const std::int32_t> prompt_tokens,
                       const GenerateOptions& options, Sampler& sampler, const PieceCallback& on_piece);

// Number of maximal runs of non-whitespace bytes (ASCII whitespace separates words).
int count_words(std::string_view text) noexcept;

}  // namespace slm
