#pragma once
// Typed views of a model's tensors, pointing into the mapped GGUF file (no copies, except
// norm vectors stored in a non-F32 type, which are converted once to F32).
//
// Shapes use GGUF order: a matrix is [ne0 = in features, ne1 = out features]; the kernels'
// Matrix is the same (k = ne0, n_rows = ne1). Below, d = n_embd, hd = head_dim,
// H = n_head, Hkv = n_head_kv.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "gguf/reader.hpp"
#include "kernels/kernels.hpp"
#include "slm/arch.hpp"

namespace slm::model {

struct LayerWeights {
  const float* attn_norm = nullptr;       // [d]
  kernels::Matrix wq{}, wk{}, wv{};       // [d] -> [H*hd], [Hkv*hd], [Hkv*hd]
  const float* bq = nullptr;              // [H*hd]   (qkv_bias)
  const float* bk = nullptr;              // [Hkv*hd] (qkv_bias)
  const float* bv = nullptr;              // [Hkv*hd] (qkv_bias)
  const float* q_norm = nullptr;          // [hd] (qk_norm)
  const float* k_norm = nullptr;          // [hd] (qk_norm)
  kernels::Matrix wo{};                   // [H*hd] -> [d]
  const float* post_attn_norm = nullptr;  // [d] (post_attn_norm)
  const float* ffn_norm = nullptr;        // [d]
  kernels::Matrix gate{}, up{};           // [d] -> [n_ff]
  kernels::Matrix down{};                 // [n_ff] -> [d]
  const float* post_ffn_norm = nullptr;   // [d] (post_ffn_norm)
};

struct Weights {
  kernels::Matrix token_embd{};     // [d] x n_vocab rows; also the LM head when tied
  const float* output_norm = nullptr;  // [d]
  kernels::Matrix output{};         // [d] -> [n_vocab]
  bool tied_output = false;
  const float* rope_freqs = nullptr;   // [n_rot/2] or nullptr
  std::vector<LayerWeights> layers;    // [n_layer]
  // Storage for norm vectors that were not F32 in the file.
  std::vector<std::unique_ptr<float[]>> converted;
};

// The bytes of every matrix one decode step reads in full: each layer's projections and the LM
// head (which is the embedding table when tied; otherwise that table is read a row at a time).
std::vector<std::span<const std::uint8_t>> decode_read_ranges(const Weights& w);

// Finds and checks every tensor `spec` needs. Sets hp.n_vocab from token_embd.
// Throws slm::Error: Format naming a missing tensor; Shape naming a tensor whose shape differs
// (expected and actual); Unsupported for a tensor type slm cannot compute with.
Weights bind_weights(const gguf::File& file, const ArchSpec& spec, HParams& hp);

}  // namespace slm::model
