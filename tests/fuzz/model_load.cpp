// Fuzz target: loading a model (architecture checks, hyper-parameters, weight binding,
// tokenizer) and running a few tokens through whatever loads.
//
// Two kinds of input:
//   - starting with "GGUF": the bytes are the file, loaded as they are;
//   - anything else: a list of edits applied to one of a few valid tiny models (built once
//     with the synthetic-model writer, one per family and weight type). Random bytes rarely
//     form a GGUF file whose tensor table matches an architecture, so without the edits the
//     fuzzer would never get past the reader; with them it changes hyper-parameters, tensor
//     shapes and types, drops keys and tensors — the architecture checks' input.
// The file is loaded through a memfd by path, exactly as `slm run` loads it. A model that
// loads must evaluate tokens (or refuse them with slm::Error): Session options are small.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <unistd.h>

#include "fuzz_targets.hpp"
#include "gguf/reader.hpp"
#include "gguf/writer.hpp"
#include "model/shapes.hpp"
#include "model/synthetic.hpp"
#include "slm/error.hpp"
#include "slm/model.hpp"
#include "slm/session.hpp"

namespace slm::fuzz {
namespace {

// Reads the edit list; returns zeros once the input is used up.
class Bytes {
 public:
  Bytes(const std::uint8_t* d, std::size_t n) : d_(d), n_(n) {}
  std::uint8_t u8() { return i_ < n_ ? d_[i_++] : 0; }
  std::uint32_t u32() { return u8() | u8() << 8 | u8() << 16 | std::uint32_t(u8()) << 24; }
  std::uint64_t u64() { return u32() | std::uint64_t(u32()) << 32; }
  bool done() const { return i_ >= n_; }

 private:
  const std::uint8_t* d_;
  std::size_t n_, i_ = 0;
};

struct Base {
  std::unique_ptr<gguf::File> file;
  std::string arch;
};

const std::vector<Base>& bases() {
  static const std::vector<Base> all = [] {
    struct Spec {
      const char* arch;
      model::FileType type;
    };
    std::vector<Base> v;
    for (const Spec s : {Spec{"llama", model::FileType::F32}, Spec{"qwen2", model::FileType::F32},
                         Spec{"gemma", model::FileType::F32}, Spec{"gemma2", model::FileType::F32},
                         Spec{"gemma3", model::FileType::F32}, Spec{"llama", model::FileType::Q4_K_M},
                         Spec{"gemma3", model::FileType::Q8_0}}) {
      model::ModelShape shape = model::custom_shape(s.arch, 1, 32, 2, 1, 16, 64, 260);
      shape.n_ctx = 64;
      const std::filesystem::path tmp = std::filesystem::temp_directory_path() /
                                        ("slm-fuzz-base-" + std::to_string(::getpid()) + ".gguf");
      model::write_synthetic_model(shape, s.type, 1, tmp);
      gguf::OpenOptions o;
      o.use_mmap = false;
      v.push_back({std::make_unique<gguf::File>(gguf::File::open(tmp, o)), s.arch});
      std::filesystem::remove(tmp);
    }
    return v;
  }();
  return all;
}

constexpr std::int64_t kDims[] = {0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 128, 256, 259, 260, 261,
                                  1 << 20, std::int64_t{1} << 31, std::int64_t{1} << 40};
constexpr std::uint64_t kInts[] = {0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 64, 259, 260, 261, 512, 4096,
                                   0x7fffffff, 0x80000000, 0xffffffff, 0xffffffffffffffff, 0x7fffffffffffffff};
constexpr kernels::DType kTypes[] = {kernels::DType::F32,  kernels::DType::F16,  kernels::DType::BF16,
                                     kernels::DType::Q8_0, kernels::DType::Q4_0, kernels::DType::Q4_1,
                                     kernels::DType::Q5_0, kernels::DType::Q4_K, kernels::DType::Q6_K,
                                     kernels::DType::Q2_K, kernels::DType::Q8_K};
constexpr const char* kHParams[] = {
    "block_count",        "embedding_length",         "feed_forward_length",
    "attention.head_count", "attention.head_count_kv",  "attention.key_length",
    "attention.value_length", "context_length",          "vocab_size",
    "rope.dimension_count", "attention.sliding_window", "rope.freq_base",
    "attention.layer_norm_rms_epsilon", "attn_logit_softcapping", "final_logit_softcapping",
    "rope.scaling.factor",  "rope.freq_base_swa",       "rope.scaling.type"};

gguf::Value make_value(Bytes& in) {
  using gguf::Value;
  const std::uint64_t n = in.u8() & 0x80 ? in.u64() : kInts[in.u8() % std::size(kInts)];
  switch (in.u8() % 10) {
    case 0: return Value::u32(std::uint32_t(n));
    case 1: return Value::i32(std::int32_t(n));
    case 2: return Value::u64(n);
    case 3: return Value::i64(std::int64_t(n));
    case 4: {
      float f;
      const std::uint32_t bits = std::uint32_t(n);
      std::memcpy(&f, &bits, 4);
      return Value::f32(in.u8() & 1 ? f : float(n));
    }
    case 5: return Value::f64(double(std::int64_t(n)));
    case 6: return Value::boolean(n & 1);
    case 7: return Value::string(std::string(n % 8, char('a' + n % 26)));
    case 8: {
      std::vector<Value> items(n % 5, Value::u32(std::uint32_t(n)));
      return Value::array(gguf::ValueType::U32, std::move(items));
    }
    default: return Value::u8(std::uint8_t(n));
  }
}

struct Tensor {
  std::string name;
  kernels::DType type;
  std::vector<std::int64_t> shape;
  std::span<const std::uint8_t> original;
};

// Tensor bytes for a possibly changed shape/type: the original bytes, then a filler.
// Empty when the size is not representable or too large (the tensor is then dropped).
std::optional<std::vector<std::uint8_t>> tensor_bytes(const Tensor& t) {
  const auto& info = kernels::dtype_info(t.type);
  if (t.shape.empty() || t.shape[0] % info.block_elems != 0) return std::nullopt;
  std::uint64_t n = kernels::row_bytes(t.type, t.shape[0]);
  for (std::size_t i = 1; i < t.shape.size(); ++i) {
    if (t.shape[i] < 0 || (t.shape[i] > 0 && n > (std::uint64_t{4} << 20) / std::uint64_t(t.shape[i])))
      return std::nullopt;
    n *= std::uint64_t(t.shape[i]);
  }
  if (n > (std::uint64_t{4} << 20)) return std::nullopt;
  std::vector<std::uint8_t> bytes(n, 0x3c);
  std::copy_n(t.original.begin(), std::min<std::size_t>(n, t.original.size()), bytes.begin());
  return bytes;
}

std::vector<std::uint8_t> edited_model(Bytes& in) {
  const Base& base = bases()[in.u8() % bases().size()];
  const gguf::File& f = *base.file;
  std::vector<std::pair<std::string, gguf::Value>> kvs;
  for (const auto& kv : f.metadata()) kvs.emplace_back(kv.key, kv.value);
  std::vector<Tensor> tensors;
  for (const auto& t : f.tensors())
    tensors.push_back({t.name, t.type, std::vector<std::int64_t>(t.ne, t.ne + t.n_dims), f.tensor_data(t)});

  const int n_edits = 1 + in.u8() % 8;
  for (int e = 0; e < n_edits && !in.done(); ++e) {
    const std::uint8_t op = in.u8() % 6;
    const std::uint8_t pick = in.u8();
    if (op == 0 && !kvs.empty()) {
      kvs[pick % kvs.size()].second = make_value(in);
    } else if (op == 1 && !kvs.empty()) {
      kvs.erase(kvs.begin() + pick % kvs.size());
    } else if (op == 2 && !tensors.empty()) {
      Tensor& t = tensors[pick % tensors.size()];
      const std::size_t dim = in.u8() % 4;
      if (dim >= t.shape.size()) t.shape.resize(dim + 1, 1);
      t.shape[dim] = kDims[in.u8() % std::size(kDims)];
    } else if (op == 3 && !tensors.empty()) {
      tensors.erase(tensors.begin() + pick % tensors.size());
    } else if (op == 4 && !tensors.empty()) {
      tensors[pick % tensors.size()].type = kTypes[in.u8() % std::size(kTypes)];
    } else if (op == 5) {
      const std::string key = base.arch + "." + kHParams[pick % std::size(kHParams)];
      gguf::Value v = make_value(in);
      auto it = std::find_if(kvs.begin(), kvs.end(), [&](const auto& kv) { return kv.first == key; });
      if (it != kvs.end()) it->second = std::move(v);
      else kvs.emplace_back(key, std::move(v));
    }
  }
  gguf::Writer w;
  for (auto& [k, v] : kvs) w.add(k, v);
  for (const Tensor& t : tensors)
    if (auto bytes = tensor_bytes(t)) w.add_tensor(t.name, t.type, t.shape, std::move(*bytes));
  return w.to_bytes();
}

void exercise(const Model& m, std::uint8_t flags) {
  SessionOptions o;
  o.threads = 1;
  o.n_ctx = int(std::min<std::int64_t>(m.hparams().n_ctx_train, 16));
  o.n_batch = 1 + flags % 4;
  o.kv_type = flags & 0x10 ? KvType::F16 : KvType::F32;
  o.matmul = flags & 0x20 ? MatmulPath::Float : MatmulPath::Integer;
  Session s(m, o);
  const TokenId last = TokenId(m.hparams().n_vocab - 1);
  const std::vector<TokenId> prompt = {0, last, TokenId(1 % m.hparams().n_vocab)};
  try {
    auto logits = s.prefill(prompt);
    check(logits.size() == std::size_t(m.hparams().n_vocab), "logits size");
    logits = s.decode(last);
    check(s.position() == int(prompt.size()) + 1, "position after decode");
  } catch (const Error& e) {
    check(e.kind() == Error::Kind::ContextFull || e.kind() == Error::Kind::Format ||
              e.kind() == Error::Kind::Argument,
          std::string("unexpected error from a loaded model: ") + e.what());
  }
  try {
    const Tokenizer& t = m.tokenizer();
    (void)t.decode(t.encode("Hello world"));
  } catch (const Error&) {
  }
}

}  // namespace

int model_load(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> file;
  std::uint8_t flags = 0;
  try {
    if (size >= 4 && std::memcmp(data, "GGUF", 4) == 0) {
      file.assign(data, data + size);
    } else {
      Bytes in(data, size);
      flags = in.u8();
      file = edited_model(in);
    }
  } catch (const Error&) {
    return 0;  // the writer refused the edited tables (it validates only what it needs)
  }
  const MemFile mem(file);
  try {
    LoadOptions lo;
    lo.threads = 1;
    lo.use_mmap = !(flags & 0x40);
    const Model m = Model::load(mem.path(), lo);
    exercise(m, flags);
  } catch (const Error&) {
  }
  return 0;
}

}  // namespace slm::fuzz

SLM_FUZZ_ENTRY(model_load)
