// Loading: hyper-parameters read from GGUF (with the documented defaults), architecture
// structure, and clear errors for damaged files (built by copying a tiny golden model through
// the GGUF writer with one thing changed).
#include <gtest/gtest.h>

#include <filesystem>
#include <cmath>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "gguf/reader.hpp"
#include "gguf/writer.hpp"
#include "model/model_impl.hpp"
#include "slm/error.hpp"
#include "slm/model.hpp"

namespace fs = std::filesystem;

namespace {

fs::path tiny(const std::string& family) {
  return fs::path(SLM_TEST_DATA_DIR) / "golden" / "models" / ("tiny-" + family + "-Q4_K_M.gguf");
}

// Edits applied while copying: return false to drop the key / tensor.
struct Damage {
  std::function<bool(const std::string& key, slm::gguf::Value& v)> kv = [](auto&, auto&) { return true; };
  std::function<bool(const std::string& name, std::vector<std::int64_t>& shape)> tensor = [](auto&, auto&) {
    return true;
  };
};

fs::path write_damaged(const std::string& family, const Damage& d, const std::string& name) {
  const slm::gguf::File f = slm::gguf::File::open(tiny(family));
  slm::gguf::Writer w;
  for (const auto& kv : f.metadata()) {
    slm::gguf::Value v = kv.value;
    if (d.kv(kv.key, v)) w.add(kv.key, v);
  }
  for (const auto& t : f.tensors()) {
    std::vector<std::int64_t> shape(t.ne, t.ne + t.n_dims);
    if (d.tensor(t.name, shape)) w.add_tensor(t.name, t.type, shape, f.tensor_data(t));
  }
  const fs::path out = fs::temp_directory_path() / ("slm-engine-test-" + std::to_string(::getpid()) + "-" + name + ".gguf");
  w.write_file(out);
  return out;
}

// Loads `path` expecting an slm::Error of `kind` whose where() is `where`.
slm::Error load_error(const fs::path& path, slm::Error::Kind kind, const std::string& where) {
  try {
    slm::Model::load(path);
  } catch (const slm::Error& e) {
    fs::remove(path);
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_EQ(e.where(), where) << e.what();
    EXPECT_NE(std::string(e.what()).find(path.filename().string()), std::string::npos) << e.what();
    return e;
  }
  fs::remove(path);
  ADD_FAILURE() << "loading " << path << " did not throw";
  return slm::Error(slm::Error::Kind::Io, "no error");
}

TEST(ModelLoad, HParamsOfEveryTinyFamily) {
  struct Expected {
    const char* family;
    std::int64_t n_layer, n_head, n_head_kv, head_dim, n_vocab;
    float rope_base, rope_base_local, attn_cap, final_cap, embed_scale;
    std::vector<bool> local;
    bool tied;
  };
  // Values from tests/data/golden/README.md §4 (metadata and llama.cpp's defaults).
  const std::vector<Expected> cases = {
      {"llama", 4, 8, 2, 32, 32000, 10000, 10000, 0, 0, 1, {false, false, false, false}, false},
      {"qwen2", 4, 8, 2, 32, 50257, 1e6f, 1e6f, 0, 0, 1, {false, false, false, false}, true},
      {"gemma", 4, 4, 1, 64, 32000, 10000, 10000, 0, 0, 16, {false, false, false, false}, true},
      {"gemma2", 4, 4, 2, 64, 32000, 10000, 10000, 50, 30, 16, {true, false, true, false}, true},
      {"gemma3", 6, 4, 1, 64, 32000, 1e6f, 10000, 0, 0, 16, {true, true, true, true, true, false}, true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.family);
    const slm::Model m = slm::Model::load(tiny(c.family));
    const slm::HParams& hp = m.hparams();
    EXPECT_EQ(m.arch().gguf_arch, c.family);
    EXPECT_EQ(hp.n_embd, 256);
    EXPECT_EQ(hp.n_ff, 768);
    EXPECT_EQ(hp.n_layer, c.n_layer);
    EXPECT_EQ(hp.n_head, c.n_head);
    EXPECT_EQ(hp.n_head_kv, c.n_head_kv);
    EXPECT_EQ(hp.head_dim, c.head_dim);
    EXPECT_EQ(hp.n_rot, c.head_dim);
    EXPECT_EQ(hp.n_vocab, c.n_vocab);
    EXPECT_EQ(hp.n_ctx_train, 2048);
    EXPECT_FLOAT_EQ(hp.rope_base, c.rope_base);
    EXPECT_FLOAT_EQ(hp.rope_base_local, c.rope_base_local);
    EXPECT_FLOAT_EQ(hp.attn_softcap, c.attn_cap);
    EXPECT_FLOAT_EQ(hp.final_softcap, c.final_cap);
    EXPECT_FLOAT_EQ(hp.embed_scale, c.embed_scale);
    EXPECT_FLOAT_EQ(hp.query_scale, 1.0f / std::sqrt(float(c.head_dim)));
    EXPECT_EQ(hp.layer_is_local, c.local);
    EXPECT_EQ(hp.sliding_window, c.local[0] ? 8 : 0);
    EXPECT_EQ(m.info().tied_output, c.tied);
    EXPECT_EQ(m.info().architecture, c.family);
    EXPECT_GT(m.info().n_params, 0);
  }
}

// The byte ranges a decode step streams (slm bench reads them to time the weights' memory):
// exactly the data of every layer's projections and of the LM head, as the GGUF tensor table
// lists them (the embedding table only when it is the LM head).
TEST(ModelLoad, DecodeReadRangesAreTheProjectionsAndTheLmHead) {
  for (const std::string family : {"llama", "qwen2", "gemma", "gemma2", "gemma3"}) {
    SCOPED_TRACE(family);
    const slm::Model m = slm::Model::load(tiny(family));
    const slm::gguf::File& f = m.impl().file;
    std::set<std::pair<const std::uint8_t*, std::size_t>> expected;
    for (const auto& t : f.tensors()) {
      const bool projection = t.name.starts_with("blk.") &&
                              (t.name.ends_with("attn_q.weight") || t.name.ends_with("attn_k.weight") ||
                               t.name.ends_with("attn_v.weight") || t.name.ends_with("attn_output.weight") ||
                               t.name.ends_with("ffn_gate.weight") || t.name.ends_with("ffn_up.weight") ||
                               t.name.ends_with("ffn_down.weight"));
      const bool head = t.name == "output.weight" || (t.name == "token_embd.weight" && m.info().tied_output);
      if (projection || head) expected.emplace(f.tensor_data(t).data(), f.tensor_data(t).size());
    }
    std::set<std::pair<const std::uint8_t*, std::size_t>> got;
    for (const auto& r : slm::model::decode_read_ranges(m.impl().weights)) got.emplace(r.data(), r.size());
    EXPECT_EQ(got, expected);
    EXPECT_EQ(expected.size(), std::size_t(7 * m.hparams().n_layer + 1));
  }
}

TEST(ModelLoad, ModelIsACheapSharedHandle) {
  const slm::Model a = slm::Model::load(tiny("llama"));
  const slm::Model b = a;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(&a.hparams(), &b.hparams());
  EXPECT_EQ(&a.file(), &b.file());
}

TEST(ModelLoad, EveryFamilyIsRegistered) {
  std::vector<std::string> names;
  for (const slm::ArchSpec* a : slm::all_archs()) {
    names.emplace_back(a->gguf_arch);
    EXPECT_EQ(slm::find_arch(a->gguf_arch), a);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"llama", "qwen2", "gemma", "gemma2", "gemma3"}));
  EXPECT_EQ(slm::find_arch("gpt-neox"), nullptr);
}

TEST(ModelLoad, MissingFileIsAnIoError) {
  try {
    slm::Model::load("/nonexistent/model.gguf");
    FAIL() << "no error";
  } catch (const slm::Error& e) {
    EXPECT_EQ(e.kind(), slm::Error::Kind::Io);
  }
}

TEST(ModelLoad, UnknownArchitecture) {
  Damage d;
  d.kv = [](const std::string& key, slm::gguf::Value& v) {
    if (key == "general.architecture") v = slm::gguf::Value::string("mamba");
    return true;
  };
  const slm::Error e = load_error(write_damaged("llama", d, "arch"), slm::Error::Kind::Unsupported,
                                  "general.architecture");
  EXPECT_NE(std::string(e.what()).find("mamba"), std::string::npos) << e.what();
}

TEST(ModelLoad, MissingTensor) {
  Damage d;
  d.tensor = [](const std::string& name, auto&) { return name != "blk.1.ffn_up.weight"; };
  load_error(write_damaged("llama", d, "missing-tensor"), slm::Error::Kind::Format, "blk.1.ffn_up.weight");
}

TEST(ModelLoad, MissingBiasOfAFamilyThatNeedsIt) {
  Damage d;
  d.tensor = [](const std::string& name, auto&) { return name != "blk.2.attn_k.bias"; };
  load_error(write_damaged("qwen2", d, "missing-bias"), slm::Error::Kind::Format, "blk.2.attn_k.bias");
}

TEST(ModelLoad, WrongTensorShapeNamesExpectedAndActual) {
  Damage d;
  d.tensor = [](const std::string& name, std::vector<std::int64_t>& shape) {
    if (name == "blk.0.ffn_gate.weight") std::swap(shape[0], shape[1]);  // same byte size
    return true;
  };
  const slm::Error e =
      load_error(write_damaged("llama", d, "shape"), slm::Error::Kind::Shape, "blk.0.ffn_gate.weight");
  EXPECT_NE(e.message().find("expected shape [256, 768], got [768, 256]"), std::string::npos) << e.what();
}

TEST(ModelLoad, MissingRequiredKey) {
  Damage d;
  d.kv = [](const std::string& key, auto&) { return key != "llama.block_count"; };
  load_error(write_damaged("llama", d, "key"), slm::Error::Kind::Format, "llama.block_count");
}

TEST(ModelLoad, HeadCountsThatDoNotDivide) {
  Damage d;
  d.kv = [](const std::string& key, slm::gguf::Value& v) {
    if (key == "llama.attention.head_count_kv") v = slm::gguf::Value::u32(3);
    return true;
  };
  load_error(write_damaged("llama", d, "heads"), slm::Error::Kind::Shape, "llama.attention.head_count_kv");
}

TEST(ModelLoad, ZeroLayers) {
  Damage d;
  d.kv = [](const std::string& key, slm::gguf::Value& v) {
    if (key == "llama.block_count") v = slm::gguf::Value::u32(0);
    return true;
  };
  load_error(write_damaged("llama", d, "layers"), slm::Error::Kind::Shape, "llama.block_count");
}

TEST(ModelLoad, UnsupportedRopeScaling) {
  const slm::gguf::File f = slm::gguf::File::open(tiny("llama"));
  slm::gguf::Writer w = slm::gguf::Writer::copy_of(f);
  w.add("llama.rope.scaling.type", slm::gguf::Value::string("yarn"));
  const fs::path out = fs::temp_directory_path() / ("slm-engine-test-" + std::to_string(::getpid()) + "-yarn.gguf");
  w.write_file(out);
  load_error(out, slm::Error::Kind::Unsupported, "llama.rope.scaling.type");
}

// A Mistral-style window key on a "llama" file puts every layer under the window.
TEST(ModelLoad, UniformWindowFromKey) {
  const slm::gguf::File f = slm::gguf::File::open(tiny("llama"));
  slm::gguf::Writer w = slm::gguf::Writer::copy_of(f);
  w.add("llama.attention.sliding_window", slm::gguf::Value::u32(6));
  const fs::path out = fs::temp_directory_path() / ("slm-engine-test-" + std::to_string(::getpid()) + "-mistral.gguf");
  w.write_file(out);
  const slm::Model m = slm::Model::load(out);
  fs::remove(out);
  EXPECT_EQ(m.hparams().sliding_window, 6);
  EXPECT_EQ(m.hparams().layer_is_local, std::vector<bool>(4, true));
}

// sliding_window_pattern overrides the family's period (a number, or one bool per layer).
TEST(ModelLoad, SlidingWindowPatternKeyOverridesTheFamilyDefault) {
  const slm::gguf::File f = slm::gguf::File::open(tiny("gemma3"));
  {
    slm::gguf::Writer w = slm::gguf::Writer::copy_of(f);
    w.add("gemma3.attention.sliding_window_pattern", slm::gguf::Value::u32(3));
    const fs::path out = fs::temp_directory_path() / ("slm-engine-test-" + std::to_string(::getpid()) + "-p3.gguf");
    w.write_file(out);
    const slm::Model m = slm::Model::load(out);
    fs::remove(out);
    EXPECT_EQ(m.hparams().layer_is_local, (std::vector<bool>{true, true, false, true, true, false}));
  }
  {
    slm::gguf::Writer w = slm::gguf::Writer::copy_of(f);
    std::vector<slm::gguf::Value> flags;
    for (bool b : {false, true, false, true, true, true}) flags.push_back(slm::gguf::Value::boolean(b));
    w.add("gemma3.attention.sliding_window_pattern", slm::gguf::Value::array(slm::gguf::ValueType::Bool, flags));
    const fs::path out = fs::temp_directory_path() / ("slm-engine-test-" + std::to_string(::getpid()) + "-pa.gguf");
    w.write_file(out);
    const slm::Model m = slm::Model::load(out);
    fs::remove(out);
    EXPECT_EQ(m.hparams().layer_is_local, (std::vector<bool>{false, true, false, true, true, true}));
  }
}

// Logits need no tokenizer: a model with broken tokenizer metadata loads, and tokenizer()
// reports the tokenizer's error naming the key.
TEST(ModelLoad, UnusableTokenizerIsReportedByTokenizerOnly) {
  Damage d;
  d.kv = [](const std::string& key, slm::gguf::Value& v) {
    if (key == "tokenizer.ggml.model") v = slm::gguf::Value::string("no-such-model");
    return true;
  };
  const fs::path path = write_damaged("llama", d, "tokenizer");
  const slm::Model m = slm::Model::load(path);  // the tokenizer is built on first use
  fs::remove(path);
  EXPECT_EQ(m.hparams().n_layer, 4);
  for (int attempt = 0; attempt < 2; ++attempt) {  // the same error every time, not a null tokenizer
    try {
      m.tokenizer();
      FAIL() << "no error";
    } catch (const slm::Error& e) {
      EXPECT_EQ(e.kind(), slm::Error::Kind::Unsupported);
      EXPECT_NE(std::string(e.what()).find("tokenizer.ggml.model"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
