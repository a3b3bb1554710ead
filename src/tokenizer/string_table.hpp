#pragma once
// StringTable: a list of strings stored back to back in one buffer, entry i = the bytes between
// offsets i and i + 1. Vocabularies have up to ~262k tokens and ~280k merges; as std::strings
// each entry cost a 32-byte object plus a heap block when longer than 15 bytes, here 4 bytes of
// offset and the text (peak RSS of `slm run` on Gemma 3 270M: 271 -> 261 MiB).

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace slm::tokenizer {

class StringTable {
 public:
  // Throws std::length_error once the table would hold 4 GiB of text (offsets are 32-bit).
  void push_back(std::string_view s) {
    if (s.size() > UINT32_MAX - chars_.size()) throw std::length_error("StringTable: more than 4 GiB of text");
    chars_.append(s);
    offsets_.push_back(static_cast<std::uint32_t>(chars_.size()));
  }
  void reserve(std::size_t entries, std::size_t bytes) {
    offsets_.reserve(entries + 1);
    chars_.reserve(bytes);
  }

  std::string_view operator[](std::size_t i) const noexcept {
    return {chars_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]};
  }
  std::size_t size() const noexcept { return offsets_.size() - 1; }
  std::size_t text_bytes() const noexcept { return chars_.size(); }
  bool empty() const noexcept { return offsets_.size() == 1; }

 private:
  std::string chars_;
  std::vector<std::uint32_t> offsets_{0};
};

}  // namespace slm::tokenizer
