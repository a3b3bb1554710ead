#pragma once
// Synthetic model files: a complete GGUF (metadata llama.cpp accepts, a synthetic SentencePiece
// vocabulary, every tensor of the family at the given shape) filled with random weights.
// For speed studies at real model sizes without downloading the models.
//
// Weights: matrices N(0, 0.02); norm weights 1 + N(0, 0.02) (Gemma stores 1 + w already, so
// this is right for every family); biases N(0, 0.02); rope_freqs from Llama 3.1's formula.
// To generate an 8B file in minutes, each (type, row length) pair gets a pool of random rows
// quantized once (about 8 MiB, at most 4096 rows); a tensor's rows are pool rows taken in
// order from a random starting row. Each tensor is therefore its own memory, but rows repeat
// across tensors and within tall ones: fine for speed and bandwidth, not for quality studies.
//
// Vocabulary (exactly n_vocab tokens, tokenizer.ggml.model "llama"): <unk>, <s>, </s>, the 256
// byte tokens <0x00>..<0xFF>, then filler pieces: "▁", the 94 printable ASCII characters, then
// "▁"+w and w for w = aa, ab, ... (base-26 words), with descending scores.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>

#include "gguf/writer.hpp"
#include "model/quant_plan.hpp"
#include "model/shapes.hpp"

namespace slm::model {

struct WriteProgress {
  std::size_t tensors_done = 0, n_tensors = 0;
  std::uint64_t bytes_done = 0, bytes_total = 0;  // tensor data
  std::string_view tensor;                         // the tensor just written
};
using ProgressCallback = std::function<void(const WriteProgress&)>;

struct SyntheticResult {
  std::int64_t n_params = 0;
  std::uint64_t file_size = 0;
  std::size_t n_tensors = 0;
};

// The smallest n_vocab the synthetic vocabulary can hold (3 specials + 256 bytes + 1 piece).
inline constexpr std::int64_t kMinSyntheticVocab = 260;

// Every metadata key of a file of this shape (general.*, {arch}.*, tokenizer.*).
void add_synthetic_metadata(gguf::Writer& w, const ModelShape& shape, FileType file_type);

// Writes the file (streamed: memory use is the pools plus one metadata copy).
// Throws slm::Error: Argument for a bad shape or n_vocab < kMinSyntheticVocab, Io on write failure.
SyntheticResult write_synthetic_model(const ModelShape& shape, FileType file_type, std::uint64_t seed,
                                      const std::filesystem::path& path, const ProgressCallback& progress = {});

}  // namespace slm::model
