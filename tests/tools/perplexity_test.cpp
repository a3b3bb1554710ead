// `slm perplexity` end to end: against llama.cpp's perplexity of the two real models on the
// same text (tests/data/real/perplexity.json, docs/perplexity-reference.md), and against the
// library's perplexity() on a tiny model.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>


#include "slm/model.hpp"
#include "slm/perplexity.hpp"
#include "support/cli.hpp"
#include "support/json.hpp"

namespace {

namespace fs = std::filesystem;
const fs::path kTmp = fs::temp_directory_path() / "slm_perplexity_test";
constexpr const char* kText = "/usr/share/common-licenses/GPL-3";

using Result = slm::test::CliResult;

using slm::test::run_slm;

// The number in "Final estimate: PPL = X +/- Y", or NaN. (Plain parsing: std::regex draws
// GCC 12 -Wmaybe-uninitialized false positives from libstdc++ in the sanitizer build.)
double final_ppl(const std::string& out) {
  const std::string key = "Final estimate: PPL = ";
  const auto at = out.find(key);
  if (at == std::string::npos) return NAN;
  const char* p = out.c_str() + at + key.size();
  char* end = nullptr;
  const double v = std::strtod(p, &end);
  return end != p && std::string_view(end).starts_with(" +/- ") ? v : NAN;
}

// Chunks to evaluate on the real models: all (0) in a normal build; under a sanitizer 20 of 59
// (about a third of the time), compared with llama.cpp's PPL after the same 20 chunks.
// SLM_PPL_CHUNKS overrides.
int chunks_for_ci() {
  if (const char* e = std::getenv("SLM_PPL_CHUNKS")) return std::atoi(e);
#if defined(__SANITIZE_ADDRESS__)
  return 20;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return 20;
#endif
#endif
  return 0;
}

void check_real_model(const std::string& name, int n_ctx) {
  const fs::path model = fs::path(SLM_MODELS_DIR) / name;
  if (!fs::exists(model)) GTEST_SKIP() << model << " absent (scripts/setup downloads it)";
  if (!fs::exists(kText)) GTEST_SKIP() << kText << " absent (Debian base-files)";
  const auto doc = slm::test::Json::parse_file(fs::path(SLM_TEST_DATA_DIR) / "real" / "perplexity.json");
  const slm::test::Json* ref = nullptr;
  for (std::size_t i = 0; i < doc["results"].size(); ++i) {
    const auto& r = doc["results"][i];
    if (r["model"].as_string() == name && r["n_ctx"].as_int() == n_ctx && r["kv_cache_type"].as_string() == "f32")
      ref = &r;
  }
  ASSERT_NE(ref, nullptr) << "no reference for " << name << " ctx " << n_ctx;

  const int chunks = chunks_for_ci();
  const int all = int((*ref)["n_chunk"].as_int());
  const int n = chunks > 0 && chunks < all ? chunks : all;
  const Result r = run_slm("perplexity -m " + model.string() + " -f " + kText + " -c " + std::to_string(n_ctx) +
                           " -t 2" + (n < all ? " --chunks " + std::to_string(n) : ""));
  ASSERT_EQ(r.status, 0) << r.err;
  // The tokenizer decides the chunks: the token count must be llama.cpp's exactly.
  EXPECT_NE(r.out.find("tokens: " + std::to_string((*ref)["n_tokens"].as_int()) + ","), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("chunks: " + std::to_string(n) + " of"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("chunk " + std::to_string(n) + "/" + std::to_string(n)), std::string::npos) << r.err;
  const double ours = final_ppl(r.out);
  const double theirs = (*ref)["running_ppl"][std::size_t(n - 1)].as_number();
  ASSERT_FALSE(std::isnan(ours)) << r.out;
  EXPECT_NEAR(ours / theirs, 1.0, 0.01) << name << " ctx " << n_ctx << " after " << n << " chunks: slm " << ours
                                         << ", llama.cpp " << theirs;
  if (n == all) {
    EXPECT_DOUBLE_EQ(theirs, (*ref)["ppl"].as_number());
  }
}

TEST(PerplexityCli, SmolLM2Ctx128WithinOnePercentOfLlamaCpp) { check_real_model("SmolLM2-135M-Instruct.Q4_1.gguf", 128); }
TEST(PerplexityCli, Gemma3Ctx128WithinOnePercentOfLlamaCpp) { check_real_model("gemma-3-270m-q4_k_m.gguf", 128); }

std::string tiny_model() { return std::string(SLM_TEST_DATA_DIR) + "/golden/models/tiny-llama-Q4_K_M.gguf"; }

std::string text() {
  std::stringstream ss;
  ss << std::ifstream(kText).rdbuf();
  return ss.str();
}

// The program prints what the library computes (same options, same numbers to the digits printed).
TEST(PerplexityCli, PrintsTheLibraryResultOnATinyModel) {
  if (!fs::exists(kText)) GTEST_SKIP() << kText << " absent";
  const std::string model_path = tiny_model();
  const slm::Model model = slm::Model::load(model_path);
  const slm::PerplexityResult lib = slm::perplexity(model, text(), {.n_ctx = 32, .max_chunks = 3, .threads = 1, .n_batch = 8});
  ASSERT_EQ(lib.n_chunks, 3);
  EXPECT_EQ(lib.n_scored, 3 * 15);

  const Result r = run_slm("perplexity -m " + model_path + " -f " + kText + " -c 32 --chunks 3 -t 1 -b 8");
  ASSERT_EQ(r.status, 0) << r.err;
  char want[64];
  std::snprintf(want, sizeof want, "PPL = %.4f +/- %.5f\n", lib.ppl, lib.ppl_error);
  EXPECT_NE(r.out.find(want), std::string::npos) << r.out << "\nwanted " << want;
  for (std::size_t i = 0; i < lib.ppl_after_chunk.size(); ++i) {
    std::snprintf(want, sizeof want, "[%zu]%.4f", i + 1, lib.ppl_after_chunk[i]);
    EXPECT_NE(r.out.find(want), std::string::npos) << r.out << "\nwanted " << want;
  }
  EXPECT_GT(lib.ppl, 1.0);
}

// PerplexityOptions::cancel (what Ctrl-C sets in `slm perplexity`) stops after the chunk under
// way; the result is the one of the chunks done.
TEST(PerplexityCli, CancelStopsAfterTheChunkUnderWay) {
  if (!fs::exists(kText)) GTEST_SKIP() << kText << " absent";
  const std::string model_path = tiny_model();
  const slm::Model model = slm::Model::load(model_path);
  slm::PerplexityOptions o{.n_ctx = 32, .max_chunks = 4, .threads = 1};
  const slm::PerplexityResult whole = slm::perplexity(model, text(), o);
  ASSERT_EQ(whole.n_chunks, 4);
  EXPECT_FALSE(whole.cancelled);

  std::atomic<bool> stop{false};
  o.cancel = &stop;
  o.on_chunk = [&](int done, int, double, double) { stop = done == 2; };
  const slm::PerplexityResult part = slm::perplexity(model, text(), o);
  EXPECT_TRUE(part.cancelled);
  ASSERT_EQ(part.n_chunks, 2);
  EXPECT_EQ(part.n_scored, 2 * 15);
  EXPECT_DOUBLE_EQ(part.ppl, whole.ppl_after_chunk[1]);
}

TEST(PerplexityCli, BadInputIsOneErrorLine) {
  const std::string model_path = tiny_model();
  Result r = run_slm("perplexity -m " + model_path);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("-f TEXT"), std::string::npos) << r.err;

  r = run_slm("perplexity -m " + model_path + " -f " + (kTmp / "missing.txt").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("missing.txt"), std::string::npos) << r.err;

  fs::create_directories(kTmp);
  std::ofstream(kTmp / "short.txt") << "a few words";
  r = run_slm("perplexity -m " + model_path + " -f " + (kTmp / "short.txt").string() + " -c 32");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("fewer than n_ctx 32"), std::string::npos) << r.err;

  r = run_slm("perplexity -m " + model_path + " -f " + (kTmp / "short.txt").string() + " --matmul fast");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--matmul"), std::string::npos) << r.err;
}

}  // namespace
