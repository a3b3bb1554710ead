#pragma once
// The plain vocabulary data a tokenizer is built from: what the tokenizer.ggml.* metadata of a
// GGUF file holds, already read into C++ containers (load.cpp does that). Kept separate from
// GGUF so the algorithms can be built and tested on any source of data.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/string_table.hpp"

namespace slm::tokenizer {

// tokenizer.ggml.token_type values (as written by llama.cpp's converters).
enum TokenType : std::int32_t {
  kTypeUndefined = 0,
  kTypeNormal = 1,
  kTypeUnknown = 2,
  kTypeControl = 3,
  kTypeUserDefined = 4,
  kTypeUnused = 5,
  kTypeByte = 6,
};

struct VocabData {
  std::string source;  // file name, for error messages
  std::string model;   // tokenizer.ggml.model: "llama" (SPM) or "gpt2" (byte-level BPE)
  std::string pre;     // tokenizer.ggml.pre; empty if absent
  StringTable tokens;                    // tokenizer.ggml.tokens
  std::vector<float> scores;             // tokenizer.ggml.scores (empty: all 0)
  std::vector<std::int32_t> token_types; // tokenizer.ggml.token_type (empty: all normal)
  StringTable merges;                    // tokenizer.ggml.merges ("a b"), BPE only

  // tokenizer.ggml.*_token_id; absent -> the model kind's default.
  std::optional<std::uint32_t> bos_id, eos_id, eot_id, eom_id, unk_id, sep_id, pad_id;
  // tokenizer.ggml.add_bos_token / add_eos_token / add_space_prefix; absent -> defaults.
  std::optional<bool> add_bos, add_eos, add_space_prefix;
};

}  // namespace slm::tokenizer
