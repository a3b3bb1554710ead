// The architecture card (model/card.hpp) against independent references:
//  - published parameter counts of the real models (sources next to each number);
//  - an independent count from the tensor table by the Python gguf package (totals, embedding,
//    LM head, per-token matmul parameters, bytes by type), for every model file at hand;
//  - KV-cache sizes from the published architecture facts, computed here from the metadata the
//    Python package reads (window pattern stated per family from the model reports);
//  - the seed shapes' published counts for the synthetic files (models/synthetic);
//  - docs/architectures.md holds the current rendering of every family's ArchSpec.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>

#include <unistd.h>

#include "gguf/reader.hpp"
#include "model/card.hpp"
#include "model/shapes.hpp"
#include "slm/error.hpp"
#include "support/json.hpp"
#include "util/bandwidth.hpp"

namespace {

namespace fs = std::filesystem;
using slm::model::ArchCard;

const fs::path kModels = SLM_MODELS_DIR;
const fs::path kGolden = fs::path(SLM_TEST_DATA_DIR) / "golden" / "models";

ArchCard card_of(const fs::path& p, std::int64_t pos = 512) {
  return slm::model::make_card(slm::gguf::File::open(p), {.attn_position = pos, .bandwidth_gbps = 0, .bandwidth_source = {}});
}

std::string python() {
  const char* py = std::getenv("SLM_PYTHON");
  return py && *py ? py : "python3";
}

// The Python gguf package's view of a file, one "key value" per line.
const char* kOracle = R"PY(
import sys, gguf, numpy as np
for path in sys.argv[1:]:
  r = gguf.GGUFReader(path)
  print('file', 0, path)
  def field(name, default=None):
      f = r.fields.get(name)
      if f is None: return default
      v = f.parts[f.data[0]]
      return v.tolist()[0] if hasattr(v, 'tolist') else v
  arch = bytes(r.fields['general.architecture'].parts[-1]).decode()
  t = {x.name: x for x in r.tensors}
  n = lambda x: int(np.prod([int(d) for d in x.shape]))
  total = sum(n(x) for x in r.tensors)
  embd = n(t['token_embd.weight'])
  head = n(t['output.weight']) if 'output.weight' in t else 0
  blk = sum(n(x) for x in r.tensors if x.name.startswith('blk.') and len(x.shape) >= 2 and int(x.shape[1]) > 1)
  print('total', total); print('embedding', embd); print('lm_head', head)
  print('matmul_params', blk + (head if head else embd))
  print('bytes', sum(int(x.n_bytes) for x in r.tensors))
  by = {}
  for x in r.tensors: by[x.tensor_type.name] = by.get(x.tensor_type.name, 0) + int(x.n_bytes)
  for k in sorted(by): print('bytes_' + k, by[k])
  L = field(arch + '.block_count'); kv = field(arch + '.attention.head_count_kv', field(arch + '.attention.head_count'))
  hd = field(arch + '.attention.key_length', field(arch + '.embedding_length') // field(arch + '.attention.head_count'))
  ctx = field(arch + '.context_length'); W = field(arch + '.attention.sliding_window', 0)
  # Local (sliding-window) layers as the model reports describe them: Gemma 2 alternates local/global
  # starting with local; Gemma 3 has five local layers then one global.
  local = [(arch == 'gemma2' and i % 2 == 0) or (arch == 'gemma3' and i % 6 < 5) for i in range(L)]
  local = [l and W > 0 for l in local]
  row = 2 * kv * hd
  print('kv_token_f32', L * row * 4)
  print('kv_full_f16', sum((min(ctx, W) if l else ctx) * row * 2 for l in local))
  print('n_vocab', int(t['token_embd.weight'].shape[1]))
)PY";

// Runs the oracle once over every file (one interpreter: reading a 262k-token vocabulary is slow).
std::map<std::string, std::map<std::string, std::int64_t>> oracle(const std::vector<fs::path>& models) {
  const fs::path script = fs::temp_directory_path() / ("slm_card_oracle_" + std::to_string(::getpid()) + ".py");
  std::ofstream(script) << kOracle;
  std::string cmd = python() + " '" + script.string() + "'";
  for (const auto& m : models) cmd += " '" + m.string() + "'";
  std::map<std::string, std::map<std::string, std::int64_t>> out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char key[128], path[4096];
  long long v;
  std::string current;
  while (std::fscanf(p, "%127s %lld", key, &v) == 2) {
    if (std::string(key) == "file") {
      if (std::fscanf(p, " %4095s", path) != 1) break;
      current = path;
    } else {
      out[current][key] = v;
    }
  }
  ::pclose(p);
  fs::remove(script);
  return out;
}

std::vector<fs::path> model_files() {
  std::vector<fs::path> v;
  for (const char* name : {"gemma-3-270m-q4_k_m.gguf", "SmolLM2-135M-Instruct.Q4_1.gguf"})
    if (fs::exists(kModels / name)) v.push_back(kModels / name);
  // Tiny golden models: untied head (llama), sliding windows every other layer (gemma2), 5:1 (gemma3).
  for (const char* name : {"tiny-llama", "tiny-gemma2", "tiny-gemma3"}) v.push_back(kGolden / (std::string(name) + "-Q4_K_M.gguf"));
  return v;
}

// Runs the slm program; stdout and stderr together.
std::string run_slm(const std::string& args) {
  const std::string cmd = std::string(SLM_BINARY_DIR) + "/tools/slm " + args + " 2>&1";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  ::pclose(p);
  return out;
}

// Published counts. The model cards give rounded sizes; the exact element counts of the
// official checkpoints (sum over the safetensors tensors) are the numbers below:
//  - google/gemma-3-270m: 268,098,176 ("268M params" on the Hugging Face model page; Google's
//    announcement "Introducing Gemma 3 270M" (developers.googleblog.com, Aug 2025) splits it as
//    ~170M embedding + ~100M transformer-block parameters).
//  - HuggingFaceTB/SmolLM2-135M(-Instruct): 134,515,008 ("135M params" on the model page).
// The GGUF conversion keeps every tensor (norms stay F32), so the file's count is the same.
TEST(ArchCard, Gemma3_270mMatchesThePublishedCounts) {
  const fs::path p = kModels / "gemma-3-270m-q4_k_m.gguf";
  if (!fs::exists(p)) GTEST_SKIP() << p << " absent (scripts/models)";
  const ArchCard c = card_of(p);
  EXPECT_EQ(c.params_total, 268098176);
  EXPECT_TRUE(c.tied_embeddings);
  EXPECT_EQ(c.params_lm_head, 0);
  // "170M embedding parameters ... 100M for our transformer blocks" (rounded in the announcement).
  EXPECT_NEAR(double(c.params_embedding), 170e6, 3e6);
  EXPECT_NEAR(double(c.params_non_embedding), 100e6, 1e6);
  EXPECT_EQ(c.params_embedding + c.params_non_embedding, c.params_total);  // tied: counted once
  // Published architecture: 18 layers, d 640, 4 query heads, 1 KV head, head dim 256, window 512,
  // 262k vocabulary, 5 local : 1 global.
  EXPECT_EQ(c.n_layer, 18);
  EXPECT_EQ(c.d_model, 640);
  EXPECT_EQ(c.attention, "MQA");
  EXPECT_EQ(c.group_size, 4);
  EXPECT_EQ(c.head_dim, 256);
  EXPECT_EQ(c.ffn_kind, "GeGLU");
  EXPECT_EQ(c.sliding_window, 512);
  EXPECT_EQ(c.local_layers.size(), 15u);
  EXPECT_EQ(c.n_vocab, 262144);
  EXPECT_TRUE(c.qk_norm && c.post_attn_norm && c.post_ffn_norm);
}

TEST(ArchCard, SmolLM2_135mMatchesThePublishedCounts) {
  const fs::path p = kModels / "SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!fs::exists(p)) GTEST_SKIP() << p << " absent (scripts/models)";
  const ArchCard c = card_of(p);
  EXPECT_EQ(c.params_total, 134515008);
  EXPECT_TRUE(c.tied_embeddings);
  // Published config: 30 layers, hidden 576, 9 heads, 3 KV heads, intermediate 1536, vocab 49152.
  EXPECT_EQ(c.n_layer, 30);
  EXPECT_EQ(c.d_model, 576);
  EXPECT_EQ(c.attention, "GQA");
  EXPECT_EQ(c.group_size, 3);
  EXPECT_EQ(c.n_ff, 1536);
  EXPECT_EQ(c.n_vocab, 49152);
  EXPECT_EQ(c.ffn_kind, "SwiGLU");
  EXPECT_TRUE(c.local_layers.empty());
  EXPECT_EQ(c.tokenizer_model, "gpt2");
  EXPECT_EQ(c.tokenizer_pre, "smollm");
}

TEST(ArchCard, CountsAndBytesEqualThePythonGgufPackage) {
  const auto files = model_files();
  const auto all = oracle(files);
  for (const fs::path& p : files) {
    SCOPED_TRACE(p.string());
    ASSERT_TRUE(all.count(p.string())) << "the Python gguf package did not run (" << python() << ")";
    const auto& o = all.at(p.string());
    const ArchCard c = card_of(p);
    EXPECT_EQ(c.params_total, o.at("total"));
    EXPECT_EQ(c.params_embedding, o.at("embedding"));
    EXPECT_EQ(c.params_lm_head, o.at("lm_head"));
    EXPECT_EQ(c.params_non_embedding, o.at("total") - o.at("embedding") - o.at("lm_head"));
    EXPECT_EQ(c.n_vocab, o.at("n_vocab"));
    EXPECT_EQ(std::int64_t(c.weight_bytes), o.at("bytes"));
    for (const auto& f : c.formats) EXPECT_EQ(std::int64_t(f.bytes), o.at("bytes_" + f.type)) << f.type;
    EXPECT_DOUBLE_EQ(c.matmul_flops, 2.0 * double(o.at("matmul_params")));
    EXPECT_EQ(std::int64_t(c.kv_bytes_per_token_f32), o.at("kv_token_f32"));
    EXPECT_EQ(std::int64_t(c.kv_bytes_per_token_f16) * 2, o.at("kv_token_f32"));
    EXPECT_EQ(std::int64_t(c.kv_bytes_full_ctx_f16), o.at("kv_full_f16"));
  }
}

// Attention cost at a position: 4·n_head·head_dim FLOPs per visible key and layer; the window
// caps the keys of local layers. Two positions on each side of the window check the cap.
TEST(ArchCard, AttentionCostGrowsWithPositionAndStopsAtTheWindowOnLocalLayers) {
  for (const fs::path& p : model_files()) {
    SCOPED_TRACE(p.string());
    const ArchCard a = card_of(p, 0), b = card_of(p, 1000);
    const double per_key = 4.0 * double(a.n_head * a.head_dim);
    EXPECT_DOUBLE_EQ(a.attn_flops, per_key * double(a.n_layer));  // position 0: one key per layer
    const std::int64_t pos = std::min<std::int64_t>(1000, b.n_ctx_train - 1);
    double keys = 0;
    for (std::int64_t il = 0; il < b.n_layer; ++il) {
      const bool local = std::find(b.local_layers.begin(), b.local_layers.end(), il) != b.local_layers.end();
      keys += double(local ? std::min(pos + 1, b.sliding_window) : pos + 1);
    }
    EXPECT_DOUBLE_EQ(b.attn_flops, per_key * keys);
    EXPECT_EQ(b.kv_read_bytes_f32, std::uint64_t(keys) * 2 * std::uint64_t(b.n_head_kv * b.head_dim) * 4);
    EXPECT_EQ(a.matmul_flops, b.matmul_flops);
  }
}

TEST(ArchCard, WeightBytesPerTokenReadOneEmbeddingRowAndTheHead) {
  for (const fs::path& p : model_files()) {
    SCOPED_TRACE(p.string());
    const auto f = slm::gguf::File::open(p);
    const auto* embd = f.find_tensor("token_embd.weight");
    const ArchCard c = slm::model::make_card(f, {.attn_position = 512, .bandwidth_gbps = 20, .bandwidth_source = "test"});
    const std::uint64_t row = embd->n_bytes / std::uint64_t(embd->ne[1]);
    const std::uint64_t expect = c.weight_bytes - embd->n_bytes + row + (c.tied_embeddings ? embd->n_bytes : 0);
    EXPECT_EQ(c.weight_bytes_per_token, expect);
    EXPECT_DOUBLE_EQ(c.tokens_per_s_ceiling, 20e9 / double(c.weight_bytes_per_token + c.kv_read_bytes_f32));
  }
}

// Synthetic files at the seed shapes (slm make-model; not committed: docs/make-model.md).
TEST(ArchCard, SyntheticFilesMatchTheSeedShapesPublishedCounts) {
  int checked = 0;
  for (const auto& s : slm::model::seed_shapes()) {
    const fs::path p = kModels / "synthetic" / (s.name + "-Q4_K_M.gguf");
    if (!fs::exists(p)) continue;
    SCOPED_TRACE(p.string());
    const ArchCard c = card_of(p);
    ++checked;
    EXPECT_EQ(c.params_total, slm::model::parameter_count(s));
    // Llama 3.2 files add the 32-element rope_freqs tensor to the published count.
    EXPECT_NEAR(double(c.params_total), double(s.published_params), double(s.published_params) * 1e-6);
    EXPECT_EQ(c.n_layer, s.n_layer);
    EXPECT_EQ(c.n_head_kv, s.n_head_kv);
    EXPECT_EQ(c.tied_embeddings, s.tied_embeddings);
    EXPECT_EQ(c.sliding_window, s.sliding_window);
    EXPECT_EQ(c.kv_bytes_per_token_f16, std::uint64_t(s.n_layer * 2 * s.n_head_kv * s.head_dim * 2));
  }
  if (checked == 0) GTEST_SKIP() << "no models/synthetic/*.gguf (slm make-model --shape NAME --quant Q4_K_M)";
}

TEST(ArchCard, UnknownArchitectureIsAnErrorNamingTheKey) {
  // A file whose family slm does not know: an Unsupported error, no card.
  const fs::path p = kGolden / "tiny-llama-Q4_K_M.gguf";
  auto bytes = [&] {
    std::ifstream in(p, std::ios::binary);
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
  }();
  const std::string from = "llama", to = "xlama";
  auto it = std::search(bytes.begin(), bytes.end(), from.begin(), from.end());
  ASSERT_NE(it, bytes.end());
  std::copy(to.begin(), to.end(), it);  // the first "llama" is general.architecture's value
  // slm inspect still shows the file, with the reason there is no card.
  const fs::path tmp = fs::temp_directory_path() / ("slm_card_xlama_" + std::to_string(::getpid()) + ".gguf");
  std::ofstream(tmp, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  const std::string text = run_slm("inspect '" + tmp.string() + "'");
  fs::remove(tmp);
  EXPECT_NE(text.find("\ntotals by type:"), std::string::npos) << text;
  EXPECT_NE(text.find("architecture card: not available ("), std::string::npos) << text;
  EXPECT_NE(text.find("unknown architecture 'xlama'"), std::string::npos) << text;
  const auto f = slm::gguf::File::from_bytes(std::move(bytes), "renamed");
  try {
    slm::model::make_card(f);
    FAIL() << "expected an error";
  } catch (const slm::Error& e) {
    EXPECT_EQ(e.kind(), slm::Error::Kind::Unsupported);
    EXPECT_NE(std::string(e.what()).find("general.architecture"), std::string::npos) << e.what();
  }
}

// `slm inspect` shows the library's card after the raw sections (text), and as the
// "architecture_card" member (JSON); a file without a card says why instead.
TEST(ArchCard, InspectShowsTheCardAsTextAndJson) {
  const fs::path p = kGolden / "tiny-gemma2-Q4_K_M.gguf";
  const ArchCard c = slm::model::make_card(slm::gguf::File::open(p), {512, 10, "--bandwidth"});
  const std::string text = run_slm("inspect '" + p.string() + "' --bandwidth 10");
  const auto at = text.find("\narchitecture card:\n");
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_LT(text.find("\ntotals by type:"), at);  // after the raw sections
  EXPECT_EQ(text.substr(at + 1), slm::model::card_text(c));

  const auto j = slm::test::Json::parse(run_slm("inspect '" + p.string() + "' --json --bandwidth 10 --ctx-pos 100"));
  const auto& card = j["architecture_card"];
  EXPECT_EQ(card["family"].as_string(), "gemma2");
  EXPECT_EQ(card["parameters"]["total"].as_int(), c.params_total);
  EXPECT_EQ(card["parameters"]["non_embedding"].as_int(), c.params_non_embedding);
  EXPECT_EQ(card["attention"].as_string(), c.attention);
  EXPECT_EQ(card["sliding_window"]["window"].as_int(), c.sliding_window);
  EXPECT_EQ(card["sliding_window"]["local_layers"].size(), c.local_layers.size());
  EXPECT_EQ(card["kv_cache"]["bytes_at_trained_context_f16"].as_int(), std::int64_t(c.kv_bytes_full_ctx_f16));
  EXPECT_EQ(card["per_token"]["attn_position"].as_int(), 100);
  EXPECT_EQ(card["per_token"]["bandwidth_gbps"].as_number(), 10.0);
  EXPECT_EQ(card["attn_softcap"].as_number(), c.attn_softcap);
  EXPECT_GT(c.attn_softcap, 0);
}

TEST(ArchCard, BandwidthProbeMeasuresSomething) {
  const double gbps = slm::util::measure_read_bandwidth_gbps(1);
  EXPECT_GT(gbps, 0.0);
  EXPECT_TRUE(std::isfinite(gbps));
  // Both kinds of pass sum every word (a pass returns 0 when the sums are not the known ones).
  slm::util::ReadProbe probe(std::size_t{64} << 20, 2);
  ASSERT_GT(probe.bytes(), 0u);
  EXPECT_GT(probe.pass(false), 0.0);
  EXPECT_GT(probe.pass(true), 0.0);
  // Any ranges, at any offset (tensors start 32-byte aligned, not 64), including empty ones
  // (the sanitizer builds check that no read leaves them).
  std::vector<std::uint8_t> a(3 << 20, 1), b(1000, 2);
  const std::span<const std::uint8_t> ranges[] = {{a.data() + 3, a.size() - 3}, {b.data() + 1, 7}, {b.data(), 0},
                                                   {b.data() + 5, b.size() - 5}};
  for (int threads : {1, 2, 3}) {
    EXPECT_GT(slm::util::read_rate_gbps(ranges, threads, false), 0.0);
    EXPECT_GT(slm::util::read_rate_gbps(ranges, threads, true), 0.0);
  }
}

TEST(ArchCard, DocsShowTheCurrentFamilyTable) {
  std::ifstream in(fs::path(SLM_SOURCE_DIR) / "docs" / "architectures.md");
  ASSERT_TRUE(in) << "docs/architectures.md missing";
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_NE(s.str().find(slm::model::families_markdown()), std::string::npos)
      << "docs/architectures.md does not contain the current `slm inspect --families` output:\n"
      << slm::model::families_markdown();
}

}  // namespace
