#pragma once
// Bounds-checked little-endian reading over a byte span. Every read first checks that the
// bytes exist; failures throw slm::Error (Format) naming the file, the current key or tensor,
// and the offset where the field starts.

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "slm/error.hpp"

namespace slm::gguf {

static_assert(std::endian::native == std::endian::little, "the GGUF reader assumes a little-endian host");

class Cursor {
 public:
  Cursor(std::span<const std::uint8_t> bytes, const std::string& file) : bytes_(bytes), file_(file) {}

  std::uint64_t pos() const noexcept { return pos_; }
  std::uint64_t size() const noexcept { return bytes_.size(); }
  std::uint64_t remaining() const noexcept { return bytes_.size() - pos_; }
  const std::uint8_t* here() const noexcept { return bytes_.data() + pos_; }

  // Context used in error messages: the key or tensor currently being parsed.
  void set_where(std::string where) { where_ = std::move(where); }
  const std::string& where() const noexcept { return where_; }

  template <class T>
  T read(std::string_view what) {
    static_assert(std::is_trivially_copyable_v<T>);
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, here(), sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  // A GGUF string: u64 length, then the bytes. The length is checked against the bytes that
  // remain and against `max_len` before anything is allocated.
  std::string read_string(std::string_view what, std::uint64_t max_len) {
    const std::uint64_t len = string_length(what, max_len);
    std::string s(reinterpret_cast<const char*>(here()), static_cast<std::size_t>(len));
    pos_ += len;
    return s;
  }
  // The same checks as read_string, without copying the bytes.
  void skip_string(std::string_view what, std::uint64_t max_len) { pos_ += string_length(what, max_len); }

  void skip(std::uint64_t n, std::string_view what) {
    need(n, what);
    pos_ += n;
  }

  // The bytes from `from` up to the current position.
  std::span<const std::uint8_t> since(std::uint64_t from) const noexcept {
    return bytes_.subspan(from, pos_ - from);
  }

  [[noreturn]] void fail(std::uint64_t at, std::string message, Error::Kind kind = Error::Kind::Format) const {
    throw Error(kind, std::move(message), file_, where_, at);
  }

 private:
  // Reads a string's length field and checks it against `max_len` and the bytes that remain.
  std::uint64_t string_length(std::string_view what, std::uint64_t max_len) {
    const std::uint64_t at = pos_;
    const auto len = read<std::uint64_t>(what);
    if (len > max_len)
      fail(at, std::string(what) + " length " + std::to_string(len) + " exceeds the limit of " +
                   std::to_string(max_len) + " bytes");
    if (len > remaining())
      fail(at, std::string(what) + " length " + std::to_string(len) + " runs past the end of the file (" +
                   std::to_string(remaining()) + " bytes remain)");
    return len;
  }

  void need(std::uint64_t n, std::string_view what) const {
    if (n > remaining())
      fail(pos_, "unexpected end of file reading " + std::string(what) + " (" + std::to_string(n) + " bytes needed, " +
                     std::to_string(remaining()) + " remain)");
  }

  std::span<const std::uint8_t> bytes_;
  const std::string& file_;
  std::string where_;
  std::uint64_t pos_ = 0;
};

// Checked arithmetic for sizes computed from file fields.
inline bool mul_overflows(std::uint64_t a, std::uint64_t b, std::uint64_t* out) noexcept {
  return __builtin_mul_overflow(a, b, out);
}
inline bool add_overflows(std::uint64_t a, std::uint64_t b, std::uint64_t* out) noexcept {
  return __builtin_add_overflow(a, b, out);
}

}  // namespace slm::gguf
