// Ids -> text: token pieces, whole-sequence decoding with llama.cpp's clean-up rules, the
// streaming decoder, and the accessors of Tokenizer.

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
  const std::string& text = texts[id];
  if (attr & (kAttrControl | kAttrUnknown)) return render_special ? text : std::string();
  if (attr & kAttrUserDefined) return text;
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
      out += text + "]";
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

std::string Tokenizer::token_to_piece(std::int32_t id, bool render_special) const {
  impl_->check_id(id);
  return impl_->make_piece(id, render_special);
}

std::string_view Tokenizer::piece(std::int32_t id) const {
  impl_->check_id(id);
  return impl_->pieces[id];
}

std::string_view Tokenizer::text(std::int32_t id) const {
  impl_->check_id(id);
  return impl_->texts[id];
}

float Tokenizer::score(std::int32_t id) const {
  impl_->check_id(id);
  return impl_->scores[id];
}

std::int32_t Tokenizer::find(std::string_view text) const noexcept { return impl_->find(text); }

bool Tokenizer::is_control(std::int32_t id) const noexcept {
  return id >= 0 && static_cast<std::size_t>(id) < impl_->size() &&
         (impl_->attrs[id] & kAttrControl);
}
bool Tokenizer::is_byte(std::int32_t id) const noexcept {
  return id >= 0 && static_cast<std::size_t>(id) < impl_->size() &&
         (impl_->attrs[id] & kAttrByte);
}
bool Tokenizer::is_end_of_generation(std::int32_t id) const noexcept {
  return std::binary_search(impl_->eog_ids.begin(), impl_->eog_ids.end(), id);
}
const std::vector<std::int32_t>& Tokenizer::end_of_generation_ids() const noexcept {
  return impl_->eog_ids;
}
std::int32_t Tokenizer::bos() const noexcept { return impl_->bos; }
std::int32_t Tokenizer::eos() const noexcept { return impl_->eos; }
std::int32_t Tokenizer::eot() const noexcept { return impl_->eot; }
std::int32_t Tokenizer::unk() const noexcept { return impl_->unk; }
std::int32_t Tokenizer::pad() const noexcept { return impl_->pad; }
bool Tokenizer::add_bos() const noexcept { return impl_->add_bos; }
bool Tokenizer::add_eos() const noexcept { return impl_->add_eos; }
bool Tokenizer::add_space_prefix() const noexcept { return impl_->add_space_prefix; }
bool Tokenizer::clean_spaces() const noexcept { return impl_->clean_spaces; }
std::size_t Tokenizer::size() const noexcept { return impl_->size(); }
TokenizerKind Tokenizer::kind() const noexcept { return impl_->kind; }
const std::string& Tokenizer::pre() const noexcept { return impl_->pre_name; }
const std::vector<std::string>& Tokenizer::warnings() const noexcept { return impl_->warnings; }

// ---- streaming

std::string Utf8Stream::push(std::string_view bytes) {
  pending_ += bytes;
  // Find the start of the last sequence; hold it back if its lead byte announces more bytes
  // than have arrived (only continuation bytes can follow a lead byte within a sequence).
  std::size_t keep = 0;
  const std::size_t n = pending_.size();
  for (std::size_t back = 1; back <= 4 && back <= n; ++back) {
    const auto c = static_cast<unsigned char>(pending_[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: look further back
    std::size_t need = 0;
    if (c >= 0xC2 && c <= 0xDF) need = 2;
    else if (c >= 0xE0 && c <= 0xEF) need = 3;
    else if (c >= 0xF0 && c <= 0xF4) need = 4;
    if (need > back) keep = back;
    break;
  }
  std::string out = pending_.substr(0, n - keep);
  pending_.erase(0, n - keep);
  return out;
}

std::string Utf8Stream::flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

Tokenizer::Decoder::Decoder(const Tokenizer& tokenizer, bool render_special,
                            bool strip_leading_space)
    : tokenizer_(&tokenizer),
      render_special_(render_special),
      strip_leading_space_(strip_leading_space) {}

std::string Tokenizer::Decoder::push(std::int32_t id) {
  std::string piece = tokenizer_->token_to_piece(id, render_special_);
  if (first_ && strip_leading_space_ && tokenizer_->add_space_prefix() && !piece.empty() &&
      piece.front() == ' ') {
    piece.erase(0, 1);
  }
  first_ = false;
  return stream_.push(piece);
}

std::string Tokenizer::Decoder::flush() { return stream_.flush(); }

void Tokenizer::Decoder::reset() {
  first_ = true;
  stream_.flush();
}

}  // namespace slm
