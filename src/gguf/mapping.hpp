#pragma once
// The bytes of a GGUF file: a read-only memory mapping, a private in-memory copy, or a
// caller-supplied buffer. Only this file knows how the bytes were obtained.

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace slm::gguf {

class Mapping {
 public:
  // Maps the file read-only (use_mmap) or reads it whole into memory. Throws slm::Error (Io).
  static Mapping open(const std::filesystem::path& path, bool use_mmap);
  static Mapping from_bytes(std::vector<std::uint8_t> bytes);

  std::span<const std::uint8_t> bytes() const noexcept { return {data_, size_}; }

  // Copies n bytes at `from` (inside bytes()) to dst. From a mapped file they are read with
  // pread, so the mapping does not become resident there: the token embedding is read a row at
  // a time, and touching a row through the mapping makes its whole page-cache folio (2 MiB)
  // count in the resident set. Throws slm::Error (Io) if the file cannot be read.
  void copy(const std::uint8_t* from, std::size_t n, void* dst) const;

  // The first n bytes (a parsed header and metadata, copied out by the parser) will rarely be
  // read through the mapping again: a mapped file's pages there leave this process's resident
  // set (they stay in the page cache and fault back in if read: 1.7 MiB of SmolLM2-135M,
  // 6.2 MiB of gemma-3-270m). Other kinds of bytes are kept as they are.
  void release_prefix(std::uint64_t n) const noexcept;

  // Reads `range` (inside bytes()) of a mapped file into the page cache and maps it now, so that
  // the first use does not wait for the disk (MADV_POPULATE_READ; where the kernel lacks it,
  // Linux < 5.14, only a read-ahead hint). A hint: errors are ignored, other kinds of bytes are
  // already in memory.
  void populate(std::span<const std::uint8_t> range) const noexcept;

  Mapping(Mapping&& other) noexcept;
  Mapping& operator=(Mapping&& other) noexcept;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping();

  Mapping() = default;  // empty

 private:
  void release() noexcept;

  const std::uint8_t* data_ = nullptr;
  std::uint64_t size_ = 0;
  int fd_ = -1;                      // the mapped file, kept open for copy()
  std::filesystem::path path_;       // its name, for copy()'s errors
  void* mapped_ = nullptr;           // non-null when data_ points into an mmap (of the file, or
                                     // anonymous memory the file was read into); size_ bytes
  std::vector<std::uint8_t> owned_;  // the bytes of from_bytes()
};

}  // namespace slm::gguf
