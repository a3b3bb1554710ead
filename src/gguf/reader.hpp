#pragma once
// GGUF reader: maps (or reads) a file and parses its header, metadata and tensor table.
// The container format is documented once, at the top of reader.cpp.
//
// Everything is validated while parsing, before anything is allocated or dereferenced:
// every count, length, dimension and offset is checked against the bytes that remain and
// for overflow. A file that opens is safe to use: each tensor's bytes lie inside the file.
// Failures throw slm::Error naming the file, the byte offset and the reason.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/value.hpp"
#include "kernels/dtype.hpp"

namespace slm::gguf {

struct KeyValue {
  std::string key;
  Value value;
  std::uint64_t offset;  // where the record starts in the file
};

struct TensorInfo {
  std::string name;
  kernels::DType type;
  int n_dims;
  std::int64_t ne[4];      // ne[0] varies fastest (row length); unused dims are 1
  std::uint64_t offset;    // relative to the data section
  std::uint64_t n_bytes;
  std::int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
};

struct OpenOptions {
  bool use_mmap = true;  // false: read the whole file into memory (safe if the file changes)
  // Accept tensor types slm knows but cannot compute with (dtype_info(t).supported == false),
  // e.g. for `slm inspect`. Unknown type ids are always rejected: their size is unknown.
  bool allow_unsupported_types = false;
  // Total elements over all metadata arrays. The File keeps arrays in their encoded form, so
  // its own memory is bounded by the file size; but whoever reads an array decodes each
  // element into a Value (~48 bytes) or a std::string (32 bytes) however small its encoding
  // (an empty string is 8 bytes on disk), so this bounds what a hostile file can make the
  // File's users allocate (~200 MB at the default). Real files need < 1M (Gemma 3:
  // 3 x 262144; Llama 3: 3 x 128256 tokens + 280k merges).
  std::uint64_t max_array_elements = std::uint64_t{1} << 22;
};

class File {
 public:
  static File open(const std::filesystem::path& path, const OpenOptions& options = {});
  // Parse an in-memory image (tests, fuzzing); `name` is used in error messages.
  static File from_bytes(std::vector<std::uint8_t> bytes, std::string name = "<memory>");
  static File from_bytes(std::vector<std::uint8_t> bytes, std::string name, const OpenOptions& options);

  const std::string& path() const noexcept;
  std::uint32_t version() const noexcept;
  std::uint64_t alignment() const noexcept;
  std::uint64_t data_offset() const noexcept;  // start of the tensor data section
  std::uint64_t file_size() const noexcept;

  const std::vector<KeyValue>& metadata() const noexcept;  // in file order
  const Value* find(std::string_view key) const noexcept;
  const KeyValue* find_kv(std::string_view key) const noexcept;  // with the record's offset

  // Typed access. T is one of: bool, uint8..uint64, int8..int64, float, double, std::string,
  // std::vector<std::string>, std::vector<float>, std::vector<int32_t>, std::vector<uint32_t>.
  // Throws slm::Error (naming the key) if the key is missing or its type does not convert.
  template <class T> T get(std::string_view key) const;
  template <class T> std::optional<T> get_optional(std::string_view key) const;

  const std::vector<TensorInfo>& tensors() const noexcept;
  const TensorInfo* find_tensor(std::string_view name) const noexcept;
  // The tensor's bytes (inside the mapping; valid while this File lives).
  std::span<const std::uint8_t> tensor_data(const TensorInfo& t) const noexcept;
  // Copies n bytes at `from` (inside tensor data) to dst without making the mapping resident
  // there (Mapping::copy). Throws slm::Error (Io).
  void copy(const std::uint8_t* from, std::size_t n, void* dst) const;
  // Brings `range` (inside tensor data) into memory now (Mapping::populate; a hint).
  void populate(std::span<const std::uint8_t> range) const noexcept;

  File(File&&) noexcept;
  File& operator=(File&&) noexcept;
  ~File();

 private:
  struct Impl;
  explicit File(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace slm::gguf
