#pragma once
// Which type each tensor of a model gets when a file is written as Q4_K_M, Q8_0, F16, BF16 or
// F32: the one place these per-tensor rules live (used by `slm make-model` and `slm quantize`).
//
// The rules reproduce llama-quantize's (llama.cpp src/llama-quant.cpp, without imatrix,
// overrides or "pure"), for the dense families slm runs:
//
//  - Only tensors with >= 2 dimensions whose name ends in "weight" and does not contain
//    "_norm.weight" are converted; everything else (norms, biases, rope_freqs) keeps its type.
//  - F32 / F16 / BF16 / Q8_0: every converted tensor gets that type.
//  - Q4_K_M, by category (first match):
//      output.weight, and token_embd.weight when the file has no output.weight (tied):
//          Q8_0 if ne0 % 256 != 0, else Q6_K
//      attn_v.weight (and fused attn_qkv / attn_kv_b): Q6_K when use_more_bits(i, n), else Q4_K;
//          i counts these tensors in file order, n is how many there are
//      ffn_down: Q6_K when use_more_bits(i, n_layer), else Q4_K; i counts them in file order
//      everything else (token_embd untied, attn_q/k/output, ffn_gate/up): Q4_K
//    with use_more_bits(i, n) = i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2.
//  - Shape fallback, when ne0 is not a multiple of the chosen type's block size:
//      Q4_K -> Q5_0, Q6_K -> Q8_0, then F16 if ne0 is not even a multiple of 32.
//
// Differences from llama.cpp, none of which the supported families reach (Q5_K, whose
// fallback would be Q5_1, is never chosen here):
//  - Q8_0 with ne0 % 32 != 0: llama.cpp stops with "no fallback"; here F16.
//  - The 70B / mixture-of-experts / Falcon special cases are not implemented.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/dtype.hpp"

namespace slm::model {

// general.file_type values (llama.cpp's llama_ftype).
enum class FileType : std::uint32_t { F32 = 0, F16 = 1, Q8_0 = 7, Q4_K_M = 15, BF16 = 32 };

// "Q4_K_M", "Q8_0", "F16", "BF16", "F32" (case-insensitive); nullopt for anything else.
std::optional<FileType> parse_file_type(std::string_view name) noexcept;
std::string_view file_type_name(FileType t) noexcept;
// Comma-separated list of the accepted names, for messages.
std::string file_type_names();

// One tensor as the plan sees it, in file order.
struct PlanInput {
  std::string_view name;
  int n_dims = 0;
  std::int64_t ne0 = 0;   // row length
  kernels::DType type{};  // current type (kept when the tensor is not converted)
};

// Does the plan convert this tensor at all (else it keeps its type)?
bool is_convertible(std::string_view name, int n_dims) noexcept;

// llama.cpp's layer-position rule for the tensors Q4_K_M gives extra bits.
constexpr bool use_more_bits(std::int64_t i, std::int64_t n) noexcept {
  return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

// The type of every tensor, in order. `n_layer` is {arch}.block_count (the ffn_down counter's
// range). Throws slm::Error(Argument) if a tensor would need a type slm cannot quantize to.
std::vector<kernels::DType> plan_types(FileType file_type, std::span<const PlanInput> tensors, std::int64_t n_layer);

}  // namespace slm::model
