#pragma once
// slm::Session — one sequence being evaluated over a Model: the KV cache, scratch buffers and
// a thread pool. Any number of independent sessions may share one Model. A Session itself is
// not thread-safe (one caller at a time); it uses its own worker threads internally, and the
// calling thread does a share of the work: it needs an ordinary stack (the matmul kernels keep up
// to ~330 KiB of scratch on the stack; glibc's default thread stack is 8 MiB).
//
//   slm::Session s(model, {.n_ctx = 2048});
//   auto logits = s.prefill(prompt_tokens);   // [n_vocab] logits after the last prompt token
//   logits = s.decode(next_token);            // one more token
//
// Returned spans point into the session and stay valid until the next call that evaluates
// tokens or resets the session.
//
// Memory is allocated once, in the constructor (KV cache sized from n_ctx, scratch sized from
// n_batch). Evaluating tokens allocates nothing, except evaluate(..., all_logits=true), which
// grows one logits buffer to [n_tokens][n_vocab] when needed.

#include <cstdint>
#include <memory>
#include <span>

#include "slm/model.hpp"

namespace slm {

using TokenId = std::int32_t;
class TraceObserver;  // slm/trace.hpp

enum class KvType { F32, F16 };  // element type of the KV cache

// How weight matrices are multiplied.
enum class MatmulPath {
  // Activations are quantized once per matmul input to the weight type's activation format
  // (Q8_0/Q8_1/Q8_K) and multiplied with integer dot products, and GELU is rounded through
  // fp16: llama.cpp's CPU rounding, so logits track llama.cpp's most closely.
  Integer,
  // f32 activations, weights dequantized on the fly, exact GELU: the model's math in f32.
  Float,
};

struct SessionOptions {
  int n_ctx = 0;       // tokens the session can hold; 0 = min(context_length, 4096)
  int threads = 0;     // 0 = the model's LoadOptions::threads (0 there = hardware concurrency)
  KvType kv_type = KvType::F32;
  MatmulPath matmul = MatmulPath::Integer;
  int n_batch = 512;   // tokens evaluated per forward pass; longer inputs are split
  // Refuse (slm::Error Resource, in the constructor, before allocating) a KV cache plus scratch
  // buffers larger than this; 0 = the memory available (/proc/meminfo MemAvailable + SwapFree).
  std::uint64_t max_memory_bytes = 0;
};

class Session {
 public:
  // Throws slm::Error(Argument) for invalid options (n_ctx < 1 or > context_length, ...).
  explicit Session(Model model, const SessionOptions& options = {});
  ~Session();
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Appends `tokens` at position() (the whole batch at once) and returns the logits
  // [n_vocab] of the last one. Throws Error(ContextFull) if they do not fit (nothing is
  // evaluated then), Error(Argument) for an empty span or a token id outside the vocabulary,
  // Error(Format) if a logit comes out NaN or Inf (weights holding or producing non-finite
  // values): the tokens are then taken back (position() unchanged, logits() empty until the
  // next successful call) and the session stays usable. Error(Io) if the file of a mapped model
  // was cut short since loading (detected when a token's embedding row is read from it).
  std::span<const float> prefill(std::span<const TokenId> tokens);
  // Appends one token; returns its logits [n_vocab].
  std::span<const float> decode(TokenId token);
  // As prefill; with all_logits the result is [tokens.size()][n_vocab], row i holding the
  // logits after tokens[0..i] (what perplexity and the golden tests need).
  std::span<const float> evaluate(std::span<const TokenId> tokens, bool all_logits);

  // Logits of the last evaluated token (empty before the first call).
  std::span<const float> logits() const noexcept;

  void reset() noexcept;           // forget every token; keeps the allocations
  int position() const noexcept;   // tokens held so far
  int n_ctx() const noexcept;      // capacity
  int n_vocab() const noexcept;
  const Model& model() const noexcept;
  const SessionOptions& options() const noexcept;  // with the defaults resolved
  // Calls `observer` at the named points of every following forward pass (slm/trace.hpp);
  // nullptr detaches. The observer must outlive its attachment.
  void set_observer(TraceObserver* observer) noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

const char* to_string(KvType t) noexcept;
const char* to_string(MatmulPath p) noexcept;

}  // namespace slm
