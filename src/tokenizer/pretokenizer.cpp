#include "tokenizer/pretokenizer.hpp"

#include <array>

#include "tokenizer/unicode.hpp"

// How the splits reproduce llama.cpp (facts from its llama-vocab.cpp / unicode.cpp):
//
// * Three expressions have dedicated hand-written matchers in llama.cpp (GPT-2's, Llama 3's
//   and Qwen2's); they see the full category of every codepoint. Note their quirks, kept here:
//   "[^\s\p{L}\p{N}]" also takes unassigned codepoints, Llama 3's "(?i:'s|...)" lowercases,
//   and "\s+(?!\S)" stops one short only when a non-space follows inside the piece.
// * Every other expression runs through std::regex on a "collapsed" copy of the text: ASCII
//   stays as is; any other codepoint becomes one byte standing for its class: White_Space ->
//   '\v', N/L/P/M/S -> 0xD1..0xD5, anything else 0xD0. \p{X} in the expression becomes
//   "[<class byte><ASCII members of X>]", where the ASCII members are fixed lists (below), and
//   \s means std::regex's ASCII white space. Expressions without \p{..} run on the
//   codepoints, with non-ASCII white space replaced by '\v'. The matchers below test the same
//   sets, with ECMAScript's leftmost-first semantics.

namespace slm::tokenizer {
namespace {

constexpr std::uint8_t kCollapsedSpace = 0x0B;
constexpr std::uint8_t kCollapsedNumber = 0xD1;
constexpr std::uint8_t kCollapsedLetter = 0xD2;
constexpr std::uint8_t kCollapsedPunct = 0xD3;
constexpr std::uint8_t kCollapsedMark = 0xD4;
constexpr std::uint8_t kCollapsedSymbol = 0xD5;
constexpr std::uint8_t kCollapsedOther = 0xD0;

// The text as codepoints with the properties every matcher needs, computed once.
struct Text {
  std::vector<std::uint32_t> cps;
  std::vector<std::uint8_t> cat;        // CategoryFlag
  std::vector<std::uint8_t> space;      // White_Space
  std::vector<std::uint8_t> collapsed;  // class byte (see top of file)
};

Text analyse(std::string_view utf8) {
  Text t;
  t.cps = decode_utf8(utf8);
  const std::size_t n = t.cps.size();
  t.cat.resize(n);
  t.space.resize(n);
  t.collapsed.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t cp = t.cps[i];
    t.cat[i] = category(cp);
    t.space[i] = is_whitespace(cp);
    if (cp < 0x80) {
      t.collapsed[i] = static_cast<std::uint8_t>(cp);
    } else if (t.space[i]) {
      t.collapsed[i] = kCollapsedSpace;
    } else {
      switch (t.cat[i]) {
        case kCatNumber: t.collapsed[i] = kCollapsedNumber; break;
        case kCatLetter: t.collapsed[i] = kCollapsedLetter; break;
        case kCatPunctuation: t.collapsed[i] = kCollapsedPunct; break;
        case kCatMark: t.collapsed[i] = kCollapsedMark; break;
        case kCatSymbol: t.collapsed[i] = kCollapsedSymbol; break;
        default: t.collapsed[i] = kCollapsedOther; break;
      }
    }
  }
  return t;
}

// ---- sets on collapsed bytes (the std::regex path)

bool c_space(std::uint8_t c) { return c == ' ' || (c >= 0x09 && c <= 0x0D); }
bool c_letter(std::uint8_t c) {
  return c == kCollapsedLetter || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool c_number(std::uint8_t c) { return c == kCollapsedNumber || (c >= '0' && c <= '9'); }
// ASCII members llama.cpp lists for \p{P}: !"# %&'()* ,-./ :; ?@ [\] _ { }
bool c_punct(std::uint8_t c) {
  if (c == kCollapsedPunct) return true;
  return (c >= 0x21 && c <= 0x23) || (c >= 0x25 && c <= 0x2A) || (c >= 0x2C && c <= 0x2F) ||
         c == 0x3A || c == 0x3B || c == 0x3F || c == 0x40 || (c >= 0x5B && c <= 0x5D) ||
         c == 0x5F || c == 0x7B || c == 0x7D;
}

// A piece boundary list: lengths (in codepoints) of consecutive pieces.
using Pieces = std::vector<std::size_t>;

// Returns the length of the match starting at pos (0 = none); end bounds the current piece.
using Matcher = std::size_t (*)(const Text& t, std::size_t pos, std::size_t end);

// Applies a regex-style matcher to every piece: matches and the gaps between them become
// pieces (std::regex_iterator over each piece, as llama.cpp does).
Pieces split_regex(const Text& t, const Pieces& in, Matcher match) {
  Pieces out;
  out.reserve(in.size() * 2);
  std::size_t start = 0;
  for (std::size_t len : in) {
    const std::size_t end = start + len;
    std::size_t gap = start;
    std::size_t pos = start;
    while (pos < end) {
      const std::size_t m = match(t, pos, end);
      if (m == 0) {
        ++pos;
        continue;
      }
      if (pos > gap) out.push_back(pos - gap);
      out.push_back(m);
      pos += m;
      gap = pos;
    }
    if (end > gap) out.push_back(end - gap);
    start = end;
  }
  return out;
}

template <class Pred>
std::size_t run_length(const Text& t, std::size_t pos, std::size_t end, Pred pred) {
  std::size_t k = pos;
  while (k < end && pred(t, k)) ++k;
  return k - pos;
}

// [\r\n]  (on codepoints)
std::size_t match_cr_lf(const Text& t, std::size_t pos, std::size_t) {
  return (t.cps[pos] == '\r' || t.cps[pos] == '\n') ? 1 : 0;
}

// \s?X+  (collapsed)
template <bool (*Cls)(std::uint8_t)>
std::size_t match_space_opt_run(const Text& t, std::size_t pos, std::size_t end) {
  auto in_cls = [](const Text& tt, std::size_t k) { return Cls(tt.collapsed[k]); };
  if (c_space(t.collapsed[pos]) && pos + 1 < end && Cls(t.collapsed[pos + 1])) {
    return 1 + run_length(t, pos + 1, end, in_cls);
  }
  return run_length(t, pos, end, in_cls);
}

// [一-龥ࠀ-一가-퟿]+  (on codepoints; non-ASCII white space was replaced, so never matches)
bool cjk(const Text& t, std::size_t k) {
  const std::uint32_t cp = t.cps[k];
  if (t.space[k]) return false;
  return (cp >= 0x4E00 && cp <= 0x9FA5) || (cp >= 0x0800 && cp <= 0x4E00) ||
         (cp >= 0xAC00 && cp <= 0xD7FF);
}
std::size_t match_cjk_run(const Text& t, std::size_t pos, std::size_t end) {
  return run_length(t, pos, end, cjk);
}

// \p{N}  (collapsed)
std::size_t match_number(const Text& t, std::size_t pos, std::size_t) {
  return c_number(t.collapsed[pos]) ? 1 : 0;
}
// \p{N}+  (collapsed)
std::size_t match_number_run(const Text& t, std::size_t pos, std::size_t end) {
  return run_length(t, pos, end,
                    [](const Text& tt, std::size_t k) { return c_number(tt.collapsed[k]); });
}
// [0-9][0-9][0-9]  (on codepoints)
std::size_t match_three_digits(const Text& t, std::size_t pos, std::size_t end) {
  if (pos + 3 > end) return 0;
  for (std::size_t k = pos; k < pos + 3; ++k) {
    if (t.cps[k] < '0' || t.cps[k] > '9') return 0;
  }
  return 3;
}
// falcon: [\p{P}\$\+<=>\^~\|`]+   default: [\p{P}\$\+<=>\^~\|]+  (collapsed)
template <bool kBacktick>
std::size_t match_punct_run(const Text& t, std::size_t pos, std::size_t end) {
  return run_length(t, pos, end, [](const Text& tt, std::size_t k) {
    const std::uint8_t c = tt.collapsed[k];
    return c_punct(c) || c == '$' || c == '+' || c == '<' || c == '=' || c == '>' ||
           c == '^' || c == '~' || c == '|' || (kBacktick && c == '`');
  });
}

// ---- the dedicated matchers (full categories)

// Properties of codepoint k, or "nothing" outside the current piece.
struct Cp {
  std::uint32_t cp = 0xFFFFFFFF;
  std::uint8_t cat = 0;  // 0 outside the piece
  bool space = false;
  bool letter() const { return cat == kCatLetter; }
  bool number() const { return cat == kCatNumber; }
  bool inside() const { return cat != 0; }
  // [^\s\p{L}\p{N}] as llama.cpp's matchers test it (any category bit, so unassigned counts)
  bool other() const { return !space && !letter() && !number() && inside(); }
};

struct Piece {
  const Text& t;
  std::size_t ini, end;
  Cp at(std::size_t k) const {
    if (k < ini || k >= end) return {};
    return {t.cps[k], t.cat[k], t.space[k] != 0};
  }
};

std::uint32_t ascii_lower(std::uint32_t c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

// 's|'t|'re|'ve|'m|'ll|'d (case-insensitive when asked): length of the match at pos, or 0.
std::size_t contraction(const Piece& p, std::size_t pos, bool ignore_case) {
  if (p.t.cps[pos] != '\'' || pos + 1 >= p.end) return 0;
  // Only ASCII letters lower-case to these letters (Unicode simple case mapping), so an ASCII
  // fold is exact here.
  auto fold = [&](std::uint32_t c) { return ignore_case ? ascii_lower(c) : c; };
  const std::uint32_t a = fold(p.t.cps[pos + 1]);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (pos + 2 < p.end) {
    const std::uint32_t b = fold(p.t.cps[pos + 2]);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  }
  return 0;
}

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)
void split_gpt2_piece(const Piece& p, Pieces& out) {
  std::size_t pos = p.ini;
  std::size_t prev = p.ini;
  auto emit = [&](std::size_t e) {
    if (e > prev) out.push_back(e - prev);
    prev = e;
    pos = e;
  };
  while (pos < p.end) {
    const Cp c = p.at(pos);
    if (std::size_t m = contraction(p, pos, false)) {
      emit(pos + m);
      continue;
    }
    const bool sp = c.cp == ' ';
    const Cp c2 = sp ? p.at(pos + 1) : c;
    if (c2.letter() || c2.number() || c2.other()) {
      std::size_t k = pos + (sp ? 1 : 0);
      if (c2.letter()) {
        while (p.at(k).letter()) ++k;
      } else if (c2.number()) {
        while (p.at(k).number()) ++k;
      } else {
        while (p.at(k).other()) ++k;
      }
      emit(k);
      continue;
    }
    std::size_t n_space = 0;
    while (p.at(pos + n_space).space) ++n_space;
    if (n_space > 1 && p.at(pos + n_space).inside()) {
      emit(pos + n_space - 1);  // \s+(?!\S): leave the last space to the next word
    } else if (n_space > 0) {
      emit(pos + n_space);
    } else {
      emit(pos + 1);
    }
  }
}

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*
//   |\s*[\r\n]+|\s+(?!\S)|\s+
// Qwen2 is the same with \p{N} (one digit) for \p{N}{1,3}.
void split_llama3_piece(const Piece& p, Pieces& out, std::size_t max_digits) {
  std::size_t pos = p.ini;
  std::size_t prev = p.ini;
  auto emit = [&](std::size_t e) {
    if (e > prev) out.push_back(e - prev);
    prev = e;
    pos = e;
  };
  auto is_cr_lf = [](std::uint32_t cp) { return cp == '\r' || cp == '\n'; };
  while (pos < p.end) {
    const Cp c = p.at(pos);
    if (std::size_t m = contraction(p, pos, true)) {
      emit(pos + m);
      continue;
    }
    if (!is_cr_lf(c.cp) && !c.number() && (c.letter() || p.at(pos + 1).letter())) {
      std::size_t k = pos + 1;
      while (p.at(k).letter()) ++k;
      emit(k);
      continue;
    }
    if (c.number()) {
      std::size_t k = pos;
      while (p.at(k).number()) {
        ++k;
        if (k - prev >= max_digits) emit(k);
      }
      emit(k);
      continue;
    }
    const bool sp = c.cp == ' ';
    const Cp c2 = sp ? p.at(pos + 1) : c;
    // llama.cpp tests the first codepoint's presence here, not the second's: a lone trailing
    // space is taken by this branch (same result as \s+).
    if (!c2.space && !c2.letter() && !c2.number() && c.inside()) {
      std::size_t k = pos + (sp ? 1 : 0);
      while (p.at(k).other()) ++k;
      while (is_cr_lf(p.at(k).cp)) ++k;
      emit(k);
      continue;
    }
    std::size_t n_space = 0;
    std::size_t last_cr_lf_end = 0;
    while (p.at(pos + n_space).space) {
      if (is_cr_lf(p.at(pos + n_space).cp)) last_cr_lf_end = pos + n_space + 1;
      ++n_space;
    }
    if (last_cr_lf_end > 0) {
      emit(last_cr_lf_end);
    } else if (n_space > 1 && p.at(pos + n_space).inside()) {
      emit(pos + n_space - 1);
    } else if (n_space > 0) {
      emit(pos + n_space);
    } else {
      emit(pos + 1);
    }
  }
}

enum class Custom { Gpt2, Llama3, Qwen2 };

Pieces split_custom(const Text& t, const Pieces& in, Custom which) {
  Pieces out;
  out.reserve(in.size() * 2);
  std::size_t start = 0;
  for (std::size_t len : in) {
    const Piece p{t, start, start + len};
    switch (which) {
      case Custom::Gpt2: split_gpt2_piece(p, out); break;
      case Custom::Llama3: split_llama3_piece(p, out, 3); break;
      case Custom::Qwen2: split_llama3_piece(p, out, 1); break;
    }
    start += len;
  }
  return out;
}

struct NameEntry {
  const char* name;
  PreTokenizerInfo info;
};

// Names and flags as llama.cpp's vocabulary loader assigns them (only the families slm
// supports; others are rejected rather than guessed).
constexpr std::array kNames = {
    NameEntry{"default", {PreTokenizer::Default, true, false, false}},
    NameEntry{"llama3", {PreTokenizer::Llama3, true, true, true}},
    NameEntry{"llama-v3", {PreTokenizer::Llama3, true, true, true}},
    NameEntry{"llama-bpe", {PreTokenizer::Llama3, true, true, true}},
    NameEntry{"falcon3", {PreTokenizer::Llama3, true, true, true}},
    NameEntry{"pixtral", {PreTokenizer::Llama3, true, true, true}},
    NameEntry{"dbrx", {PreTokenizer::Llama3, true, false, false}},
    NameEntry{"smaug-bpe", {PreTokenizer::Llama3, true, false, false}},
    NameEntry{"qwen2", {PreTokenizer::Qwen2, false, false, false}},
    NameEntry{"deepseek-r1-qwen", {PreTokenizer::Qwen2, false, false, false}},
    NameEntry{"stablelm2", {PreTokenizer::Qwen2, true, false, false}},
    NameEntry{"megrez", {PreTokenizer::Qwen2, true, false, false}},
    NameEntry{"gpt-2", {PreTokenizer::Gpt2, true, false, false}},
    NameEntry{"phi-2", {PreTokenizer::Gpt2, true, false, false}},
    NameEntry{"mpt", {PreTokenizer::Gpt2, true, false, false}},
    NameEntry{"olmo", {PreTokenizer::Gpt2, true, false, false}},
    NameEntry{"jais", {PreTokenizer::Gpt2, true, false, false}},
    NameEntry{"exaone4", {PreTokenizer::Gpt2, true, false, false}},
    NameEntry{"smollm", {PreTokenizer::Smollm, false, false, false}},
    NameEntry{"starcoder", {PreTokenizer::Smollm, true, false, false}},
    NameEntry{"refact", {PreTokenizer::Smollm, true, false, false}},
    NameEntry{"command-r", {PreTokenizer::Smollm, false, false, false}},
    NameEntry{"codeshell", {PreTokenizer::Smollm, true, false, false}},
    NameEntry{"exaone", {PreTokenizer::Smollm, true, false, false}},
    NameEntry{"minerva-7b", {PreTokenizer::Smollm, true, false, false}},
    NameEntry{"deepseek-coder", {PreTokenizer::DeepseekCoder, false, false, false}},
    NameEntry{"falcon", {PreTokenizer::Falcon, true, false, false}},
};

}  // namespace

std::optional<PreTokenizerInfo> find_pre_tokenizer(std::string_view name) {
  for (const NameEntry& e : kNames) {
    if (name == e.name) return e.info;
  }
  return std::nullopt;
}

std::vector<std::string> pre_tokenize(PreTokenizer type, std::string_view text) {
  const Text t = analyse(text);
  Pieces pieces{t.cps.size()};
  if (t.cps.empty()) return {};
  switch (type) {
    case PreTokenizer::Llama3:
      pieces = split_custom(t, pieces, Custom::Llama3);
      break;
    case PreTokenizer::Qwen2:
      pieces = split_custom(t, pieces, Custom::Qwen2);
      break;
    case PreTokenizer::Gpt2:
      pieces = split_custom(t, pieces, Custom::Gpt2);
      break;
    case PreTokenizer::Smollm:
      pieces = split_regex(t, pieces, match_number);
      pieces = split_custom(t, pieces, Custom::Gpt2);
      break;
    case PreTokenizer::DeepseekCoder:
      pieces = split_regex(t, pieces, match_cr_lf);
      pieces = split_regex(t, pieces, match_space_opt_run<c_letter>);
      pieces = split_regex(t, pieces, match_space_opt_run<c_punct>);
      pieces = split_regex(t, pieces, match_cjk_run);
      pieces = split_regex(t, pieces, match_number);
      break;
    case PreTokenizer::Falcon:
      pieces = split_regex(t, pieces, match_punct_run<true>);
      pieces = split_custom(t, pieces, Custom::Gpt2);
      pieces = split_regex(t, pieces, match_three_digits);
      break;
    case PreTokenizer::Default:
      pieces = split_regex(t, pieces, match_punct_run<false>);
      pieces = split_custom(t, pieces, Custom::Gpt2);
      pieces = split_regex(t, pieces, match_number_run);
      pieces = split_regex(t, pieces, match_three_digits);
      break;
  }
  std::vector<std::string> words;
  words.reserve(pieces.size());
  std::size_t start = 0;
  for (std::size_t len : pieces) {
    std::string w;
    for (std::size_t k = start; k < start + len; ++k) append_utf8(w, t.cps[k]);
    words.push_back(std::move(w));
    start += len;
  }
  return words;
}

}  // namespace slm::tokenizer
