#pragma once
// Perplexity of a model on a text, by llama.cpp's `llama-perplexity` method
// (docs/perplexity-reference.md has the method and llama.cpp's results on the real models):
//
//   slm::PerplexityResult r = slm::perplexity(model, text, {.n_ctx = 512});
//
//  1. The text (one trailing newline dropped) is tokenized once with BOS/EOS as the vocabulary
//     asks (add_special), special-token text not parsed.
//  2. It is cut into floor(n_tokens / n_ctx) chunks of n_ctx tokens; the tail is ignored.
//  3. Each chunk is evaluated from an empty cache; if the model adds BOS, the chunk's first token
//     is replaced by BOS.
//  4. Only the second half is scored: logits at positions n_ctx/2 .. n_ctx-2 predict the next
//     token (n_ctx/2 - 1 tokens per chunk). PPL = exp(mean NLL).

#include <atomic>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "slm/session.hpp"

namespace slm {

struct PerplexityOptions {
  int n_ctx = 512;       // chunk length (>= 4)
  int max_chunks = 0;    // evaluate at most this many chunks; 0 = all
  int threads = 0;       // session threads (0: the model's default)
  KvType kv_type = KvType::F32;
  MatmulPath matmul = MatmulPath::Integer;
  int n_batch = 0;       // tokens per forward pass; 0 = n_ctx (one pass per chunk)
  // Called after each chunk (for a progress display): chunks done, chunks in all, PPL so far,
  // seconds since the first chunk started.
  std::function<void(int done, int n_chunks, double running_ppl, double seconds)> on_chunk = nullptr;
  // Set to true (from any thread) to stop after the chunk under way: the result covers the
  // chunks done (at least the first) and says it was cancelled.
  const std::atomic<bool>* cancel = nullptr;
};

struct PerplexityResult {
  std::int64_t n_tokens = 0;    // tokens of the whole text
  int n_chunks = 0;             // chunks evaluated
  std::int64_t n_scored = 0;    // tokens scored
  double ppl = 0;
  double ppl_error = 0;         // PPL * sqrt(var(nll) / (n_scored - 1)), as llama.cpp prints it
  double mean_nll = 0;
  std::vector<double> ppl_after_chunk;  // cumulative PPL after each chunk
  bool cancelled = false;       // PerplexityOptions::cancel stopped it before the last chunk
  double seconds = 0;           // evaluation time (tokenization excluded)
};

// Throws slm::Error(Argument) if n_ctx < 4, n_ctx exceeds the model's context, or the text has
// fewer than n_ctx tokens.
PerplexityResult perplexity(const Model& model, std::string_view text, const PerplexityOptions& options = {});

}  // namespace slm
