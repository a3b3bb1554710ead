#pragma once
// Unicode helpers for the tokenizers: UTF-8 decoding that never fails, and the general
// category / White_Space properties the pre-tokenizers split on.
//
// Category tables are generated (scripts/gen_unicode_tables.py -> unicode_data.cpp).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace slm::tokenizer {

// One bit per Unicode general category group (\p{N}, \p{L}, ...); exactly one is set.
enum CategoryFlag : std::uint8_t {
  kCatUndefined = 0x01,    // Cn: unassigned (also any value above U+10FFFF)
  kCatNumber = 0x02,       // N*
  kCatLetter = 0x04,       // L*
  kCatSeparator = 0x08,    // Z*
  kCatMark = 0x10,         // M*
  kCatPunctuation = 0x20,  // P*
  kCatSymbol = 0x40,       // S*
  kCatControl = 0x80,      // Cc, Cf, Co, Cs
};

struct CategoryRun {
  std::uint32_t first;  // first codepoint of the run
  std::uint8_t flags;   // CategoryFlag of every codepoint in the run
};
extern const char kUnicodeVersion[];
extern const CategoryRun kCategoryRuns[];
extern const std::size_t kCategoryRunCount;

constexpr std::uint32_t kReplacementChar = 0xFFFD;

std::uint8_t category(std::uint32_t cp) noexcept;
// The Unicode White_Space property (\s of the Rust/Python regex engines).
bool is_whitespace(std::uint32_t cp) noexcept;
inline bool is_letter(std::uint32_t cp) noexcept { return category(cp) == kCatLetter; }
inline bool is_number(std::uint32_t cp) noexcept { return category(cp) == kCatNumber; }

// Length of the UTF-8 sequence a lead byte announces, judged by its top 4 bits only
// (continuation and invalid bytes count as 1). The SPM tokenizer splits text this way.
inline std::size_t utf8_len_from_lead(unsigned char c) noexcept {
  if (c < 0xC0) return 1;
  if (c < 0xE0) return 2;
  if (c < 0xF0) return 3;
  return 4;
}

// Decodes UTF-8 into codepoints. Malformed input never fails: a byte that does not start a
// complete sequence becomes U+FFFD and decoding resumes at the next byte (llama.cpp does the
// same, so pre-tokenization of invalid text matches it). Overlong forms and surrogates are
// accepted as they decode; values above U+10FFFF become U+FFFD.
std::vector<std::uint32_t> decode_utf8(std::string_view text);
// Appends the UTF-8 encoding of cp (cp must be <= U+10FFFF).
void append_utf8(std::string& out, std::uint32_t cp);

// Is `text` well-formed UTF-8 (no overlongs, surrogates or values above U+10FFFF)?
bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace slm::tokenizer
