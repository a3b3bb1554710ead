// The Q4_K_M plan (src/model/quant_plan.cpp) against files llama-quantize wrote: the tiny golden
// models (tests/data/golden/models, Q4_K_M) and, when present, the real gemma-3-270m Q4_K_M file
// (models/), whose 640- and 2048-wide rows exercise the Q5_0 / Q8_0 shape fallbacks.
// The plan must reproduce every tensor's type exactly.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "gguf/reader.hpp"
#include "model/quant_plan.hpp"
#include "slm/error.hpp"

namespace slm::model {
namespace {

using kernels::DType;

void expect_plan_reproduces(const std::string& path) {
  SCOPED_TRACE(path);
  const gguf::File f = gguf::File::open(path);
  ASSERT_EQ(f.get<std::uint32_t>("general.file_type"), static_cast<std::uint32_t>(FileType::Q4_K_M));
  const std::string arch = f.get<std::string>("general.architecture");
  std::vector<PlanInput> in;
  // The plan sees the tensors as the converter wrote them: F32 (the types below are outputs).
  for (const auto& t : f.tensors()) in.push_back({t.name, t.n_dims, t.ne[0], DType::F32});
  const auto types = plan_types(FileType::Q4_K_M, in, f.get<std::uint32_t>(arch + ".block_count"));
  ASSERT_EQ(types.size(), f.tensors().size());
  int checked = 0;
  for (std::size_t i = 0; i < types.size(); ++i) {
    EXPECT_EQ(kernels::dtype_name(types[i]), kernels::dtype_name(f.tensors()[i].type)) << f.tensors()[i].name;
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

TEST(QuantPlan, ReproducesLlamaQuantizeOnTheGoldenModels) {
  for (const char* fam : {"llama", "qwen2", "gemma", "gemma2", "gemma3"})
    expect_plan_reproduces(std::string(SLM_TEST_DATA_DIR "/golden/models/tiny-") + fam + "-Q4_K_M.gguf");
}

TEST(QuantPlan, ReproducesLlamaQuantizeOnGemma3_270m) {
  const std::string real = SLM_MODELS_DIR "/gemma-3-270m-q4_k_m.gguf";
  if (!std::filesystem::exists(real)) GTEST_SKIP() << real << " not present";
  expect_plan_reproduces(real);
}

// Q4_K_M rules that the files above do not reach: an untied output with a row length that is
// not a multiple of 256 (Q8_0), rows not a multiple of 32 (F16), non-weight names kept.
TEST(QuantPlan, FallbacksAndKeptTensors) {
  const std::vector<PlanInput> in = {
      {"token_embd.weight", 2, 896, DType::F32},     // untied: Q4_K -> Q5_0
      {"blk.0.attn_v.weight", 2, 896, DType::F32},   // more bits: Q6_K -> Q8_0
      {"blk.0.attn_q.bias", 1, 896, DType::F32},     // kept
      {"blk.0.attn_norm.weight", 1, 896, DType::F32},
      {"blk.0.ffn_down.weight", 2, 4864, DType::F32},  // 4864 = 19 * 256: Q6_K
      {"blk.0.ffn_up.weight", 2, 100, DType::F32},     // not a multiple of 32: F16
      {"rope_freqs.weight", 1, 64, DType::F32},
      {"output.weight", 2, 896, DType::F32},  // Q8_0
  };
  const auto t = plan_types(FileType::Q4_K_M, in, 1);
  const std::vector<DType> want = {DType::Q5_0, DType::Q8_0, DType::F32, DType::F32,
                                   DType::Q6_K, DType::F16,  DType::F32, DType::Q8_0};
  ASSERT_EQ(t.size(), want.size());
  for (std::size_t i = 0; i < t.size(); ++i)
    EXPECT_EQ(kernels::dtype_name(t[i]), kernels::dtype_name(want[i])) << in[i].name;
  // Q8_0 files: every matrix Q8_0, except rows not a multiple of 32 (F16).
  const auto q8 = plan_types(FileType::Q8_0, in, 1);
  EXPECT_EQ(q8[0], DType::Q8_0);
  EXPECT_EQ(q8[5], DType::F16);
  EXPECT_EQ(q8[7], DType::Q8_0);
  EXPECT_EQ(q8[3], DType::F32);
}

// use_more_bits as llama.cpp defines it, on a 32-layer model: the first and last 4 layers and
// every third layer between (from layer 4 + 2).
TEST(QuantPlan, UseMoreBits) {
  std::vector<int> more;
  for (int i = 0; i < 32; ++i)
    if (use_more_bits(i, 32)) more.push_back(i);
  EXPECT_EQ(more, (std::vector<int>{0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31}));
}

TEST(QuantPlan, FileTypeNames) {
  EXPECT_EQ(parse_file_type("q4_k_m"), FileType::Q4_K_M);
  EXPECT_EQ(parse_file_type("Q8_0"), FileType::Q8_0);
  EXPECT_EQ(parse_file_type("f16"), FileType::F16);
  EXPECT_EQ(parse_file_type("BF16"), FileType::BF16);
  EXPECT_EQ(parse_file_type("F32"), FileType::F32);
  EXPECT_FALSE(parse_file_type("Q4_K_S").has_value());
  EXPECT_FALSE(parse_file_type("").has_value());
  EXPECT_EQ(static_cast<std::uint32_t>(FileType::Q4_K_M), 15u);  // llama.cpp's LLAMA_FTYPE_MOSTLY_Q4_K_M
  EXPECT_EQ(file_type_name(FileType::Q8_0), "Q8_0");
}

}  // namespace
}  // namespace slm::model
