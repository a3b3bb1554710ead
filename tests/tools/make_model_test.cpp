// slm make-model (src/model/synthetic.cpp, shapes.cpp, quant_plan.cpp) against independent
// references:
//  - the tiny golden models (tests/data/golden/models/*.gguf, written by llama.cpp's converter
//    and llama-quantize Q4_K_M): a synthetic file with the same family and dims must have the
//    same tensor table, names, shapes AND types;
//  - the parameter count formula written out here, and the published counts of the seed models;
//  - the engine: every family's file loads and gives finite logits.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "gguf/reader.hpp"
#include "model/shapes.hpp"
#include "model/synthetic.hpp"
#include "slm/error.hpp"
#include "slm/model.hpp"
#include "slm/session.hpp"

namespace slm::model {
namespace {

namespace fs = std::filesystem;
using kernels::DType;

const std::string kGolden = SLM_TEST_DATA_DIR "/golden/models/";
const char* const kFamilies[] = {"llama", "qwen2", "gemma", "gemma2", "gemma3"};

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("slm_mm_" + std::to_string(::getpid()) + "_" + name);
}

// The dims of a golden tiny model, read from its metadata and token_embd.
ModelShape shape_of(const gguf::File& f) {
  const std::string a = f.get<std::string>("general.architecture");
  auto u = [&](const std::string& k) { return std::int64_t(f.get<std::uint32_t>(a + "." + k)); };
  const std::int64_t n_embd = u("embedding_length"), n_head = u("attention.head_count");
  const std::int64_t head_dim = f.find(a + ".attention.key_length") ? u("attention.key_length") : n_embd / n_head;
  ModelShape s = custom_shape(a, u("block_count"), n_embd, n_head, u("attention.head_count_kv"), head_dim,
                              u("feed_forward_length"), f.find_tensor("token_embd.weight")->ne[1]);
  s.tied_embeddings = f.find_tensor("output.weight") == nullptr;
  return s;
}

using Table = std::map<std::string, std::tuple<DType, std::vector<std::int64_t>>>;
Table table_of(const gguf::File& f) {
  Table t;
  for (const auto& ti : f.tensors()) t[ti.name] = {ti.type, std::vector<std::int64_t>(ti.ne, ti.ne + ti.n_dims)};
  return t;
}

// Parameters of a dense transformer of this family, written out from the architecture.
std::int64_t formula_params(const std::string& arch, const ModelShape& s) {
  const std::int64_t d = s.n_embd, q = s.n_head * s.head_dim, kv = s.n_head_kv * s.head_dim;
  std::int64_t layer = d * q + 2 * d * kv + q * d + 3 * d * s.n_ff + 2 * d;  // attn, ffn, 2 norms
  if (arch == "qwen2") layer += q + 2 * kv;                                   // q/k/v biases
  if (arch == "gemma2" || arch == "gemma3") layer += 2 * d;                   // post norms
  if (arch == "gemma3") layer += 2 * s.head_dim;                              // q/k norms
  return s.n_vocab * d * (s.tied_embeddings ? 1 : 2) + d + s.n_layer * layer +
         (s.llama3_rope_factor > 0 ? s.head_dim / 2 : 0);
}

TEST(MakeModel, SameTensorTableAsLlamaQuantizeForEveryFamily) {
  for (const char* fam : kFamilies) {
    SCOPED_TRACE(fam);
    const gguf::File golden = gguf::File::open(kGolden + "tiny-" + fam + "-Q4_K_M.gguf");
    const ModelShape shape = shape_of(golden);
    const fs::path out = temp_file(std::string(fam) + ".gguf");
    const SyntheticResult r = write_synthetic_model(shape, FileType::Q4_K_M, 7, out);
    const gguf::File f = gguf::File::open(out);
    const Table want = table_of(golden), got = table_of(f);
    EXPECT_EQ(got.size(), want.size());
    for (const auto& [name, tw] : want) {
      auto it = got.find(name);
      if (it == got.end()) {
        ADD_FAILURE() << "missing " << name;
        continue;
      }
      EXPECT_EQ(std::get<1>(it->second), std::get<1>(tw)) << name << " shape";
      EXPECT_EQ(kernels::dtype_name(std::get<0>(it->second)), kernels::dtype_name(std::get<0>(tw))) << name << " type";
    }
    std::int64_t elems = 0;
    for (const auto& t : f.tensors()) elems += t.n_elements();
    EXPECT_EQ(r.n_params, elems);
    EXPECT_EQ(r.n_params, formula_params(fam, shape));
    EXPECT_EQ(r.n_tensors, f.tensors().size());
    EXPECT_EQ(r.file_size, fs::file_size(out));
    // metadata llama.cpp needs
    EXPECT_EQ(f.get<std::string>("general.architecture"), fam);
    EXPECT_EQ(f.get<std::uint32_t>("general.file_type"), 15u);
    EXPECT_EQ(f.get<std::uint32_t>("general.quantization_version"), 2u);
    EXPECT_EQ(f.get<std::vector<std::string>>("tokenizer.ggml.tokens").size(), std::size_t(shape.n_vocab));
    EXPECT_EQ(f.get<std::vector<float>>("tokenizer.ggml.scores").size(), std::size_t(shape.n_vocab));
    EXPECT_EQ(f.get<std::vector<std::int32_t>>("tokenizer.ggml.token_type").size(), std::size_t(shape.n_vocab));
    for (const char* k : {"context_length", "embedding_length", "block_count", "feed_forward_length",
                          "attention.head_count", "attention.head_count_kv", "attention.key_length",
                          "attention.value_length", "attention.layer_norm_rms_epsilon", "rope.freq_base"})
      EXPECT_NE(f.find(std::string(fam) + "." + k), nullptr) << k;
    fs::remove(out);
  }
}

TEST(MakeModel, FileTypesGiveTheirTypeToEveryMatrix) {
  const ModelShape shape = custom_shape("qwen2", 2, 128, 4, 2, 32, 256, 300);
  for (auto [ft, type] : {std::pair{FileType::Q8_0, DType::Q8_0}, {FileType::F16, DType::F16},
                          {FileType::BF16, DType::BF16}, {FileType::F32, DType::F32}}) {
    SCOPED_TRACE(std::string(file_type_name(ft)));
    const fs::path out = temp_file("ft.gguf");
    write_synthetic_model(shape, ft, 1, out);
    const gguf::File f = gguf::File::open(out);
    EXPECT_EQ(f.get<std::uint32_t>("general.file_type"), static_cast<std::uint32_t>(ft));
    for (const auto& t : f.tensors())
      EXPECT_EQ(kernels::dtype_name(t.type), kernels::dtype_name(t.n_dims >= 2 ? type : DType::F32)) << t.name;
    fs::remove(out);
  }
}

// Weights have the documented scale: matrices N(0, 0.02), norms 1 + N(0, 0.02), biases N(0, 0.02).
TEST(MakeModel, WeightStatistics) {
  const ModelShape shape = custom_shape("qwen2", 2, 256, 4, 2, 64, 512, 300);
  const fs::path out = temp_file("stats.gguf");
  write_synthetic_model(shape, FileType::F32, 3, out);
  const gguf::File f = gguf::File::open(out);
  for (const char* name : {"blk.0.ffn_up.weight", "blk.1.ffn_norm.weight", "blk.0.attn_q.bias"}) {
    const auto* t = f.find_tensor(name);
    ASSERT_NE(t, nullptr);
    const auto* x = reinterpret_cast<const float*>(f.tensor_data(*t).data());
    double s = 0, s2 = 0;
    const auto n = t->n_elements();
    for (std::int64_t i = 0; i < n; ++i) s += x[i], s2 += double(x[i]) * x[i];
    const double mean = s / double(n), sd = std::sqrt(s2 / double(n) - mean * mean);
    EXPECT_NEAR(mean, std::string(name).find("norm") != std::string::npos ? 1.0 : 0.0, 5 * 0.02 / std::sqrt(double(n)))
        << name;
    EXPECT_NEAR(sd, 0.02, 0.2 * 0.02) << name;
  }
  // Different seeds give different weights; the same seed the same file.
  const fs::path again = temp_file("stats2.gguf"), other = temp_file("stats3.gguf");
  write_synthetic_model(shape, FileType::F32, 3, again);
  write_synthetic_model(shape, FileType::F32, 4, other);
  auto bytes = [](const fs::path& p) {
    const gguf::File g = gguf::File::open(p);
    const auto d = g.tensor_data(*g.find_tensor("blk.0.attn_v.weight"));
    return std::vector<std::uint8_t>(d.begin(), d.end());
  };
  EXPECT_EQ(bytes(out), bytes(again));
  EXPECT_NE(bytes(out), bytes(other));
  for (const auto& p : {out, again, other}) fs::remove(p);
}

// The seed table against the model cards' published parameter counts (the Llama 3.2 files
// carry 32 or 64 extra rope_freqs values the cards do not count).
TEST(MakeModel, SeedShapesMatchPublishedParameterCounts) {
  ASSERT_EQ(seed_shapes().size(), 12u);
  for (const ModelShape& s : seed_shapes()) {
    SCOPED_TRACE(s.name);
    const std::int64_t n = parameter_count(s);
    EXPECT_EQ(n, formula_params(s.arch, s));
    EXPECT_NEAR(double(n), double(s.published_params), double(s.published_params) * 1e-6);
  }
  EXPECT_NE(find_shape("gemma3-270m"), nullptr);
  EXPECT_EQ(find_shape("gemma3-270x"), nullptr);
}

// The gemma-3-270m preset against the real file (models/, when present): same tensor shapes.
TEST(MakeModel, Gemma3_270mPresetMatchesTheRealFile) {
  const fs::path real = SLM_MODELS_DIR "/gemma-3-270m-q4_k_m.gguf";
  if (!fs::exists(real)) GTEST_SKIP() << real << " not present";
  const gguf::File f = gguf::File::open(real);
  const std::vector<TensorSpec> layout = tensor_layout(*find_shape("gemma3-270m"));
  ASSERT_EQ(layout.size(), f.tensors().size());
  for (const TensorSpec& t : layout) {
    const gguf::TensorInfo* ti = f.find_tensor(t.name);
    ASSERT_NE(ti, nullptr) << t.name;
    EXPECT_EQ(std::vector<std::int64_t>(ti->ne, ti->ne + ti->n_dims), t.ne) << t.name;
  }
}

TEST(MakeModel, EngineLoadsEveryFamilyAndGivesFiniteLogits) {
  for (const char* fam : kFamilies) {
    SCOPED_TRACE(fam);
    ModelShape shape = custom_shape(fam, 3, 256, 4, 2, 64, 512, 400);
    shape.sliding_window = shape.sliding_window > 0 ? 4 : 0;  // so the windows take effect
    const fs::path out = temp_file(std::string(fam) + "_engine.gguf");
    write_synthetic_model(shape, FileType::Q4_K_M, 11, out);
    const Model m = Model::load(out);
    EXPECT_EQ(m.hparams().n_vocab, 400);
    Session s(m, SessionOptions{.n_ctx = 32, .threads = 1});
    const std::vector<TokenId> prompt = {1, 300, 301, 302, 303, 304, 305, 306, 307, 308};
    auto logits = s.prefill(prompt);
    ASSERT_EQ(logits.size(), 400u);
    for (float x : logits) ASSERT_TRUE(std::isfinite(x));
    for (TokenId t : {10, 20, 30}) {
      logits = s.decode(t);
      for (float x : logits) ASSERT_TRUE(std::isfinite(x));
    }
    fs::remove(out);
  }
}

TEST(MakeModel, RejectsBadShapes) {
  EXPECT_THROW(custom_shape("gpt9", 2, 128, 4, 2, 32, 256, 300), Error);
  EXPECT_THROW(custom_shape("llama", 2, 128, 4, 3, 32, 256, 300), Error);  // 4 heads, 3 kv heads
  EXPECT_THROW(custom_shape("llama", 0, 128, 4, 2, 32, 256, 300), Error);
  const fs::path out = temp_file("bad.gguf");
  try {
    write_synthetic_model(custom_shape("llama", 1, 128, 4, 2, 32, 256, 100), FileType::Q4_K_M, 1, out);
    ADD_FAILURE() << "n_vocab 100 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::Kind::Argument);
  }
  fs::remove(out);
}

// The command line: a custom shape, printed totals, and argument errors.
TEST(MakeModel, CommandLine) {
  const std::string slm = SLM_BINARY_DIR "/tools/slm";
  const fs::path out = temp_file("cli.gguf");
  auto run = [](const std::string& cmd) {
    const int rc = std::system((cmd + " > /dev/null 2>&1").c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  };
  ASSERT_EQ(run(slm + " make-model --arch gemma3 --dims 2,256,4,1,64,512,300 --quant Q8_0 --ctx 1024 -o " +
                out.string()), 0);
  const gguf::File f = gguf::File::open(out);
  EXPECT_EQ(f.get<std::uint32_t>("gemma3.context_length"), 1024u);
  EXPECT_EQ(f.find_tensor("blk.1.ffn_down.weight")->type, DType::Q8_0);
  fs::remove(out);
  EXPECT_EQ(run(slm + " make-model --shape nope -o " + out.string()), 1);
  EXPECT_EQ(run(slm + " make-model --arch llama --dims 1,2,3 -o " + out.string()), 1);
  EXPECT_EQ(run(slm + " make-model --shape gemma-2b --quant Q3_K -o " + out.string()), 1);
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace slm::model
