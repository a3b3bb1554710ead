// Session: options, the forward pass over a batch (embed -> blocks -> norm -> LM head), and
// the public prefill/decode/evaluate entry points.
#include "slm/session.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>
#include <thread>

#include "runtime/state.hpp"
#include "slm/error.hpp"
#include "util/memory.hpp"

namespace slm {
namespace {

// An upper bound of what State allocates (KV cache as if no layer were sliding-window, scratch
// buffers, logits), checked before allocating so that an n_ctx too large for the machine is a
// clear Error(Resource) instead of std::bad_alloc or the OOM killer.
void check_session_memory(const Model::Impl& m, const SessionOptions& o) {
  const HParams& hp = m.hparams;
  const std::uint64_t elem = o.kv_type == KvType::F16 ? 2 : 4;
  const std::uint64_t kv_dim = std::uint64_t(hp.n_head_kv * hp.head_dim), q_dim = std::uint64_t(hp.n_head * hp.head_dim);
  const std::uint64_t kv = 2 * std::uint64_t(hp.n_layer) * std::uint64_t(o.n_ctx) * kv_dim * elem;
  const std::uint64_t per_token = 4 * (2 * std::uint64_t(hp.n_embd) + 2 * q_dim + 2 * kv_dim + 2 * std::uint64_t(hp.n_ff));
  const std::uint64_t scores = 4 * std::uint64_t(o.threads) * runtime::attention_scratch_floats(hp, o.n_batch, o.n_ctx);
  const std::uint64_t need = kv + per_token * std::uint64_t(o.n_batch) + scores + 4 * std::uint64_t(hp.n_vocab);
  util::check_memory(need, o.max_memory_bytes,
                     "a session with n_ctx " + std::to_string(o.n_ctx) + " (KV cache " + std::to_string(kv) + " bytes)",
                     "SessionOptions::max_memory_bytes", m.file.path());
}

SessionOptions resolve(const Model::Impl& m, SessionOptions o) {
  const HParams& hp = m.hparams;
  if (o.n_ctx == 0) o.n_ctx = int(std::min<std::int64_t>(hp.n_ctx_train, 4096));
  if (o.n_ctx < 1 || o.n_ctx > hp.n_ctx_train)
    throw Error(Error::Kind::Argument,
                "n_ctx " + std::to_string(o.n_ctx) + " outside [1, " + std::to_string(hp.n_ctx_train) + "]",
                m.file.path());
  if (o.threads == 0) o.threads = m.options.threads;
  if (o.threads == 0) o.threads = int(std::max(1u, std::thread::hardware_concurrency()));
  if (o.threads < 1 || o.threads > 1024)
    throw Error(Error::Kind::Argument, "threads " + std::to_string(o.threads) + " outside [1, 1024]");
  if (o.n_batch < 1) throw Error(Error::Kind::Argument, "n_batch must be >= 1");
  o.n_batch = std::min(o.n_batch, o.n_ctx);
  check_session_memory(m, o);
  return o;
}

// Index of the first Inf/NaN in v, or v.size(). Tests the exponent bits as integers, which the
// compiler vectorizes (a std::isfinite loop stays scalar: ~100 us per token on a 128K vocabulary).
std::size_t first_non_finite(std::span<const float> v) {
  constexpr std::size_t kChunk = 4096;
  for (std::size_t c = 0; c < v.size(); c += kChunk) {
    const std::size_t n = std::min(kChunk, v.size() - c);
    const float* p = v.data() + c;
    std::uint32_t bad = 0;
    for (std::size_t i = 0; i < n; ++i) bad |= (~std::bit_cast<std::uint32_t>(p[i]) & 0x7f800000u) == 0;
    if (bad)
      for (std::size_t i = 0; i < n; ++i)
        if (!std::isfinite(p[i])) return c + i;
  }
  return v.size();
}

runtime::RopeFreqs rope_freqs(const HParams& hp, float base, float scale, const float* factors) {
  // powf in f32, as llama.cpp computes it (see rope_angles).
  return {hp.n_rot > 0 ? std::pow(base, -2.0f / float(hp.n_rot)) : 1.0f, scale, factors};
}

}  // namespace

namespace runtime {

State::State(const Model::Impl& model, const SessionOptions& options)
    : m(model),
      hp(model.hparams),
      spec(*model.spec),
      k(kernels::kernels()),
      opt(resolve(model, options)),
      pool(opt.threads),
      kv(hp, opt.n_ctx, opt.n_batch, opt.kv_type == KvType::F16 ? kernels::DType::F16 : kernels::DType::F32) {
  const std::size_t nb = std::size_t(opt.n_batch);
  const std::size_t d = std::size_t(hp.n_embd), q_dim = std::size_t(hp.n_head * hp.head_dim);
  const std::size_t kv_dim = std::size_t(hp.n_head_kv * hp.head_dim), n_ff = std::size_t(hp.n_ff);
  x = util::PageArray<float>(nb * d);
  h = util::PageArray<float>(nb * d);
  // Views of `sublayer`, each starting on a cache line (64 bytes = 16 floats).
  const auto lines = [](std::size_t n) { return (n + 15) / 16 * 16; };
  const std::size_t attn_set = 2 * lines(nb * q_dim) + 2 * lines(nb * kv_dim), ffn_set = 2 * lines(nb * n_ff);
  sublayer = util::PageArray<float>(std::max(attn_set, ffn_set));
  float* next = sublayer.data();
  const auto carve = [&](std::size_t n) {
    const std::span<float> v(next, n);
    next += lines(n);
    return v;
  };
  q = carve(nb * q_dim);
  att = carve(nb * q_dim);
  kcur = carve(nb * kv_dim);
  vcur = carve(nb * kv_dim);
  next = sublayer.data();
  gate = carve(nb * n_ff);
  up = carve(nb * n_ff);
  scores = util::PageArray<float>(std::size_t(opt.threads) * attention_scratch_floats(hp, opt.n_batch, kv.max_rows()));
  rope_global = rope_freqs(hp, hp.rope_base, hp.rope_freq_scale, model.weights.rope_freqs);
  rope_local = rope_freqs(hp, hp.rope_base_local, 1.0f, nullptr);
  angles.resize(std::size_t(hp.n_rot / 2));
  embd_row.resize(model.weights.token_embd.row_stride);

  // Largest quantized input row over every matrix, times the batch.
  std::size_t act = 0;
  auto consider = [&](const kernels::Matrix& w) { act = std::max(act, kernels::act_row_bytes(w.type, w.k)); };
  consider(model.weights.output);
  for (const auto& l : model.weights.layers)
    for (const auto* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.gate, &l.up, &l.down}) consider(*w);
  xq = util::PageArray<std::uint8_t>(act * nb);
}

}  // namespace runtime

struct Session::Impl {
  Model model;
  runtime::State s;
  std::int64_t pos = 0;
  std::vector<float> last;  // [n_vocab] logits of the last token
  std::vector<float> all;   // [n_tokens][n_vocab] when all logits were asked for
  std::span<const float> result;
  bool logits_valid = false;  // `last` holds the logits of the token at pos - 1

  Impl(Model mdl, const SessionOptions& o) : model(std::move(mdl)), s(model.impl(), o) {}

  // Runs n <= n_batch tokens at positions pos..; writes logits of rows [first_out, n) to out.
  void forward(const TokenId* tokens, std::int64_t n, std::int64_t first_out, float* out) {
    const HParams& hp = s.hp;
    const std::int64_t d = hp.n_embd, n_vocab = hp.n_vocab;
    const model::Weights& w = s.m.weights;
    for (std::int64_t i = 0; i < n; ++i) {  // x[i] = token_embd[token] · embed_scale
      // Copied, not read in place: a row read through the mapping would make its whole page-cache
      // folio resident (2 MiB per token seen, up to the whole table when the LM head is untied).
      const auto* row = static_cast<const std::uint8_t*>(w.token_embd.data) +
                        std::size_t(tokens[i]) * w.token_embd.row_stride;
      s.m.file.copy(row, s.embd_row.size(), s.embd_row.data());
      kernels::dequantize_row(w.token_embd.type, s.embd_row.data(), s.x.data() + i * d, d);
      if (hp.embed_scale != 1.0f) s.k.scale(s.x.data() + i * d, hp.embed_scale, d, s.x.data() + i * d);
    }
    if (s.observer) runtime::notify(s, TracePoint::Embedding, -1, pos, n, d, s.x.data());  // trace hook
    for (std::int64_t il = 0; il < hp.n_layer; ++il) runtime::transformer_block(s, il, n, pos);
    pos += n;

    const std::int64_t n_out = n - first_out;
    if (n_out <= 0) return;
    float* h = s.h.data();  // [n_out][d]
    for (std::int64_t i = 0; i < n_out; ++i)
      s.k.rmsnorm(s.x.data() + (first_out + i) * d, w.output_norm, hp.rms_eps, d, h + i * d);
    runtime::matmul(s, w.output, h, n_out, out);  // out: [n_out][n_vocab]
    if (hp.final_softcap > 0) {  // over the threads: 256K tanh per token were ~2.5% of Gemma 2's decode
      constexpr std::int64_t kChunk = 16384;
      const std::int64_t n_logits = n_out * n_vocab;
      s.pool.parallel_for((n_logits + kChunk - 1) / kChunk, [&](std::int64_t c0, std::int64_t c1, int) {
        const std::int64_t b = c0 * kChunk, e = std::min(c1 * kChunk, n_logits);
        s.k.softcap(out + b, e - b, hp.final_softcap);
      });
    }
    if (s.observer) {  // trace hooks
      runtime::notify(s, TracePoint::OutputNorm, hp.n_layer, pos - n + first_out, n_out, d, h);
      runtime::notify(s, TracePoint::Logits, hp.n_layer, pos - n + first_out, n_out, n_vocab, out);
    }
  }

  std::span<const float> evaluate(std::span<const TokenId> tokens, bool all_logits) {
    const std::int64_t n = std::int64_t(tokens.size());
    const std::int64_t n_vocab = s.hp.n_vocab;
    if (n == 0) throw Error(Error::Kind::Argument, "no tokens to evaluate");
    for (std::size_t i = 0; i < tokens.size(); ++i)
      if (tokens[i] < 0 || tokens[i] >= n_vocab)
        throw Error(Error::Kind::Argument, "token id " + std::to_string(tokens[i]) + " at index " +
                                               std::to_string(i) + " outside the vocabulary [0, " +
                                               std::to_string(n_vocab) + ")");
    if (pos + n > s.opt.n_ctx)
      throw Error(Error::Kind::ContextFull, "context full: " + std::to_string(pos) + " + " + std::to_string(n) +
                                                " tokens exceed n_ctx " + std::to_string(s.opt.n_ctx));
    if (all_logits) all.resize(std::size_t(n * n_vocab));
    last.resize(std::size_t(n_vocab));
    const std::int64_t pos0 = pos;
    for (std::int64_t b = 0; b < n; b += s.opt.n_batch) {
      const std::int64_t nb = std::min<std::int64_t>(s.opt.n_batch, n - b);
      if (all_logits) {
        forward(tokens.data() + b, nb, 0, all.data() + b * n_vocab);
      } else {
        forward(tokens.data() + b, nb, b + nb == n ? nb - 1 : nb, last.data());
      }
    }
    // Weights holding Inf/NaN (or activations overflowing) give non-finite logits, which no
    // sampler can use: refuse them. The tokens are taken back (position() as before the call;
    // KV rows past it are overwritten later), so the session stays usable.
    const std::span<const float> produced = all_logits ? std::span<const float>(all) : std::span<const float>(last);
    if (const std::size_t i = first_non_finite(produced); i < produced.size()) {
      pos = pos0;
      logits_valid = false;
      result = {};
      const std::size_t row = i / std::size_t(n_vocab);
      throw Error(Error::Kind::Format,
                  "non-finite logit (" + std::to_string(produced[i]) + ") for vocabulary id " +
                      std::to_string(i % std::size_t(n_vocab)) + " after the token at position " +
                      std::to_string(pos0 + std::int64_t(all_logits ? row : std::size_t(n - 1))) +
                      ": the weights hold or produce Inf/NaN",
                  s.m.file.path(), "logits");
    }
    logits_valid = true;
    if (all_logits) {
      std::copy(all.end() - n_vocab, all.end(), last.begin());
      result = std::span<const float>(all.data(), all.size());
    } else {
      result = std::span<const float>(last);
    }
    return result;
  }
};

Session::Session(Model model, const SessionOptions& options)
    : impl_(std::make_unique<Impl>(std::move(model), options)) {}
Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

std::span<const float> Session::prefill(std::span<const TokenId> tokens) { return impl_->evaluate(tokens, false); }
std::span<const float> Session::decode(TokenId token) { return impl_->evaluate({&token, 1}, false); }
std::span<const float> Session::evaluate(std::span<const TokenId> tokens, bool all_logits) {
  return impl_->evaluate(tokens, all_logits);
}
std::span<const float> Session::logits() const noexcept {
  if (impl_->pos == 0 || !impl_->logits_valid) return {};
  return impl_->last;
}
void Session::reset() noexcept {
  impl_->pos = 0;
  impl_->result = {};
  impl_->logits_valid = false;
}
int Session::position() const noexcept { return int(impl_->pos); }
int Session::n_ctx() const noexcept { return impl_->s.opt.n_ctx; }
int Session::n_vocab() const noexcept { return int(impl_->s.hp.n_vocab); }
const Model& Session::model() const noexcept { return impl_->model; }
const SessionOptions& Session::options() const noexcept { return impl_->s.opt; }
void Session::set_observer(TraceObserver* observer) noexcept { impl_->s.observer = observer; }

const char* to_string(KvType t) noexcept { return t == KvType::F32 ? "f32" : "f16"; }
const char* to_string(MatmulPath p) noexcept { return p == MatmulPath::Integer ? "integer" : "float"; }

}  // namespace slm
