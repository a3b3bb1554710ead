// Resource limits and defined failures (docs/robustness.md): memory caps on loading and on
// sessions, token ids out of range, context overflow, empty prompts, weights that produce
// non-finite logits, and a model read into memory (use_mmap=false) surviving the file being
// truncated on disk. Damaged models are written with the GGUF writer from the tiny golden
// models or from a synthetic F32 model.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "gguf/reader.hpp"
#include "gguf/writer.hpp"
#include "model/model_impl.hpp"
#include "model/shapes.hpp"
#include "model/synthetic.hpp"
#include "slm/error.hpp"
#include "slm/generate.hpp"
#include "slm/model.hpp"
#include "slm/session.hpp"
#include "slm/tokenizer.hpp"
#include "util/memory.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kTiny = fs::path(SLM_TEST_DATA_DIR) / "golden" / "models" / "tiny-llama-Q4_K_M.gguf";

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("slm-robustness-" + std::to_string(::getpid()) + "-" + name + ".gguf");
}

// Runs `f`, expecting slm::Error of `kind`; returns its message.
template <class F>
std::string error_of(slm::Error::Kind kind, F&& f) {
  try {
    f();
  } catch (const slm::Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no slm::Error thrown";
  return {};
}

slm::LoadOptions load_options(bool use_mmap, std::uint64_t max_memory_bytes = 0) {
  slm::LoadOptions o;
  o.use_mmap = use_mmap;
  o.max_memory_bytes = max_memory_bytes;
  return o;
}

std::uint64_t tensor_bytes(const fs::path& p) {
  std::uint64_t n = 0;
  const auto file = slm::gguf::File::open(p);  // a range-for over a temporary's member would dangle
  for (const auto& t : file.tensors()) n += t.n_bytes;
  return n;
}

TEST(ResourceLimits, LoadRefusesTensorsOverTheConfiguredCap) {
  const std::uint64_t need = tensor_bytes(kTiny);
  for (const bool mmap : {true, false}) {
    SCOPED_TRACE(mmap ? "mmap" : "read");
    const std::string msg = error_of(slm::Error::Kind::Resource, [&] {
      slm::Model::load(kTiny, load_options(mmap, need - 1));
    });
    EXPECT_NE(msg.find("LoadOptions::max_memory_bytes"), std::string::npos) << msg;
    EXPECT_NE(msg.find(kTiny.filename().string()), std::string::npos) << msg;
    // The whole file (tensors + metadata) is the cap that matters when reading into memory.
    EXPECT_NO_THROW(slm::Model::load(kTiny, load_options(mmap, fs::file_size(kTiny))));
  }
}

// Without a cap, a model whose tensors exceed the memory available (+ swap) is refused, mapped
// or not: the tiny model plus one F32 tensor made larger than MemAvailable + SwapFree by
// patching its dimension and extending the file (sparse: no disk blocks are written).
TEST(ResourceLimits, LoadRefusesTensorsLargerThanAvailableMemory) {
  const std::uint64_t avail = slm::util::available_memory_bytes();
  if (avail == 0) GTEST_SKIP() << "no /proc/meminfo";
  const slm::gguf::File f = slm::gguf::File::open(kTiny);
  slm::gguf::Writer w = slm::gguf::Writer::copy_of(f);
  const std::vector<std::int64_t> shape = {16};
  w.add_tensor("zz.huge", slm::kernels::DType::F32, shape, std::vector<std::uint8_t>(64, 0));
  const slm::gguf::Layout layout = w.layout();
  const fs::path p = temp_file("huge-tensor");
  w.write_file(p);
  const std::uint64_t elements = (avail + (std::uint64_t{1} << 30)) / 4;
  {
    std::FILE* out = std::fopen(p.c_str(), "r+b");
    ASSERT_NE(out, nullptr);
    ASSERT_EQ(std::fseek(out, static_cast<long>(layout.tensor_infos.back().dims), SEEK_SET), 0);
    ASSERT_EQ(std::fwrite(&elements, sizeof elements, 1, out), 1u);  // GGUF is little-endian, as x86-64
    std::fclose(out);
  }
  fs::resize_file(p, layout.tensor_data.back() + elements * 4);
  for (const bool mmap : {true, false}) {
    SCOPED_TRACE(mmap ? "mmap" : "read");
    const std::string msg = error_of(slm::Error::Kind::Resource, [&] { slm::Model::load(p, load_options(mmap)); });
    EXPECT_NE(msg.find("available memory"), std::string::npos) << msg;
  }
  fs::remove(p);
}

TEST(ResourceLimits, SessionRefusesAKvCacheOverTheConfiguredCap) {
  const slm::Model m = slm::Model::load(kTiny);
  const slm::HParams& hp = m.hparams();
  constexpr int kCtx = 2048;
  const std::uint64_t kv_f32 = 2ull * std::uint64_t(hp.n_layer) * kCtx * std::uint64_t(hp.n_head_kv * hp.head_dim) * 4;
  const std::uint64_t cap = kv_f32 / 4 * 3;  // the F32 cache alone is over it, the F16 one (half) with scratch is not
  const std::string msg = error_of(slm::Error::Kind::Resource, [&] {
    slm::Session s(m, {.n_ctx = kCtx, .threads = 1, .n_batch = 64, .max_memory_bytes = cap});
  });
  EXPECT_NE(msg.find("SessionOptions::max_memory_bytes"), std::string::npos) << msg;
  EXPECT_NE(msg.find("n_ctx 2048"), std::string::npos) << msg;
  EXPECT_NO_THROW(slm::Session(m, {.n_ctx = kCtx, .threads = 1, .kv_type = slm::KvType::F16, .n_batch = 64,
                                   .max_memory_bytes = cap}));
  EXPECT_NO_THROW(slm::Session(m, {.n_ctx = 64, .threads = 1, .n_batch = 64, .max_memory_bytes = cap}));
}

// Without a cap, a session larger than the machine's memory (+ swap) is refused up front:
// a copy of the tiny model that claims a context of 2^30 tokens (a KV cache of 2 TiB).
TEST(ResourceLimits, SessionLargerThanAvailableMemoryIsRefused) {
  const slm::gguf::File f = slm::gguf::File::open(kTiny);
  slm::gguf::Writer w;
  for (const auto& kv : f.metadata())
    w.add(kv.key, kv.key == "llama.context_length" ? slm::gguf::Value::u32(1u << 30) : kv.value);
  for (const auto& t : f.tensors())
    w.add_tensor(t.name, t.type, std::vector<std::int64_t>(t.ne, t.ne + t.n_dims), f.tensor_data(t));
  const fs::path p = temp_file("huge-context");
  w.write_file(p);
  const slm::Model m = slm::Model::load(p);
  fs::remove(p);
  const std::string msg = error_of(slm::Error::Kind::Resource, [&] { slm::Session s(m, {.n_ctx = 1 << 30}); });
  EXPECT_NE(msg.find("available memory"), std::string::npos) << msg;
}

TEST(ResourceLimits, InvalidTokensAndEmptyPromptsAreArgumentErrors) {
  const slm::Model m = slm::Model::load(kTiny);
  slm::Session s(m, {.n_ctx = 16, .threads = 1});
  const int v = s.n_vocab();
  for (const slm::TokenId bad : {-1, v, std::numeric_limits<slm::TokenId>::max()}) {
    const std::vector<slm::TokenId> tokens = {1, bad};
    error_of(slm::Error::Kind::Argument, [&] { s.prefill(tokens); });
    error_of(slm::Error::Kind::Argument, [&] { s.decode(bad); });
  }
  error_of(slm::Error::Kind::Argument, [&] { s.prefill({}); });
  error_of(slm::Error::Kind::Argument, [&] { slm::generate(s, m.tokenizer(), {}, {}, nullptr); });
  EXPECT_EQ(s.position(), 0);
  EXPECT_TRUE(s.logits().empty());
}

// A prompt longer than the context is refused before any work: the session is unchanged and
// gives afterwards exactly what a fresh session gives.
TEST(ResourceLimits, PromptLongerThanTheContextIsContextFullBeforeAnyWork) {
  const slm::Model m = slm::Model::load(kTiny);
  slm::Session s(m, {.n_ctx = 8, .threads = 1});
  const std::vector<slm::TokenId> first = {1, 2, 3};
  const auto out = s.prefill(first);
  const std::vector<float> expected_first(out.begin(), out.end());
  const std::vector<slm::TokenId> long_prompt(6, 5);  // 3 + 6 > 8
  error_of(slm::Error::Kind::ContextFull, [&] { s.prefill(long_prompt); });
  error_of(slm::Error::Kind::ContextFull, [&] { slm::generate(s, m.tokenizer(), long_prompt, {}, nullptr); });
  EXPECT_EQ(s.position(), 3);
  const auto kept = s.logits();
  EXPECT_EQ(std::vector<float>(kept.begin(), kept.end()), expected_first);

  slm::Session fresh(m, {.n_ctx = 8, .threads = 1});
  const std::vector<slm::TokenId> nine(9, 5);
  error_of(slm::Error::Kind::ContextFull, [&] { fresh.prefill(nine); });
  EXPECT_EQ(fresh.position(), 0);
  // Filling the context exactly works; one more token does not.
  const std::vector<slm::TokenId> five(5, 7);
  s.prefill(five);
  EXPECT_EQ(s.position(), 8);
  error_of(slm::Error::Kind::ContextFull, [&] { s.decode(1); });
}

// A synthetic F32 llama model whose token_embd row of token kBadToken is +Inf.
constexpr slm::TokenId kBadToken = 7;
fs::path write_inf_model() {
  slm::model::ModelShape shape = slm::model::custom_shape("llama", 1, 32, 2, 1, 16, 64, 300);
  shape.n_ctx = 64;
  const fs::path clean = temp_file("clean"), bad = temp_file("inf");
  slm::model::write_synthetic_model(shape, slm::model::FileType::F32, 3, clean);
  slm::gguf::OpenOptions read;
  read.use_mmap = false;
  const slm::gguf::File f = slm::gguf::File::open(clean, read);
  fs::remove(clean);
  slm::gguf::Writer w;
  for (const auto& kv : f.metadata()) w.add(kv.key, kv.value);
  for (const auto& t : f.tensors()) {
    const auto bytes = f.tensor_data(t);
    std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
    if (t.name == "token_embd.weight") {
      EXPECT_EQ(t.type, slm::kernels::DType::F32);
      const float inf = std::numeric_limits<float>::infinity();
      for (std::int64_t i = 0; i < t.ne[0]; ++i)
        std::memcpy(data.data() + (std::size_t(kBadToken) * std::size_t(t.ne[0]) + std::size_t(i)) * 4, &inf, 4);
    }
    w.add_tensor(t.name, t.type, std::vector<std::int64_t>(t.ne, t.ne + t.n_dims), std::move(data));
  }
  w.write_file(bad);
  return bad;
}

std::vector<float> copy(std::span<const float> s) { return {s.begin(), s.end()}; }

TEST(ResourceLimits, NonFiniteLogitsAreAnErrorAndTheSessionStaysUsable) {
  const fs::path p = write_inf_model();
  const slm::Model m = slm::Model::load(p, load_options(false));
  fs::remove(p);
  for (const auto path : {slm::MatmulPath::Integer, slm::MatmulPath::Float}) {
    SCOPED_TRACE(slm::to_string(path));
    const slm::SessionOptions o = {.n_ctx = 16, .threads = 1, .matmul = path};
    slm::Session ref(m, o);
    const auto after_8 = copy(ref.prefill(std::vector<slm::TokenId>{8}));
    const auto after_8_9 = copy(ref.decode(9));
    for (float x : after_8_9) ASSERT_TRUE(std::isfinite(x));

    slm::Session s(m, o);
    const std::string msg = error_of(slm::Error::Kind::Format, [&] { s.prefill(std::vector<slm::TokenId>{kBadToken}); });
    EXPECT_NE(msg.find("non-finite logit"), std::string::npos) << msg;
    EXPECT_EQ(s.position(), 0);
    EXPECT_TRUE(s.logits().empty());
    EXPECT_EQ(copy(s.prefill(std::vector<slm::TokenId>{8})), after_8);
    error_of(slm::Error::Kind::Format, [&] { s.decode(kBadToken); });
    EXPECT_EQ(s.position(), 1);
    EXPECT_TRUE(s.logits().empty());
    EXPECT_EQ(copy(s.decode(9)), after_8_9);  // the failed token left nothing behind
    EXPECT_EQ(copy(s.logits()), after_8_9);
    // All-logits evaluation: the bad token in the middle of a batch.
    slm::Session b(m, o);
    const std::string at = error_of(slm::Error::Kind::Format, [&] { b.evaluate(std::vector<slm::TokenId>{8, kBadToken, 9}, true); });
    EXPECT_NE(at.find("after the token at position 1"), std::string::npos) << at;  // the first bad row
    EXPECT_EQ(b.position(), 0);
  }
}

// util::mapped_residency sums Rss and FilePmdMapped over the mappings of one path only (an
// smaps excerpt: the file mapped twice, another file and an anonymous mapping between).
TEST(ResourceLimits, MappedResidencySumsTheMappingsOfOneFile) {
  std::istringstream smaps(
      "7f0000000000-7f0000400000 r--p 00000000 fd:01 42                         /models/a b.gguf\n"
      "Size:               4096 kB\n"
      "Rss:                4096 kB\n"
      "FilePmdMapped:      2048 kB\n"
      "7f0000400000-7f0000600000 r--p 00000000 fd:01 43                         /models/other.gguf\n"
      "Rss:                2048 kB\n"
      "FilePmdMapped:      2048 kB\n"
      "7f0000600000-7f0000800000 rw-p 00000000 00:00 0 \n"
      "Rss:                1024 kB\n"
      "7f0000800000-7f0000900000 r--p 00400000 fd:01 42                         /models/a b.gguf\n"
      "Rss:                  12 kB\n"
      "FilePmdMapped:         0 kB\n");
  const slm::util::MappedResidency r = slm::util::mapped_residency(smaps, "/models/a b.gguf");
  EXPECT_EQ(r.resident, (4096u + 12u) * 1024u);
  EXPECT_EQ(r.huge, 2048u * 1024u);
}

// LoadOptions::populate: the matrices every evaluation reads are mapped in during load, so that
// the first prompt does not wait for the disk; without it they stay out of the resident set
// until first used.
TEST(ResourceLimits, PopulateMapsTheEvaluatedWeightsInDuringLoad) {
  const std::string path = fs::canonical(kTiny).string();
  for (const bool populate : {false, true}) {
    slm::LoadOptions o;
    o.populate = populate;
    const slm::Model m = slm::Model::load(kTiny, o);
    std::uint64_t weight_bytes = 0;
    for (const auto& r : slm::model::decode_read_ranges(m.impl().weights)) weight_bytes += r.size();
    const std::uint64_t resident = slm::util::mapped_residency(path).resident;
    if (populate) {
      EXPECT_GE(resident, weight_bytes);
    } else {
      EXPECT_LT(resident, weight_bytes / 4);
    }
  }
}

// use_mmap=false: the weights live in memory, so the model keeps working after its file is
// truncated on disk (with a mapping, touching a lost page would raise SIGBUS).
TEST(ResourceLimits, ModelReadIntoMemorySurvivesTheFileBeingTruncated) {
  const fs::path p = temp_file("truncate");
  fs::copy_file(kTiny, p, fs::copy_options::overwrite_existing);
  const slm::Model m = slm::Model::load(p, load_options(false));
  const auto prompt = m.tokenizer().encode("The quick brown fox");
  slm::GenerateOptions o;
  o.max_tokens = 6;
  o.sampler.temperature = 0;
  o.stop_at_end_of_generation = false;
  slm::Session before(m, {.n_ctx = 32, .threads = 1});
  const auto expected = slm::generate(before, m.tokenizer(), prompt, o, nullptr).tokens;

  fs::resize_file(p, 0);
  slm::Session after(m, {.n_ctx = 32, .threads = 1});
  EXPECT_EQ(slm::generate(after, m.tokenizer(), prompt, o, nullptr).tokens, expected);
  // Loading the truncated file is an ordinary error.
  error_of(slm::Error::Kind::Format, [&] { slm::Model::load(p); });
  fs::remove(p);
}

// A mapped model whose file is truncated after loading: the next evaluation reads the token's
// embedding row from the file first, and fails with an Io error instead of a SIGBUS.
TEST(ResourceLimits, MappedModelReportsItsFileTruncated) {
  const fs::path p = temp_file("truncate-mapped");
  fs::copy_file(kTiny, p, fs::copy_options::overwrite_existing);
  const slm::Model m = slm::Model::load(p, load_options(true));
  slm::Session s(m, {.n_ctx = 32, .threads = 1});
  const slm::TokenId t = m.tokenizer().encode("fox").back();
  s.decode(t);
  fs::resize_file(p, 0);
  const std::string e = error_of(slm::Error::Kind::Io, [&] { s.decode(t); });
  EXPECT_NE(e.find("shrank"), std::string::npos) << e;
  EXPECT_EQ(s.position(), 1);
  fs::remove(p);
}

}  // namespace
