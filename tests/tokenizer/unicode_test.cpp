// Unicode helpers: UTF-8 decoding of malformed input (one replacement character per byte
// that does not start a complete sequence, as llama.cpp), category and White_Space lookups
// (spot checks against the Unicode Character Database), and the string index.

#include <gtest/gtest.h>

#include "tokenizer/string_index.hpp"
#include "tokenizer/unicode.hpp"

namespace slm::tokenizer {
namespace {

using Cps = std::vector<std::uint32_t>;

TEST(Utf8, DecodesValidText) {
  EXPECT_EQ(decode_utf8("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x9A\x80"), (Cps{'a', 0xE9, 0x20AC, 0x1F680}));
  std::string s;
  for (std::uint32_t cp : {0x41u, 0x7FFu, 0x800u, 0xFFFFu, 0x10000u, 0x10FFFFu}) append_utf8(s, cp);
  EXPECT_EQ(decode_utf8(s), (Cps{0x41, 0x7FF, 0x800, 0xFFFF, 0x10000, 0x10FFFF}));
  EXPECT_TRUE(is_valid_utf8(s));
}

TEST(Utf8, MalformedBytesBecomeReplacementCharactersOneByteAtATime) {
  constexpr std::uint32_t R = kReplacementChar;
  EXPECT_EQ(decode_utf8("\x80"), (Cps{R}));                    // lone continuation
  EXPECT_EQ(decode_utf8("\xC3"), (Cps{R}));                    // truncated at the end
  EXPECT_EQ(decode_utf8("\xE2\x82"), (Cps{R, R}));             // truncated 3-byte sequence
  EXPECT_EQ(decode_utf8("\xE2" "A"), (Cps{R, 'A'}));           // lead then ASCII
  EXPECT_EQ(decode_utf8("\xF8\x88\x80\x80\x80"), (Cps{R, R, R, R, R}));  // 5-byte form
  EXPECT_EQ(decode_utf8("\xFF" "b"), (Cps{R, 'b'}));
  EXPECT_EQ(decode_utf8("\xF4\x90\x80\x80"), (Cps{R}));        // above U+10FFFF
  // Not checked for well-formedness beyond structure (as llama.cpp): overlong and surrogate.
  EXPECT_EQ(decode_utf8("\xC0\xAF"), (Cps{0x2F}));
  EXPECT_EQ(decode_utf8("\xED\xA0\x80"), (Cps{0xD800}));
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));
}

TEST(Unicode, Categories) {
  EXPECT_EQ(category('A'), kCatLetter);
  EXPECT_EQ(category(0xAC00), kCatLetter);   // HANGUL SYLLABLE GA
  EXPECT_EQ(category(0x4E00), kCatLetter);   // CJK ideograph
  EXPECT_EQ(category('7'), kCatNumber);
  EXPECT_EQ(category(0x0663), kCatNumber);   // ARABIC-INDIC DIGIT THREE
  EXPECT_EQ(category(0x00BD), kCatNumber);   // VULGAR FRACTION ONE HALF (No)
  EXPECT_EQ(category(','), kCatPunctuation);
  EXPECT_EQ(category(0x060C), kCatPunctuation);  // ARABIC COMMA
  EXPECT_EQ(category('$'), kCatSymbol);
  EXPECT_EQ(category('~'), kCatSymbol);
  EXPECT_EQ(category(0x1F680), kCatSymbol);  // ROCKET (So)
  EXPECT_EQ(category(0x0301), kCatMark);     // COMBINING ACUTE ACCENT
  EXPECT_EQ(category(' '), kCatSeparator);
  EXPECT_EQ(category(0x3000), kCatSeparator);
  EXPECT_EQ(category('\n'), kCatControl);
  EXPECT_EQ(category(0x200D), kCatControl);  // ZERO WIDTH JOINER (Cf)
  EXPECT_EQ(category(0xE000), kCatControl);  // private use (Co)
  EXPECT_EQ(category(0x0378), kCatUndefined);  // unassigned
  EXPECT_EQ(category(0x110000), kCatUndefined);
}

TEST(Unicode, WhiteSpace) {
  for (std::uint32_t cp : {0x09u, 0x0Au, 0x0Bu, 0x0Cu, 0x0Du, 0x20u, 0x85u, 0xA0u, 0x1680u,
                           0x2000u, 0x200Au, 0x2028u, 0x2029u, 0x202Fu, 0x205Fu, 0x3000u}) {
    EXPECT_TRUE(is_whitespace(cp)) << std::hex << cp;
  }
  for (std::uint32_t cp : {0x08u, 0x1Cu, 0x1Fu, 0x61u, 0x200Bu, 0x180Eu, 0xFEFFu}) {
    EXPECT_FALSE(is_whitespace(cp)) << std::hex << cp;
  }
}

StringTable table_of(std::initializer_list<std::string_view> items) {
  StringTable t;
  for (std::string_view s : items) t.push_back(s);
  return t;
}

TEST(StringTable, KeepsEveryEntryExactly) {
  using namespace std::string_view_literals;
  const StringTable t = table_of({"a", "", "bb\0c"sv, "\xE2\x96\x81the", ""});
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0], "a");
  EXPECT_EQ(t[1], "");
  EXPECT_EQ(t[2], "bb\0c"sv);
  EXPECT_EQ(t[3], "\xE2\x96\x81the");
  EXPECT_EQ(t[4], "");
  EXPECT_EQ(t.text_bytes(), 1u + 4u + 6u);
  EXPECT_TRUE(StringTable{}.empty());
}

TEST(StringIndex, FindsKeysAndResolvesDuplicates) {
  const StringTable keys = table_of({"a", "bb", "a", "", "ccc", "bb"});
  StringIndex first, last;
  first.build(keys, StringIndex::Duplicates::KeepFirst);
  last.build(keys, StringIndex::Duplicates::KeepLast);
  EXPECT_EQ(first.find(keys, "a"), 0);
  EXPECT_EQ(last.find(keys, "a"), 2);
  EXPECT_EQ(first.find(keys, "bb"), 1);
  EXPECT_EQ(last.find(keys, "bb"), 5);
  EXPECT_EQ(first.find(keys, ""), 3);
  EXPECT_EQ(first.find(keys, "ccc"), 4);
  EXPECT_EQ(first.find(keys, "cc"), -1);
  EXPECT_EQ(first.find(keys, "d"), -1);
  StringIndex empty;
  EXPECT_EQ(empty.find(keys, "a"), -1);

  StringTable many;
  for (int i = 0; i < 5000; ++i) many.push_back("k" + std::to_string(i));
  StringIndex big;
  big.build(many, StringIndex::Duplicates::KeepLast);
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(big.find(many, many[i]), i);
  EXPECT_EQ(big.find(many, "k5000"), -1);
}

}  // namespace
}  // namespace slm::tokenizer
