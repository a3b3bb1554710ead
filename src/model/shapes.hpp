#pragma once
// Published shapes of the seed models and the tensor table a file of a given family and shape
// holds (names and ne order as the GGUF converters write them and model/weights.cpp binds them).
// Used by `slm make-model` to write synthetic random-weight files at real sizes.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "slm/arch.hpp"

namespace slm::model {

struct ModelShape {
  std::string name;          // preset name ("llama3-8b") or "custom"
  std::string arch;          // general.architecture
  std::int64_t n_layer = 0;  // {arch}.block_count
  std::int64_t n_embd = 0;   // d_model
  std::int64_t n_head = 0;
  std::int64_t n_head_kv = 0;
  std::int64_t head_dim = 0;
  std::int64_t n_ff = 0;
  std::int64_t n_vocab = 0;
  std::int64_t n_ctx = 0;        // {arch}.context_length
  float rope_base = 10000.0f;    // {arch}.rope.freq_base
  float rope_base_swa = 0.0f;    // {arch}.rope.freq_base_swa (0: key not written)
  float rms_eps = 1e-5f;
  std::int64_t sliding_window = 0;  // {arch}.attention.sliding_window (0: key not written)
  float attn_softcap = 0.0f;        // {arch}.attn_logit_softcapping (0: not written)
  float final_softcap = 0.0f;       // {arch}.final_logit_softcapping (0: not written)
  bool tied_embeddings = false;     // no output.weight: the LM head is token_embd
  // Llama 3.1-style RoPE scaling factor (rope_freqs.weight tensor); 0: no such tensor.
  float llama3_rope_factor = 0.0f;
  std::int64_t published_params = 0;  // from the model card (0 for custom shapes)
  std::string_view source;            // where the numbers come from
};

// The seed models' shapes (docs/make-model.md lists them with their sources).
std::span<const ModelShape> seed_shapes();
const ModelShape* find_shape(std::string_view name) noexcept;

// A custom shape with the family's usual constants (RoPE base, eps, windows, soft-caps, tied
// embeddings). Throws slm::Error(Argument) for an unknown family or non-positive dims.
ModelShape custom_shape(std::string_view arch, std::int64_t n_layer, std::int64_t n_embd, std::int64_t n_head,
                        std::int64_t n_head_kv, std::int64_t head_dim, std::int64_t n_ff, std::int64_t n_vocab);

enum class TensorRole {
  Matrix,     // 2-D weight [in, out]
  Embedding,  // token_embd [n_embd, n_vocab]
  Norm,       // RMSNorm weight (stored with the +1 already folded in for Gemma)
  Bias,       // q/k/v bias (Qwen2)
  RopeFreqs,  // Llama 3.1 frequency divisors [head_dim/2]
};

struct TensorSpec {
  std::string name;
  std::vector<std::int64_t> ne;  // GGUF order: ne[0] is the row length
  TensorRole role;
};

// Every tensor of a file of this family and shape, in the order the converters write them:
// token_embd, rope_freqs, blk.0 .. blk.{n-1}, output_norm, output.
// Throws slm::Error(Argument) when the shape's family has no ArchSpec or dims disagree.
std::vector<TensorSpec> tensor_layout(const ModelShape& shape);

// Sum of the elements of every tensor in tensor_layout(shape).
std::int64_t parameter_count(const ModelShape& shape);

}  // namespace slm::model
