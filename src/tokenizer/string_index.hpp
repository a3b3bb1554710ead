#pragma once
// StringIndex: string -> position in a StringTable, as an open-addressing hash table
// over the positions. The vocabulary has up to ~262k entries and every SPM/BPE step looks
// strings up, so this avoids a node-based map's allocations and cache misses: a probe reads
// one slot (position + hash) and compares text only when the hashes agree.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/string_table.hpp"

namespace slm::tokenizer {

class StringIndex {
 public:
  enum class Duplicates { KeepFirst, KeepLast };

  // Indexes keys[i] -> i. The index refers to `keys` by position only: pass the same vector
  // (unchanged) to find().
  void build(const StringTable& keys, Duplicates duplicates);
  // Position of `text` in keys, or -1.
  std::int32_t find(const StringTable& keys, std::string_view text) const noexcept;

 private:
  struct Slot {
    std::int32_t index = -1;  // -1: empty
    std::uint32_t hash = 0;   // low 32 bits of the key's hash
  };
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
};

}  // namespace slm::tokenizer
