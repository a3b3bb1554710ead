#pragma once
// The benchmark cases shared by the slm kernels and the baselines: real weight shapes of the
// supported model families, written k x n (GGUF's ne0 x ne1: input features x output rows).

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/kernels.hpp"
#include "weights.hpp"

namespace slm::bench {

struct Shape {
  std::int64_t k, n;
  const char* model;  // where the shape comes from
};

inline const std::vector<Shape>& shapes() {
  static const std::vector<Shape> s = {
      {4096, 4096, "llama3-8b attn_q/o"},   {14336, 4096, "llama3-8b ffn_down"},
      {4096, 14336, "llama3-8b ffn_up"},    {2048, 8192, "llama3.2-1b ffn_up"},
      {896, 4864, "qwen2.5-0.5b ffn_up"},   {1152, 6912, "gemma3-1b ffn_up"},
      {2048, 128256, "llama3.2-1b output"}, {640, 262144, "gemma3-270m output"},
      {640, 2048, "gemma3-270m ffn_up/gate"}, {2048, 640, "gemma3-270m ffn_down"},
      {640, 1024, "gemma3-270m attn_q"},       {1024, 640, "gemma3-270m attn_output"},
  };
  return s;
}

inline std::string shape_name(const Shape& s) { return std::to_string(s.k) + "x" + std::to_string(s.n); }
inline bool vocab_shape(const Shape& s) { return s.n > 100000; }

// The matrix of the current benchmark; regenerated only when the case changes (benchmarks run
// in registration order), so at most one large matrix (plus its F32 copy) is alive at a time.
const WeightMatrix& cached_matrix(kernels::DType type, const Shape& s);
const std::vector<float>& cached_dequantized(kernels::DType type, const Shape& s);

void register_slm_benchmarks();
void register_baseline_benchmarks();
void register_eigen_benchmarks();
void register_attention_benchmarks();

}  // namespace slm::bench
