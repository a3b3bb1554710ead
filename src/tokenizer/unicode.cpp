#include "tokenizer/unicode.hpp"

#include <algorithm>

namespace slm::tokenizer {

std::uint8_t category(std::uint32_t cp) noexcept {
  if (cp >= 0x110000) return kCatUndefined;
  // Runs are sorted by first codepoint: the run holding cp is the last one starting <= cp.
  const CategoryRun* begin = kCategoryRuns;
  const CategoryRun* end = kCategoryRuns + kCategoryRunCount;
  const CategoryRun* it = std::upper_bound(
      begin, end, cp, [](std::uint32_t v, const CategoryRun& r) { return v < r.first; });
  return (it - 1)->flags;
}

bool is_whitespace(std::uint32_t cp) noexcept {
  // Unicode White_Space (PropList.txt); stable across Unicode versions since 6.3.
  if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
  if (cp < 0x85) return false;
  switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

std::vector<std::uint32_t> decode_utf8(std::string_view text) {
  std::vector<std::uint32_t> cps;
  cps.reserve(text.size());
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  auto cont = [&](std::size_t k) { return i + k < n && (s[i + k] & 0xC0) == 0x80; };
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      cps.push_back(c);
      i += 1;
    } else if (c >= 0xC0 && c < 0xE0 && cont(1)) {
      cps.push_back((std::uint32_t(c & 0x1F) << 6) | (s[i + 1] & 0x3F));
      i += 2;
    } else if (c >= 0xE0 && c < 0xF0 && cont(1) && cont(2)) {
      cps.push_back((std::uint32_t(c & 0x0F) << 12) | (std::uint32_t(s[i + 1] & 0x3F) << 6) |
                    (s[i + 2] & 0x3F));
      i += 3;
    } else if (c >= 0xF0 && c < 0xF8 && cont(1) && cont(2) && cont(3)) {
      const std::uint32_t cp = (std::uint32_t(c & 0x07) << 18) |
                               (std::uint32_t(s[i + 1] & 0x3F) << 12) |
                               (std::uint32_t(s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
      cps.push_back(cp <= 0x10FFFF ? cp : kReplacementChar);
      i += 4;
    } else {
      cps.push_back(kReplacementChar);
      i += 1;
    }
  }
  return cps;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool is_valid_utf8(std::string_view text) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    std::size_t len;
    std::uint32_t cp;
    if (c < 0x80) { i += 1; continue; }
    if (c >= 0xC2 && c < 0xE0) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c < 0xF0) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c < 0xF5) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace slm::tokenizer
