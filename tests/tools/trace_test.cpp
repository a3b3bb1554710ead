// slm::trace / `slm trace`: the observer hooks change nothing, attention probabilities are
// distributions over the right keys, the dumped .npy files load in NumPy and agree with the
// printed statistics and with an independent recomputation of the last step (trace_check.py),
// and on the real models Gemma 3's residual stream is far larger than SmolLM2's.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "slm/model.hpp"
#include "slm/session.hpp"
#include "slm/tokenizer.hpp"
#include "slm/trace.hpp"
#include "support/json.hpp"

namespace {

namespace fs = std::filesystem;
const fs::path kTmp = fs::temp_directory_path() / ("slm_trace_test_" + std::to_string(::getpid()));
constexpr const char* kPrompt = "The quick brown fox jumps over the lazy dog, and then it runs far away.";

std::string tiny(const std::string& name) { return std::string(SLM_TEST_DATA_DIR) + "/golden/models/" + name + "-Q4_K_M.gguf"; }

std::string python() {
  const char* p = std::getenv("SLM_PYTHON");
  return p && *p ? p : "python3";
}

int run(const std::string& cmd) {
  const int raw = std::system(cmd.c_str());
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

std::string slurp(const fs::path& p) {
  std::stringstream ss;
  ss << std::ifstream(p).rdbuf();
  return ss.str();
}

class TinyModels : public ::testing::TestWithParam<const char*> {};

// Attaching an observer must not change a single logit, and trace() returns exactly what an
// unobserved session computes.
TEST_P(TinyModels, ObservedLogitsAreBitIdentical) {
  const slm::Model model = slm::Model::load(tiny(GetParam()));
  const auto tokens = model.tokenizer().encode(kPrompt, true, false);
  for (const slm::MatmulPath path : {slm::MatmulPath::Integer, slm::MatmulPath::Float}) {
    slm::Session plain(model, {.threads = 1, .matmul = path});
    const auto want = plain.evaluate(tokens, true);
    const slm::TraceReport r = slm::trace(model, tokens, {.matmul = path, .threads = 1});
    ASSERT_EQ(r.logits.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) ASSERT_EQ(r.logits[i], want[i]) << "logit " << i;
    EXPECT_EQ(r.n_tokens, std::int64_t(tokens.size()));
    EXPECT_EQ(r.layers.size(), std::size_t(model.hparams().n_layer));
  }
}

// Checks every attention distribution the hook reports.
class AttentionChecker final : public slm::TraceObserver {
 public:
  explicit AttentionChecker(const slm::HParams& hp) : hp_(hp), sum_(std::size_t(hp.n_layer * hp.n_head)), count_(sum_.size()) {}
  void on_tensor(slm::TracePoint, int, std::int64_t, std::int64_t, std::int64_t, const float*) override {}
  bool wants_attention() const override { return true; }
  void on_attention(int layer, int head, std::int64_t pos, std::int64_t first_key, std::span<const float> p) override {
    const bool local = hp_.layer_is_local[std::size_t(layer)] && hp_.sliding_window > 0;
    const std::int64_t want_keys = local ? std::min<std::int64_t>(pos + 1, hp_.sliding_window) : pos + 1;
    EXPECT_EQ(std::int64_t(p.size()), want_keys) << "layer " << layer << " pos " << pos;
    EXPECT_EQ(first_key, pos + 1 - want_keys);
    double total = 0, h = 0;
    for (const float v : p) {
      EXPECT_GE(v, 0.0f);
      total += v;
      if (v > 0) h -= double(v) * std::log(double(v));
    }
    EXPECT_NEAR(total, 1.0, 1e-5);
    EXPECT_GE(h, -1e-6);
    EXPECT_LE(h, std::log(double(p.size())) + 1e-5);
    if (pos == 0) {
      EXPECT_FLOAT_EQ(p[0], 1.0f);  // the first query sees only itself
    }
    sum_[std::size_t(layer * hp_.n_head + head)] += h;
    ++count_[std::size_t(layer * hp_.n_head + head)];
    ++calls;
  }
  const slm::HParams& hp_;
  std::vector<double> sum_;
  std::vector<int> count_;
  int calls = 0;
};

TEST_P(TinyModels, AttentionProbabilitiesAreDistributionsOverTheVisibleKeys) {
  const slm::Model model = slm::Model::load(tiny(GetParam()));
  const slm::HParams& hp = model.hparams();
  const auto tokens = model.tokenizer().encode(kPrompt, true, false);
  ASSERT_GT(tokens.size(), 10u);
  AttentionChecker checker(hp);
  slm::Session s(model, {.threads = 1, .n_batch = 5});  // split batches: positions must still be right
  s.set_observer(&checker);
  s.evaluate(tokens, true);
  EXPECT_EQ(checker.calls, int(tokens.size() * std::size_t(hp.n_layer * hp.n_head)));

  // trace()'s per-head entropy is the mean of the per-query entropies, within [0, ln(n_tokens)]
  // (compared with a one-batch pass, as trace() runs: other batch sizes round differently).
  AttentionChecker whole(hp);
  slm::Session s1(model, {.threads = 1});
  s1.set_observer(&whole);
  s1.evaluate(tokens, true);
  const slm::TraceReport r = slm::trace(model, tokens, {.threads = 1});
  for (const slm::LayerTrace& l : r.layers) {
    ASSERT_EQ(l.head_entropy.size(), std::size_t(hp.n_head));
    EXPECT_EQ(l.sliding_window, hp.layer_is_local[std::size_t(l.layer)] && hp.sliding_window > 0);
    for (int h = 0; h < int(hp.n_head); ++h) {
      const std::size_t i = std::size_t(l.layer * hp.n_head + h);
      EXPECT_NEAR(l.head_entropy[std::size_t(h)], whole.sum_[i] / whole.count_[i], 1e-9);
      EXPECT_GE(l.head_entropy[std::size_t(h)], 0.0);
      EXPECT_LE(l.head_entropy[std::size_t(h)], std::log(double(tokens.size())));
    }
  }
}

// The CLI's --json and --dump, checked by NumPy (tests/tools/trace_check.py).
TEST_P(TinyModels, DumpsLoadInNumpyAndAgreeWithTheStatsAndTheLogits) {
  if (run(python() + " -c 'import numpy, gguf' 2>/dev/null") != 0) GTEST_SKIP() << python() << " lacks numpy or gguf";
  // Each check costs a Python start (~seconds): the float path everywhere, the integer path
  // (8-bit activations, looser logit tolerance) on one GeGLU family.
  const bool both = std::string(GetParam()) == "tiny-gemma3";
  for (const char* path : {"float", "integer"}) {
    if (!both && std::string(path) == "integer") continue;
    const fs::path dir = kTmp / (std::string(GetParam()) + "_" + path);
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string json = (dir / "trace.json").string();
    ASSERT_EQ(run(std::string(SLM_BINARY_DIR) + "/tools/slm trace -m " + tiny(GetParam()) + " -p '" + kPrompt +
                  "' --json -t 1 --matmul " + path + " --dump " + (dir / "npy").string() + " > " + json +
                  " 2> " + (dir / "err.txt").string()),
              0)
        << slurp(dir / "err.txt");
    const std::string check = python() + " " + SLM_SOURCE_DIR + "/tests/tools/trace_check.py " + tiny(GetParam()) + " " +
                              json + " " + (dir / "npy").string() + " > " + (dir / "check.txt").string() + " 2>&1";
    EXPECT_EQ(run(check), 0) << slurp(dir / "check.txt");
    EXPECT_NE(slurp(dir / "check.txt").find("OK"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(Families, TinyModels,
                         ::testing::Values("tiny-llama", "tiny-qwen2", "tiny-gemma", "tiny-gemma2", "tiny-gemma3"));

TEST(TraceCli, TensorsPatternChoosesTheFiles) {
  const fs::path dir = kTmp / "pattern";
  fs::remove_all(dir);
  ASSERT_EQ(run(std::string(SLM_BINARY_DIR) + "/tools/slm trace -m " + tiny("tiny-llama") +
                " -p 'Hello there' -t 1 --tensors 'layer01.*,logits' --dump " + dir.string() + " > /dev/null 2>&1"),
            0);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"layer01.attn_out.npy", "layer01.ffn_out.npy", "layer01.residual.npy",
                                             "logits.npy"}));
}

TEST(TraceStats, HandComputedValues) {
  // [2][3]: rms = sqrt((1+4+9+16+0+1)/6), max |x| = 4 at token 1, channel 0.
  const std::vector<float> x = {1, -2, 3, -4, 0, 1};
  const slm::TensorStats s = slm::tensor_stats(x, 3);
  EXPECT_NEAR(s.rms, std::sqrt(31.0 / 6.0), 1e-12);
  EXPECT_EQ(s.max_abs, 4.0);
  EXPECT_EQ(s.max_token, 1);
  EXPECT_EQ(s.max_channel, 0);
  EXPECT_TRUE(slm::glob_match("layer*.residual", "layer03.residual"));
  EXPECT_TRUE(slm::glob_match("*", "logits"));
  EXPECT_TRUE(slm::glob_match("layer0?.a*_out", "layer07.attn_out"));
  EXPECT_FALSE(slm::glob_match("layer*.residual", "layer03.ffn_out"));
  EXPECT_FALSE(slm::glob_match("layer1?.*", "layer1.x"));
}

// The example: Gemma 3 keeps a residual stream orders of magnitude larger than
// SmolLM2's (its embeddings are scaled by sqrt(n_embd) and its sublayer outputs are normed
// again before the residual add). Printed in docs/trace.md.
TEST(TraceRealModels, Gemma3ResidualRmsFarLargerThanSmolLM2) {
  const fs::path gemma = fs::path(SLM_MODELS_DIR) / "gemma-3-270m-q4_k_m.gguf";
  const fs::path smol = fs::path(SLM_MODELS_DIR) / "SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!fs::exists(gemma) || !fs::exists(smol)) GTEST_SKIP() << "real models absent";
  auto residual_rms = [](const fs::path& p) {
    const slm::Model m = slm::Model::load(p);
    const auto tokens = m.tokenizer().encode("The quick brown fox jumps over the lazy dog", true, false);
    const slm::TraceReport r = slm::trace(m, tokens, {.threads = 2});
    std::vector<double> v;
    for (const auto& l : r.layers) v.push_back(l.residual.rms);
    return v;
  };
  const std::vector<double> g = residual_rms(gemma), s = residual_rms(smol);
  const double g_max = *std::max_element(g.begin(), g.end()), s_max = *std::max_element(s.begin(), s.end());
  EXPECT_GT(g_max, 3 * s_max) << "gemma max residual RMS " << g_max << ", SmolLM2 " << s_max;
  EXPECT_GT(g.back(), 10 * s.back()) << "last layer: gemma " << g.back() << ", SmolLM2 " << s.back();
}

}  // namespace
