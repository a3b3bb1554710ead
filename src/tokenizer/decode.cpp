// Ids -> text: token pieces and whole-sequence decoding with llama.cpp's clean-up rules.

#include <algorithm>

#include "slm/error.hpp"
#include "tokenizer/tokenizer_impl.hpp"
#include "tokenizer/unicode.hpp"

namespace slm {
namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// clean_up_tokenization_spaces as llama.cpp applies it, in three passes over the bytes:
// " ?" " !" " ." " ," lose the space; " ' " becomes "'"; " 's" " 'm" " 're" " 've" lose the
// space (" 't" " 'd" " 'll" keep it).
std::string apply_clean_spaces(std::string t) {
  if (t.size() < 2) return t;
  std::string out;
  out.reserve(t.size());
  out += t[0];
  for (std::size_t i = 1; i < t.size(); ++i) {
    const char x = t[i];
    if (t[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) out.pop_back();
    out += x;
  }
  t.swap(out);
  out.clear();
  if (t.empty()) return t;
  out += t[0];
  for (std::size_t i = 1; i < t.size(); ++i) {
    const char x = t[i];
    if (x == '\'' && i + 1 < t.size() && t[i - 1] == ' ' && t[i + 1] == ' ') {
      out.pop_back();
      t[++i] = '\0';  // the space after is dropped; it no longer counts as a space either
    }
    out += x;
  }
  t.swap(out);
  out.clear();
  if (t.empty()) return t;
  out += t[0];
  for (std::size_t i = 1; i < t.size(); ++i) {
    const char x = t[i];
    if (t[i - 1] == ' ' && x == '\'' && i + 1 < t.size()) {
      const char x1 = t[i + 1];
      if (x1 == 's' || x1 == 'm') {
        out.pop_back();
      } else if (x1 != 't' && x1 != 'd' && i + 2 < t.size()) {
        const char x2 = t[i + 2];
        if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) out.pop_back();
      }
    }
    out += x;
  }
  return out;
}

}  // namespace

std::string Tokenizer::Impl::make_piece(std::int32_t id, bool render_special) const {
  const std::uint8_t attr = attrs[id];
  const std::string_view text = texts[id];
  if (attr & (kAttrControl | kAttrUnknown)) return render_special ? std::string(text) : std::string();
  if (attr & kAttrUserDefined) return std::string(text);
  if (attr & kAttrNormal) {
    std::string out;
    if (kind == TokenizerKind::Spm) {
      out.reserve(text.size());
      for (std::size_t i = 0; i < text.size();) {
        if (text.compare(i, kSpaceMark.size(), kSpaceMark) == 0) {
          out += ' ';
          i += kSpaceMark.size();
        } else {
          out += text[i++];
        }
      }
      return out;
    }
    for (std::uint32_t cp : tokenizer::decode_utf8(text)) {
      const int b = tokenizer::codepoint_to_byte(cp);
      if (b >= 0) {
        out += static_cast<char>(b);
        continue;
      }
      // Not a byte-level character (a hand-added token?): llama.cpp writes this marker.
      std::string utf8;
      tokenizer::append_utf8(utf8, cp);
      static constexpr char kHex[] = "0123456789abcdef";
      out += "[UNK_BYTE_0x";
      for (unsigned char c : utf8) {
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
      out += text;
      out += ']';
    }
    return out;
  }
  if (attr & kAttrByte) {
    // "<0xNN>"
    if (text.size() >= 5 && hex_digit(text[3]) >= 0 && hex_digit(text[4]) >= 0) {
      return std::string(1, static_cast<char>(hex_digit(text[3]) * 16 + hex_digit(text[4])));
    }
    return {};
  }
  return {};  // undefined / unused tokens have no text
}

std::string Tokenizer::decode(std::span<const std::int32_t> ids,
                              const DecodeOptions& options) const {
  const Impl& v = *impl_;
  for (std::int32_t id : ids) v.check_id(id);
  bool remove_space = v.add_space_prefix;
  if (options.remove_special && v.add_bos && !ids.empty() && ids.front() == v.bos) {
    remove_space = false;
    ids = ids.subspan(1);
  }
  if (options.remove_special && v.add_eos && !ids.empty() && ids.back() == v.eos) {
    ids = ids.first(ids.size() - 1);
  }
  std::string out;
  for (std::int32_t id : ids) {
    std::string_view piece = v.pieces[id];
    if (!options.render_special && (v.attrs[id] & (kAttrControl | kAttrUnknown))) piece = {};
    // The first token loses the space SentencePiece put in front of the text (even when the
    // first token is BOS and so writes nothing: llama.cpp behaves the same).
    if (remove_space && !piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    remove_space = false;
    out += piece;
  }
  return v.clean_spaces ? apply_clean_spaces(std::move(out)) : out;
}

}  // namespace slm
