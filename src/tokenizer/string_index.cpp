#include "tokenizer/string_index.hpp"

#include <functional>

namespace slm::tokenizer {

void StringIndex::build(const StringTable& keys, Duplicates duplicates) {
  std::size_t cap = 16;
  while (cap < keys.size() * 2) cap <<= 1;  // load factor <= 1/2: short probe sequences
  slots_.assign(cap, Slot{});
  mask_ = cap - 1;
  const std::hash<std::string_view> hasher;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::size_t h = hasher(keys[i]);
    const auto h32 = static_cast<std::uint32_t>(h);
    for (std::size_t s = h & mask_;; s = (s + 1) & mask_) {
      Slot& slot = slots_[s];
      if (slot.index < 0) {
        slot = {static_cast<std::int32_t>(i), h32};
        break;
      }
      if (slot.hash == h32 && keys[slot.index] == keys[i]) {
        if (duplicates == Duplicates::KeepLast) slot.index = static_cast<std::int32_t>(i);
        break;
      }
    }
  }
}

std::int32_t StringIndex::find(const StringTable& keys, std::string_view text) const noexcept {
  if (slots_.empty()) return -1;
  const std::size_t h = std::hash<std::string_view>{}(text);
  const auto h32 = static_cast<std::uint32_t>(h);
  for (std::size_t s = h & mask_;; s = (s + 1) & mask_) {
    const Slot& slot = slots_[s];
    if (slot.index < 0) return -1;
    if (slot.hash == h32 && keys[slot.index] == text) return slot.index;
  }
}

}  // namespace slm::tokenizer
