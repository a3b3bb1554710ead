#pragma once
// Tokenizer::Impl: the loaded vocabulary and the lookup tables the algorithms share.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "slm/tokenizer.hpp"
#include "tokenizer/pretokenizer.hpp"
#include "tokenizer/string_index.hpp"
#include "tokenizer/string_table.hpp"

namespace slm {

// Token attributes (llama.cpp's llama_token_attr bits), derived from token_type.
enum TokenAttr : std::uint8_t {
  kAttrUndefined = 0,
  kAttrUnknown = 1 << 0,
  kAttrUnused = 1 << 1,
  kAttrNormal = 1 << 2,
  kAttrControl = 1 << 3,
  kAttrUserDefined = 1 << 4,
  kAttrByte = 1 << 5,
};

class Tokenizer::Impl {
 public:
  std::string source;
  TokenizerKind kind = TokenizerKind::Spm;
  std::string pre_name;
  tokenizer::PreTokenizer pre = tokenizer::PreTokenizer::Default;

  tokenizer::StringTable texts;     // [n_vocab] vocabulary entries
  std::vector<float> scores;        // [n_vocab]
  std::vector<std::uint8_t> attrs;  // [n_vocab] TokenAttr bits
  tokenizer::StringTable pieces;    // [n_vocab] token_to_piece(id, render_special=true)
  tokenizer::StringIndex token_index;  // text -> id (a later duplicate wins, as in llama.cpp)

  // BPE merges "left right"; rank = position (the first occurrence of a pair wins).
  tokenizer::StringTable merges;
  tokenizer::StringIndex merge_index;

  std::array<std::int32_t, 256> byte_ids{};  // SPM byte-fallback id per byte, -1 if none
  // Control / user-defined / unknown ids, longest text first: matched in the input before
  // tokenizing (llama.cpp's special-token partition).
  std::vector<std::int32_t> special_ids;
  std::vector<std::int32_t> eog_ids;  // sorted

  std::int32_t bos = -1, eos = -1, eot = -1, eom = -1, unk = -1, sep = -1, pad = -1;
  bool add_bos = false, add_eos = false, add_space_prefix = false;
  bool clean_spaces = false, ignore_merges = false;
  std::vector<std::string> warnings;

  std::int32_t find(std::string_view text) const noexcept {
    return token_index.find(texts, text);
  }
  std::int32_t find_merge(std::string_view left, std::string_view right,
                          std::string& scratch) const;
  std::size_t size() const noexcept { return texts.size(); }
  void check_id(std::int32_t id) const;  // throws slm::Error (Argument) if out of range
  std::string make_piece(std::int32_t id, bool render_special) const;
};

namespace tokenizer {
// Appends the ids for a piece of ordinary text (no special tokens inside).
void spm_encode(const Tokenizer::Impl& vocab, std::string_view text,
                std::vector<std::int32_t>& out);
void bpe_encode(const Tokenizer::Impl& vocab, std::string_view text,
                std::vector<std::int32_t>& out);
// GPT-2's byte <-> printable-codepoint table.
std::uint32_t byte_to_codepoint(std::uint8_t b) noexcept;
// -1 if cp is not in the table.
int codepoint_to_byte(std::uint32_t cp) noexcept;
}  // namespace tokenizer

}  // namespace slm
