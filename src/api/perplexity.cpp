// perplexity(): llama.cpp's chunked, second-half-scored perplexity (method in perplexity.hpp).
#include "slm/perplexity.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "slm/error.hpp"
#include "slm/tokenizer.hpp"

namespace slm {

PerplexityResult perplexity(const Model& model, std::string_view text, const PerplexityOptions& options) {
  const int n_ctx = options.n_ctx;
  if (n_ctx < 4) throw Error(Error::Kind::Argument, "perplexity: n_ctx must be >= 4, got " + std::to_string(n_ctx));
  if (n_ctx > model.hparams().n_ctx_train)
    throw Error(Error::Kind::Argument, "perplexity: n_ctx " + std::to_string(n_ctx) + " exceeds the context length " +
                                           std::to_string(model.hparams().n_ctx_train));
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);  // as llama.cpp's -f does
  const Tokenizer& tok = model.tokenizer();
  const std::vector<std::int32_t> tokens = tok.encode(text, /*add_special=*/true, /*parse_special=*/false);

  PerplexityResult r;
  r.n_tokens = std::int64_t(tokens.size());
  int n_chunks = int(tokens.size() / std::size_t(n_ctx));
  if (n_chunks == 0)
    throw Error(Error::Kind::Argument, "perplexity: the text has " + std::to_string(tokens.size()) +
                                           " tokens, fewer than n_ctx " + std::to_string(n_ctx));
  if (options.max_chunks > 0) n_chunks = std::min(n_chunks, options.max_chunks);

  Session session(model, {.n_ctx = n_ctx, .threads = options.threads, .kv_type = options.kv_type,
                          .matmul = options.matmul,
                          .n_batch = options.n_batch > 0 ? std::min(options.n_batch, n_ctx) : n_ctx});
  const int n_vocab = session.n_vocab();
  const int first = n_ctx / 2;
  double sum = 0, sum_sq = 0;  // of the NLLs, in double: thousands of terms
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::int32_t> chunk(static_cast<std::size_t>(n_ctx));
  int c = 0;
  for (; c < n_chunks; ++c) {
    if (c > 0 && options.cancel && options.cancel->load(std::memory_order_relaxed)) {
      r.cancelled = true;
      break;
    }
    std::copy_n(tokens.begin() + std::ptrdiff_t(c) * n_ctx, n_ctx, chunk.begin());
    if (tok.add_bos()) chunk[0] = tok.bos();
    session.reset();
    const std::span<const float> logits = session.evaluate(chunk, /*all_logits=*/true);
    for (int i = first; i < n_ctx - 1; ++i) {
      const float* row = logits.data() + std::size_t(i) * std::size_t(n_vocab);
      const float mx = *std::max_element(row, row + n_vocab);
      double z = 0;
      for (int v = 0; v < n_vocab; ++v) z += std::exp(double(row[v]) - mx);
      const double nll = double(mx) + std::log(z) - double(row[chunk[std::size_t(i) + 1]]);
      sum += nll;
      sum_sq += nll * nll;
      ++r.n_scored;
    }
    r.ppl_after_chunk.push_back(std::exp(sum / double(r.n_scored)));
    if (options.on_chunk)
      options.on_chunk(c + 1, n_chunks, r.ppl_after_chunk.back(),
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.n_chunks = c;
  r.mean_nll = sum / double(r.n_scored);
  r.ppl = std::exp(r.mean_nll);
  if (r.n_scored > 1) {
    const double var = sum_sq / double(r.n_scored) - r.mean_nll * r.mean_nll;
    r.ppl_error = r.ppl * std::sqrt(std::max(0.0, var) / double(r.n_scored - 1));
  }
  return r;
}

}  // namespace slm
