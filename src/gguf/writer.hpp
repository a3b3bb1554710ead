#pragma once
// GGUF writer (format: gguf/format.hpp). Collects metadata and tensors in order, then writes
// them with the layout the reader expects: tensor offsets assigned back to back, each tensor
// padded to the alignment (general.alignment when it is a valid u32, else 32).
//
// The writer does not validate names, keys or shapes beyond what it needs to lay the file
// out: tests use it to build deliberately bad files, and the reader is the validator.
// Reading a file and writing its metadata and tensors back reproduces it byte for byte.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "gguf/value.hpp"
#include "kernels/dtype.hpp"

namespace slm::gguf {

class File;

// Where each part of the written file starts (absolute byte offsets), so tests can damage
// one specific field.
struct Layout {
  struct Kv {
    std::uint64_t record;  // the key's length field
    std::uint64_t type;    // the value type field
    std::uint64_t value;   // the value (for arrays: the element type field)
    std::uint64_t end;
  };
  struct TensorInfo {
    std::uint64_t record;  // the name's length field
    std::uint64_t n_dims;
    std::uint64_t dims;  // the first dimension
    std::uint64_t type;
    std::uint64_t offset;  // the offset field
    std::uint64_t end;
  };
  std::uint64_t version_field = 4, n_tensors_field = 8, n_kv_field = 16;
  std::vector<Kv> kvs;
  std::vector<TensorInfo> tensor_infos;
  std::uint64_t infos_end = 0;                // where the tensor infos end (padding follows)
  std::uint64_t data_offset = 0;              // start of the data section
  std::vector<std::uint64_t> tensor_data;     // absolute start of each tensor's bytes
  std::vector<std::uint64_t> tensor_offsets;  // the same, relative to the data section
  std::uint64_t file_size = 0;
  std::uint64_t alignment = 0;
};

class Writer {
 public:
  using Sink = std::function<void(std::span<const std::uint8_t>)>;
  // Writes one tensor's bytes to the sink, in any number of pieces.
  using Producer = std::function<void(const Sink&)>;

  explicit Writer(std::uint32_t version = 3) : version_(version) {}

  void add(std::string key, Value value);
  // `shape` is ne order (ne[0] = row length first). `data` must stay alive until written and
  // hold exactly the tensor's byte size (slm::Error Argument otherwise).
  void add_tensor(std::string name, kernels::DType type, std::span<const std::int64_t> shape,
                  std::span<const std::uint8_t> data);
  // The same, taking ownership of the bytes.
  void add_tensor(std::string name, kernels::DType type, std::span<const std::int64_t> shape,
                  std::vector<std::uint8_t> data);

  // A tensor whose bytes are produced while the file is written, so files larger than memory
  // can be streamed (make-model, quantize). `produce` must emit exactly the tensor's byte size
  // (slm::Error Argument naming the tensor otherwise); it runs once per write().
  void add_tensor(std::string name, kernels::DType type, std::span<const std::int64_t> shape, Producer produce);

  // Everything in `file`, in file order; its tensor bytes are referenced, not copied.
  static Writer copy_of(const File& file);

  Layout layout() const;
  // Streams the file to `sink` in pieces (tensor bytes are passed straight from their source).
  void write(const Sink& sink) const;
  std::vector<std::uint8_t> to_bytes() const;
  void write_file(const std::filesystem::path& path) const;  // slm::Error Io on failure

 private:
  struct Tensor {
    std::string name;
    kernels::DType type;
    std::vector<std::int64_t> shape;
    std::span<const std::uint8_t> data;  // borrowed, unless is_owned
    std::vector<std::uint8_t> owned;
    bool is_owned;
    Producer produce;  // set: bytes come from it at write time
    std::uint64_t n_bytes;
    std::span<const std::uint8_t> bytes() const { return is_owned ? std::span<const std::uint8_t>(owned) : data; }
  };
  std::uint64_t alignment() const;
  void write_impl(const Sink* sink, Layout& layout) const;  // sink null: layout only

  std::uint32_t version_;
  std::vector<std::pair<std::string, Value>> kvs_;
  std::vector<Tensor> tensors_;
};

}  // namespace slm::gguf
