#pragma once
// slm::Error — the one exception type the library throws.
//
// Every failure carries what failed and where: the file, the tensor or metadata key, and
// the byte offset in the file when there is one. Tools catch it at their boundary and print
// what() as one line. The library never aborts or exits on bad input.

#include <cstdint>
#include <stdexcept>
#include <string>

namespace slm {

class Error : public std::runtime_error {
 public:
  enum class Kind {
    Io,           // cannot open, map or read a file
    Format,       // the bytes are not a valid GGUF (or not the format expected)
    Unsupported,  // valid, but something slm does not handle (tensor type, architecture, ...)
    Shape,        // a tensor or hyper-parameter disagrees with the architecture
    Argument,     // a caller passed something invalid (token id, option value, ...)
    ContextFull,  // the session has no room for more tokens
    Resource,     // a size or memory limit would be exceeded
    Cancelled,    // the caller asked a running operation to stop
  };

  static constexpr std::uint64_t kNoOffset = ~std::uint64_t{0};

  Error(Kind kind, std::string message, std::string file = {}, std::string where = {},
        std::uint64_t offset = kNoOffset);

  Kind kind() const noexcept { return kind_; }
  // The reason alone, without file/where/offset.
  const std::string& message() const noexcept { return message_; }
  const std::string& file() const noexcept { return file_; }
  // The tensor name or metadata key involved, if any.
  const std::string& where() const noexcept { return where_; }
  std::uint64_t offset() const noexcept { return offset_; }
  bool has_offset() const noexcept { return offset_ != kNoOffset; }

 private:
  Kind kind_;
  std::string message_, file_, where_;
  std::uint64_t offset_;
};

const char* to_string(Error::Kind kind) noexcept;

}  // namespace slm
