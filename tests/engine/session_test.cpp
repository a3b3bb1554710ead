// Session behaviour: argument and capacity errors leave the session usable, sessions over one
// Model are independent, thread count does not change results, F16 KV cache stays close.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "gguf/reader.hpp"
#include "gguf/writer.hpp"
#include "slm/error.hpp"
#include "slm/session.hpp"
#include "support/json.hpp"
#include "support/logit_compare.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kGolden = fs::path(SLM_TEST_DATA_DIR) / "golden";

struct Fixture {
  slm::Model model;
  std::vector<slm::TokenId> tokens;
};

Fixture load(const char* family) {
  const auto j = slm::test::Json::parse_file(kGolden / ("tiny-" + std::string(family)) / "a_english" / "case.json");
  return {slm::Model::load(kGolden / "models" / j["model"].as_string()), j["tokens"].as_int32s()};
}

template <class F>
slm::Error::Kind error_kind(F&& f) {
  try {
    f();
  } catch (const slm::Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no slm::Error thrown";
  return slm::Error::Kind::Io;
}

std::vector<float> copy(std::span<const float> s) { return {s.begin(), s.end()}; }

TEST(Session, ContextOverflowIsAnErrorAndChangesNothing) {
  Fixture f = load("gemma2");
  slm::Session s(f.model, {.n_ctx = 8, .threads = 1});
  EXPECT_EQ(s.n_ctx(), 8);
  const std::span<const slm::TokenId> t(f.tokens);
  EXPECT_EQ(error_kind([&] { s.prefill(t.first(9)); }), slm::Error::Kind::ContextFull);
  EXPECT_EQ(s.position(), 0);
  const auto logits = copy(s.prefill(t.first(8)));
  EXPECT_EQ(s.position(), 8);
  EXPECT_EQ(error_kind([&] { s.decode(t[8]); }), slm::Error::Kind::ContextFull);
  EXPECT_EQ(s.position(), 8);
  EXPECT_EQ(copy(s.logits()), logits);
  s.reset();
  EXPECT_EQ(s.position(), 0);
  EXPECT_TRUE(s.logits().empty());
  EXPECT_EQ(copy(s.prefill(t.first(8))), logits);
}

TEST(Session, InvalidArgumentsAreErrors) {
  Fixture f = load("llama");
  slm::Session s(f.model, {.n_ctx = 64, .threads = 1});
  EXPECT_EQ(error_kind([&] { s.prefill({}); }), slm::Error::Kind::Argument);
  EXPECT_EQ(error_kind([&] { s.decode(-1); }), slm::Error::Kind::Argument);
  EXPECT_EQ(error_kind([&] { s.decode(32000); }), slm::Error::Kind::Argument);
  EXPECT_EQ(s.position(), 0);
  EXPECT_EQ(s.decode(1).size(), 32000u);
  EXPECT_EQ(error_kind([&] { slm::Session(f.model, {.n_ctx = 4096}); }), slm::Error::Kind::Argument);
  EXPECT_EQ(error_kind([&] { slm::Session(f.model, {.n_ctx = -1}); }), slm::Error::Kind::Argument);
  EXPECT_EQ(error_kind([&] { slm::Session(f.model, {.threads = -2}); }), slm::Error::Kind::Argument);
  EXPECT_EQ(error_kind([&] { slm::Session(f.model, {.n_batch = 0}); }), slm::Error::Kind::Argument);
}

TEST(Session, DefaultsAreResolved) {
  Fixture f = load("llama");
  slm::Session s(f.model);
  EXPECT_EQ(s.n_ctx(), 2048);  // min(context_length 2048, 4096)
  EXPECT_GE(s.options().threads, 1);
  EXPECT_EQ(s.options().matmul, slm::MatmulPath::Integer);
  EXPECT_EQ(s.options().kv_type, slm::KvType::F32);
  EXPECT_EQ(s.n_vocab(), 32000);
}

TEST(Session, SessionsOverOneModelAreIndependent) {
  Fixture f = load("gemma3");
  const std::span<const slm::TokenId> t(f.tokens);
  // The same batch sizes (one token at a time) everywhere, so the arithmetic is identical.
  slm::Session alone(f.model, {.n_ctx = 64, .threads = 1});
  std::vector<float> expected;
  for (slm::TokenId tok : t) {
    const auto r = alone.decode(tok);
    expected.insert(expected.end(), r.begin(), r.end());
  }

  // Interleave two sessions token by token; each must see only its own tokens.
  slm::Session a(f.model, {.n_ctx = 64, .threads = 2});
  slm::Session b(f.model, {.n_ctx = 64, .threads = 1});
  const std::size_t V = std::size_t(a.n_vocab());
  std::vector<float> got_a, got_b;
  b.decode(t[t.size() - 1]);  // b starts one token ahead with different content
  b.reset();
  for (std::size_t i = 0; i < t.size(); ++i) {
    auto ra = a.decode(t[i]);
    got_a.insert(got_a.end(), ra.begin(), ra.end());
    auto rb = b.decode(t[i]);
    got_b.insert(got_b.end(), rb.begin(), rb.end());
  }
  ASSERT_EQ(got_a.size(), t.size() * V);
  double d = 0;
  for (std::size_t i = 0; i < expected.size(); ++i)
    d = std::max({d, std::fabs(double(expected[i]) - got_a[i]), std::fabs(double(expected[i]) - got_b[i])});
  EXPECT_EQ(d, 0.0);
}

TEST(Session, ThreadCountDoesNotChangeResults) {
  Fixture f = load("qwen2");
  slm::Session one(f.model, {.n_ctx = 64, .threads = 1});
  slm::Session three(f.model, {.n_ctx = 64, .threads = 3});
  EXPECT_EQ(copy(one.evaluate(f.tokens, true)), copy(three.evaluate(f.tokens, true)));
}

// The F16 cache rounds keys and values; against llama.cpp's F32-cache logits it must still
// be within the golden bound (mean KL <= 0.1) for every family.
TEST(Session, F16KvCacheStaysWithinTheGoldenBound) {
  for (const char* family : {"llama", "qwen2", "gemma", "gemma2", "gemma3"}) {
    SCOPED_TRACE(family);
    Fixture f = load(family);
    const auto ref = slm::test::read_f32_file(kGolden / ("tiny-" + std::string(family)) / "a_english" / "logits.f32");
    slm::Session s(f.model, {.n_ctx = 64, .threads = 2, .kv_type = slm::KvType::F16});
    const auto r = slm::test::compare_rows(ref, s.evaluate(f.tokens, true), f.model.hparams().n_vocab, 1.0);
    std::printf("[f16 kv] %-7s mean KL %.5f  max|dlogit| %.3f  top-1 where margin>1: %lld/%lld\n", family, r.mean_kl,
                r.max_abs_diff, (long long)r.confident_top1_equal, (long long)r.confident);
    EXPECT_LE(r.mean_kl, 0.1);
    EXPECT_EQ(r.confident_top1_equal, r.confident);
  }
}

// Llama 3 frequency factors (rope_freqs.weight) all equal to c turn every angle by 1/c: the
// same as linear RoPE scaling with factor c. The two are computed by different code paths.
TEST(Session, RopeFreqFactorsMatchLinearScaling) {
  const fs::path src = kGolden / "models" / "tiny-llama-Q4_K_M.gguf";
  const slm::gguf::File f = slm::gguf::File::open(src);
  const std::string stem = (fs::temp_directory_path() / ("slm-engine-test-" + std::to_string(::getpid()))).string();

  slm::gguf::Writer with_factors = slm::gguf::Writer::copy_of(f);
  std::vector<float> factors(16, 4.0f);  // n_rot / 2 = 16
  std::vector<std::uint8_t> bytes(factors.size() * sizeof(float));
  std::memcpy(bytes.data(), factors.data(), bytes.size());
  const std::int64_t shape[] = {16};
  with_factors.add_tensor("rope_freqs.weight", slm::kernels::DType::F32, shape, std::move(bytes));
  with_factors.write_file(stem + "-factors.gguf");

  slm::gguf::Writer with_scaling = slm::gguf::Writer::copy_of(f);
  with_scaling.add("llama.rope.scaling.type", slm::gguf::Value::string("linear"));
  with_scaling.add("llama.rope.scaling.factor", slm::gguf::Value::f32(4.0f));
  with_scaling.write_file(stem + "-linear.gguf");

  const auto j = slm::test::Json::parse_file(kGolden / "tiny-llama" / "a_english" / "case.json");
  const auto tokens = j["tokens"].as_int32s();
  const slm::Model a = slm::Model::load(stem + "-factors.gguf");
  const slm::Model b = slm::Model::load(stem + "-linear.gguf");
  const slm::Model plain = slm::Model::load(src);
  fs::remove(stem + "-factors.gguf");
  fs::remove(stem + "-linear.gguf");
  EXPECT_FLOAT_EQ(b.hparams().rope_freq_scale, 0.25f);
  slm::Session sa(a, {.n_ctx = 64, .threads = 1}), sb(b, {.n_ctx = 64, .threads = 1}),
      sp(plain, {.n_ctx = 64, .threads = 1});
  const auto la = copy(sa.evaluate(tokens, true)), lb = copy(sb.evaluate(tokens, true));
  const auto lp = copy(sp.evaluate(tokens, true));
  EXPECT_EQ(la, lb);
  EXPECT_NE(la, lp);  // and the factors do change the result
}

// Gemma 2/3 27B scale queries by 1/sqrt(n_embd/n_head); every other size by 1/sqrt(head_dim).
TEST(Session, GemmaQueryScaleHook) {
  slm::HParams hp;
  hp.n_embd = 4608;
  hp.n_head = 32;
  hp.head_dim = 128;
  for (const char* arch : {"gemma2", "gemma3"}) {
    const slm::ArchSpec* spec = slm::find_arch(arch);
    ASSERT_NE(spec, nullptr);
    ASSERT_NE(spec->query_scale, nullptr);
    hp.n_layer = std::string(arch) == "gemma2" ? 46 : 62;
    EXPECT_FLOAT_EQ(spec->query_scale(hp), 1.0f / 12.0f) << arch;  // 4608/32 = 144
    hp.n_layer = 26;
    EXPECT_FLOAT_EQ(spec->query_scale(hp), 1.0f / std::sqrt(128.0f)) << arch;
  }
}

// A Model is immutable and shared: sessions on other threads use it at the same time.
TEST(Session, ConcurrentSessionsOnOneModel) {
  Fixture f = load("gemma2");
  std::vector<float> expected;
  {
    slm::Session s(f.model, {.n_ctx = 64, .threads = 1});
    expected = copy(s.evaluate(f.tokens, true));
  }
  std::vector<std::vector<float>> got(3);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < got.size(); ++i)
    threads.emplace_back([&, i] {
      slm::Model copy_of_model = f.model;  // handles may be copied across threads too
      slm::Session s(copy_of_model, {.n_ctx = 64, .threads = 1});
      got[i] = copy(s.evaluate(f.tokens, true));
    });
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, expected);
}

}  // namespace
