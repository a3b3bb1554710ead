#pragma once
// The symbol list both merging tokenizers (spm.cpp, bpe.cpp) work on: the text cut into UTF-8
// characters (a truncated final sequence is one symbol), linked both ways so that merging a
// pair is O(1) and a merged-away symbol is marked by n == 0.

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <vector>

#include "tokenizer/unicode.hpp"

namespace slm::tokenizer {

struct Symbol {
  int prev;            // -1: first
  int next;            // -1: last
  std::size_t offset;  // into the text
  std::size_t n;       // bytes; 0 once merged into the left neighbour
};

inline std::vector<Symbol> utf8_symbols(std::string_view text) {
  std::vector<Symbol> symbols;
  symbols.reserve(text.size());
  for (std::size_t off = 0; off < text.size();) {
    const std::size_t n = std::min(utf8_len_from_lead(static_cast<unsigned char>(text[off])), text.size() - off);
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({index - 1, off + n == text.size() ? -1 : index + 1, off, n});
    off += n;
  }
  return symbols;
}

}  // namespace slm::tokenizer
