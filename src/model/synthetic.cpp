// Synthetic random-weight model files (see synthetic.hpp for the weights and the vocabulary).
#include "model/synthetic.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "kernels/kernels.hpp"
#include "slm/error.hpp"

namespace slm::model {
namespace {

using kernels::DType;
using gguf::Value;
using gguf::ValueType;

constexpr float kWeightStd = 0.02f;
constexpr std::size_t kPoolBytes = std::size_t{8} << 20;
constexpr std::int64_t kMaxPoolRows = 4096;

// SplitMix64: small, fast, and good enough for random weights; seeded per pool and per tensor
// so the output depends only on --seed.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  float uniform() { return float((next() >> 40) + 1) * (1.0f / 16777217.0f); }  // (0, 1)
  // Box-Muller, both outputs used.
  float normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const float r = std::sqrt(-2.0f * std::log(uniform()));
    const float a = 2.0f * std::numbers::pi_v<float> * uniform();
    spare_ = r * std::sin(a);
    has_spare_ = true;
    return r * std::cos(a);
  }

 private:
  std::uint64_t s_;
  float spare_ = 0;
  bool has_spare_ = false;
};

std::uint64_t mix(std::uint64_t a, std::uint64_t b) { return Rng(a * 0x100000001b3ull ^ b).next(); }

// Quantized random rows of one (type, row length), shared by every tensor with that pair.
struct Pool {
  std::size_t row_bytes = 0;
  std::int64_t n_rows = 0;
  std::vector<std::uint8_t> bytes;
};

// `max_rows`: the tallest tensor that uses the pool (small models need no more).
Pool make_pool(DType type, std::int64_t ne0, std::int64_t max_rows, std::uint64_t seed) {
  Pool p;
  p.row_bytes = kernels::row_bytes(type, ne0);
  p.n_rows = std::clamp<std::int64_t>(std::int64_t(kPoolBytes / p.row_bytes), 1, std::min(kMaxPoolRows, max_rows));
  p.bytes.resize(p.row_bytes * std::size_t(p.n_rows));
  Rng rng(mix(seed, (std::uint64_t(type) << 32) ^ std::uint64_t(ne0)));
  std::vector<float> row(std::size_t(ne0), 0.0f);
  for (std::int64_t r = 0; r < p.n_rows; ++r) {
    for (float& x : row) x = kWeightStd * rng.normal();
    kernels::quantize_row(type, row.data(), p.bytes.data() + std::size_t(r) * p.row_bytes, ne0);
  }
  return p;
}

// Llama 3.1's frequency divisors (the converter's formula): 1 for short wavelengths, `factor`
// for long ones, a smooth blend between, with original context 8192, low 1, high 4.
std::vector<float> llama3_rope_freqs(std::int64_t head_dim, float base, float factor) {
  constexpr double kOrigCtx = 8192, kLow = 1, kHigh = 4;
  std::vector<float> f(std::size_t(head_dim / 2));
  for (std::size_t i = 0; i < f.size(); ++i) {
    const double freq = std::pow(double(base), -2.0 * double(i) / double(head_dim));
    const double wavelen = 2 * std::numbers::pi / freq;
    if (wavelen < kOrigCtx / kHigh) {
      f[i] = 1.0f;
    } else if (wavelen > kOrigCtx / kLow) {
      f[i] = factor;
    } else {
      const double smooth = (kOrigCtx / wavelen - kLow) / (kHigh - kLow);
      f[i] = float(1.0 / ((1 - smooth) / factor + smooth));
    }
  }
  return f;
}

std::string base26_word(std::int64_t k) {  // 0 -> "a", 25 -> "z", 26 -> "aa", ...
  std::string s;
  ++k;
  while (k > 0) {
    --k;
    s.insert(s.begin(), char('a' + k % 26));
    k /= 26;
  }
  return s;
}

void add_vocab(gguf::Writer& w, std::int64_t n_vocab, bool add_space_prefix) {
  if (n_vocab < kMinSyntheticVocab)
    throw Error(Error::Kind::Argument, "n_vocab " + std::to_string(n_vocab) + " is below the synthetic vocabulary's " +
                                           std::to_string(kMinSyntheticVocab) + " (specials + 256 byte tokens + 1)");
  enum TokenType { kNormal = 1, kUnknown = 2, kControl = 3, kByte = 6 };
  std::vector<Value> tokens, scores, types;
  tokens.reserve(std::size_t(n_vocab));
  scores.reserve(std::size_t(n_vocab));
  types.reserve(std::size_t(n_vocab));
  auto add = [&](std::string piece, float score, int type) {
    tokens.push_back(Value::string(std::move(piece)));
    scores.push_back(Value::f32(score));
    types.push_back(Value::i32(type));
  };
  add("<unk>", 0, kUnknown);
  add("<s>", 0, kControl);
  add("</s>", 0, kControl);
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) add(std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">", 0, kByte);
  const std::string space = "\xe2\x96\x81";  // U+2581, SentencePiece's space
  std::int64_t rank = 0;
  auto piece = [&](std::string s) {
    if (std::int64_t(tokens.size()) < n_vocab) add(std::move(s), -float(++rank), kNormal);
  };
  piece(space);
  for (char c = 0x21; c < 0x7f; ++c) piece(std::string(1, c));
  for (std::int64_t k = 26; std::int64_t(tokens.size()) < n_vocab; ++k) {  // two letters and up
    piece(space + base26_word(k));
    piece(base26_word(k));
  }
  w.add("tokenizer.ggml.model", Value::string("llama"));
  w.add("tokenizer.ggml.pre", Value::string("default"));
  w.add("tokenizer.ggml.tokens", Value::array(ValueType::String, std::move(tokens)));
  w.add("tokenizer.ggml.scores", Value::array(ValueType::F32, std::move(scores)));
  w.add("tokenizer.ggml.token_type", Value::array(ValueType::I32, std::move(types)));
  w.add("tokenizer.ggml.unknown_token_id", Value::u32(0));
  w.add("tokenizer.ggml.bos_token_id", Value::u32(1));
  w.add("tokenizer.ggml.eos_token_id", Value::u32(2));
  w.add("tokenizer.ggml.add_bos_token", Value::boolean(true));
  w.add("tokenizer.ggml.add_eos_token", Value::boolean(false));
  w.add("tokenizer.ggml.add_space_prefix", Value::boolean(add_space_prefix));
}

std::int64_t elements(const std::vector<std::int64_t>& ne) {
  std::int64_t n = 1;
  for (auto x : ne) n *= x;
  return n;
}

}  // namespace

void add_synthetic_metadata(gguf::Writer& w, const ModelShape& s, FileType file_type) {
  const std::string a = s.arch + ".";
  auto u32 = [](std::int64_t v) { return Value::u32(std::uint32_t(v)); };
  w.add("general.architecture", Value::string(s.arch));
  w.add("general.name", Value::string("synthetic " + s.name));
  w.add("general.file_type", Value::u32(static_cast<std::uint32_t>(file_type)));
  w.add("general.quantization_version", Value::u32(2));
  w.add(a + "vocab_size", u32(s.n_vocab));
  w.add(a + "context_length", u32(s.n_ctx));
  w.add(a + "embedding_length", u32(s.n_embd));
  w.add(a + "block_count", u32(s.n_layer));
  w.add(a + "feed_forward_length", u32(s.n_ff));
  w.add(a + "attention.head_count", u32(s.n_head));
  w.add(a + "attention.head_count_kv", u32(s.n_head_kv));
  w.add(a + "attention.key_length", u32(s.head_dim));
  w.add(a + "attention.value_length", u32(s.head_dim));
  w.add(a + "attention.layer_norm_rms_epsilon", Value::f32(s.rms_eps));
  w.add(a + "rope.dimension_count", u32(s.head_dim));
  w.add(a + "rope.freq_base", Value::f32(s.rope_base));
  if (s.rope_base_swa > 0) w.add(a + "rope.freq_base_swa", Value::f32(s.rope_base_swa));
  if (s.sliding_window > 0) w.add(a + "attention.sliding_window", u32(s.sliding_window));
  if (s.attn_softcap > 0) w.add(a + "attn_logit_softcapping", Value::f32(s.attn_softcap));
  if (s.final_softcap > 0) w.add(a + "final_logit_softcapping", Value::f32(s.final_softcap));
  // Gemma 3's converter writes add_space_prefix = false; the older SPM families true.
  add_vocab(w, s.n_vocab, s.arch != "gemma3");
}

SyntheticResult write_synthetic_model(const ModelShape& shape, FileType file_type, std::uint64_t seed,
                                      const std::filesystem::path& path, const ProgressCallback& progress) {
  const std::vector<TensorSpec> layout = tensor_layout(shape);
  std::vector<PlanInput> plan_in;
  for (const TensorSpec& t : layout)
    plan_in.push_back({t.name, int(t.ne.size()), t.ne[0], DType::F32});
  const std::vector<DType> types = plan_types(file_type, plan_in, shape.n_layer);

  gguf::Writer w;
  add_synthetic_metadata(w, shape, file_type);

  SyntheticResult result;
  result.n_tensors = layout.size();
  WriteProgress state;
  state.n_tensors = layout.size();
  for (std::size_t i = 0; i < layout.size(); ++i)
    state.bytes_total += kernels::row_bytes(types[i], layout[i].ne[0]) * std::uint64_t(elements(layout[i].ne) / layout[i].ne[0]);

  std::map<std::pair<DType, std::int64_t>, Pool> pools;  // filled while writing
  std::map<std::pair<DType, std::int64_t>, std::int64_t> tallest;
  for (std::size_t i = 0; i < layout.size(); ++i) {
    auto& m = tallest[{types[i], layout[i].ne[0]}];
    m = std::max(m, elements(layout[i].ne) / layout[i].ne[0]);
  }
  for (std::size_t i = 0; i < layout.size(); ++i) {
    const TensorSpec& t = layout[i];
    const DType type = types[i];
    result.n_params += elements(t.ne);
    auto report = [&, i](std::uint64_t bytes) {
      state.tensors_done = i + 1;
      state.bytes_done += bytes;
      state.tensor = layout[i].name;
      if (progress) progress(state);
    };
    gguf::Writer::Producer produce;
    if (t.role == TensorRole::Matrix || t.role == TensorRole::Embedding) {
      produce = [&, i, type, report](const gguf::Writer::Sink& sink) {
        const TensorSpec& ts = layout[i];
        auto key = std::make_pair(type, ts.ne[0]);
        auto it = pools.find(key);
        if (it == pools.end()) it = pools.emplace(key, make_pool(type, ts.ne[0], tallest[key], seed)).first;
        const Pool& pool = it->second;
        const std::int64_t n_rows = elements(ts.ne) / ts.ne[0];
        Rng rng(mix(seed ^ 0x5eed, i));
        std::int64_t pos = std::int64_t(rng.next() % std::uint64_t(pool.n_rows));
        for (std::int64_t done = 0; done < n_rows;) {
          const std::int64_t run = std::min(n_rows - done, pool.n_rows - pos);
          sink(std::span<const std::uint8_t>(pool.bytes.data() + std::size_t(pos) * pool.row_bytes,
                                             std::size_t(run) * pool.row_bytes));
          done += run;
          pos = 0;
        }
        report(pool.row_bytes * std::uint64_t(n_rows));
      };
    } else {
      produce = [&, i, type, report](const gguf::Writer::Sink& sink) {
        const TensorSpec& ts = layout[i];
        std::vector<float> v;
        if (ts.role == TensorRole::RopeFreqs) {
          v = llama3_rope_freqs(shape.head_dim, shape.rope_base, shape.llama3_rope_factor);
        } else {
          Rng rng(mix(seed ^ 0x6e6f726d, i));
          v.resize(std::size_t(elements(ts.ne)));
          for (float& x : v) x = (ts.role == TensorRole::Norm ? 1.0f : 0.0f) + kWeightStd * rng.normal();
        }
        std::vector<std::uint8_t> bytes(kernels::row_bytes(type, std::int64_t(v.size())));
        kernels::quantize_row(type, v.data(), bytes.data(), std::int64_t(v.size()));
        sink(bytes);
        report(bytes.size());
      };
    }
    w.add_tensor(t.name, type, t.ne, std::move(produce));
  }
  try {
    w.write_file(path);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(path, ec);  // no half-written model left behind
    throw;
  }
  result.file_size = std::filesystem::file_size(path);
  return result;
}

}  // namespace slm::model
