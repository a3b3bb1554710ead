// Streaming output: Utf8Stream holds back an incomplete UTF-8 sequence at the end of what has
// arrived; Tokenizer::Decoder feeds it token pieces.

#include "tokenizer/tokenizer_impl.hpp"

namespace slm {

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
    : impl_(tokenizer.impl_),
      render_special_(render_special),
      strip_leading_space_(strip_leading_space) {}

std::string Tokenizer::Decoder::push(std::int32_t id) {
  impl_->check_id(id);
  std::string piece = impl_->make_piece(id, render_special_);
  if (first_ && strip_leading_space_ && impl_->add_space_prefix && !piece.empty() &&
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
