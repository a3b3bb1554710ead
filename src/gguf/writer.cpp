#include "gguf/writer.hpp"

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "gguf/format.hpp"
#include "gguf/reader.hpp"
#include "slm/error.hpp"

namespace slm::gguf {
namespace {

class Buffer {
 public:
  std::uint64_t pos() const { return bytes_.size(); }
  template <class T>
  void put(T v) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
    bytes_.insert(bytes_.end(), p, p + sizeof(T));
  }
  void put_string(std::string_view s) {
    put<std::uint64_t>(s.size());
    bytes_.insert(bytes_.end(), s.begin(), s.end());
  }
  std::vector<std::uint8_t>& bytes() { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

[[noreturn]] void bad_argument(const std::string& message, const std::string& where) {
  throw Error(Error::Kind::Argument, message, {}, where);
}

void put_value(Buffer& b, const Value& v, const std::string& key) {
  try {
    encode_value(v, b.bytes());
  } catch (const Error& e) {
    bad_argument(e.message(), key);
  }
}

std::uint64_t tensor_bytes(kernels::DType type, std::span<const std::int64_t> shape, const std::string& name) {
  const kernels::DTypeInfo* known = kernels::dtype_info(static_cast<std::uint32_t>(type));
  if (!known) bad_argument("unknown tensor type " + std::to_string(static_cast<std::uint32_t>(type)), name);
  const auto& info = *known;
  if (shape.size() > static_cast<std::size_t>(format::kMaxDims))
    bad_argument("a tensor has at most 4 dimensions", name);
  for (auto ne : shape)
    if (ne <= 0) bad_argument("dimensions must be positive", name);
  const std::int64_t ne0 = shape.empty() ? 1 : shape[0];  // no dimensions: a scalar
  if (ne0 % info.block_elems != 0) bad_argument("row length is not a multiple of the block size", name);
  std::uint64_t n = static_cast<std::uint64_t>(ne0 / info.block_elems * info.block_bytes);
  for (std::size_t d = 1; d < shape.size(); ++d)
    if (__builtin_mul_overflow(n, static_cast<std::uint64_t>(shape[d]), &n)) bad_argument("tensor too large", name);
  return n;
}

std::uint64_t align_up(std::uint64_t x, std::uint64_t a) { return (x + a - 1) / a * a; }

}  // namespace

void Writer::add(std::string key, Value value) { kvs_.emplace_back(std::move(key), std::move(value)); }

void Writer::add_tensor(std::string name, kernels::DType type, std::span<const std::int64_t> shape,
                        std::span<const std::uint8_t> data) {
  const std::uint64_t n = tensor_bytes(type, shape, name);
  if (data.size() != n)
    bad_argument("data holds " + std::to_string(data.size()) + " bytes, the shape needs " + std::to_string(n), name);
  tensors_.push_back({std::move(name), type, {shape.begin(), shape.end()}, data, {}, false, {}, n});
}

void Writer::add_tensor(std::string name, kernels::DType type, std::span<const std::int64_t> shape, Producer produce) {
  const std::uint64_t n = tensor_bytes(type, shape, name);
  tensors_.push_back({std::move(name), type, {shape.begin(), shape.end()}, {}, {}, false, std::move(produce), n});
}

void Writer::add_tensor(std::string name, kernels::DType type, std::span<const std::int64_t> shape,
                        std::vector<std::uint8_t> data) {
  add_tensor(std::move(name), type, shape, std::span<const std::uint8_t>(data));
  tensors_.back().owned = std::move(data);
  tensors_.back().is_owned = true;
}

Writer Writer::copy_of(const File& file) {
  Writer w(file.version());
  for (const KeyValue& kv : file.metadata()) w.add(kv.key, kv.value);
  for (const TensorInfo& t : file.tensors())
    w.add_tensor(t.name, t.type, std::span<const std::int64_t>(t.ne, static_cast<std::size_t>(t.n_dims)),
                 file.tensor_data(t));
  return w;
}

std::uint64_t Writer::alignment() const {
  for (const auto& [key, value] : kvs_) {
    if (key != format::kAlignmentKey || value.type != ValueType::U32) continue;
    const std::uint64_t a = std::get<std::uint64_t>(value.data);
    if (a != 0 && std::has_single_bit(a)) return a;
  }
  return format::kDefaultAlignment;
}

Layout Writer::layout() const {
  Layout layout;
  write_impl(nullptr, layout);
  return layout;
}

void Writer::write(const Sink& sink) const {
  Layout layout;
  write_impl(&sink, layout);
}

void Writer::write_impl(const Sink* sink, Layout& layout) const {
  const std::uint64_t align = alignment();
  layout.alignment = align;
  Buffer b;
  for (auto c : format::kMagic) b.put(c);
  b.put(version_);
  b.put<std::uint64_t>(tensors_.size());
  b.put<std::uint64_t>(kvs_.size());
  for (const auto& [key, value] : kvs_) {
    Layout::Kv l{};
    l.record = b.pos();
    b.put_string(key);
    l.type = b.pos();
    b.put(static_cast<std::uint32_t>(value.type));
    l.value = b.pos();
    put_value(b, value, key);
    l.end = b.pos();
    layout.kvs.push_back(l);
  }
  std::uint64_t offset = 0;  // tensors are laid out back to back, each padded
  for (const Tensor& t : tensors_) {
    Layout::TensorInfo l{};
    l.record = b.pos();
    b.put_string(t.name);
    l.n_dims = b.pos();
    b.put(static_cast<std::uint32_t>(t.shape.size()));
    l.dims = b.pos();
    for (auto ne : t.shape) b.put(ne);
    l.type = b.pos();
    b.put(static_cast<std::uint32_t>(t.type));
    l.offset = b.pos();
    b.put(offset);
    l.end = b.pos();
    layout.tensor_infos.push_back(l);
    layout.tensor_offsets.push_back(offset);
    offset += align_up(t.n_bytes, align);
  }
  layout.infos_end = b.pos();
  layout.data_offset = align_up(b.pos(), align);
  for (auto off : layout.tensor_offsets) layout.tensor_data.push_back(layout.data_offset + off);
  // A file without tensors has no data section and so no padding before it.
  layout.file_size = tensors_.empty() ? b.pos() : layout.data_offset + offset;
  if (!sink) return;

  (*sink)(b.bytes());
  if (tensors_.empty()) return;
  const std::vector<std::uint8_t> zeros(align, 0);
  (*sink)(std::span(zeros).first(layout.data_offset - layout.infos_end));
  for (const Tensor& t : tensors_) {
    if (t.produce) {
      std::uint64_t produced = 0;
      t.produce([&](std::span<const std::uint8_t> piece) {
        produced += piece.size();
        if (produced > t.n_bytes)
          bad_argument("producer wrote more than the tensor's " + std::to_string(t.n_bytes) + " bytes", t.name);
        (*sink)(piece);
      });
      if (produced != t.n_bytes)
        bad_argument(
            "producer wrote " + std::to_string(produced) + " bytes, the shape needs " + std::to_string(t.n_bytes),
            t.name);
    } else {
      (*sink)(t.bytes());
    }
    (*sink)(std::span(zeros).first(align_up(t.n_bytes, align) - t.n_bytes));
  }
}

std::vector<std::uint8_t> Writer::to_bytes() const {
  std::vector<std::uint8_t> out;
  write([&](std::span<const std::uint8_t> piece) { out.insert(out.end(), piece.begin(), piece.end()); });
  return out;
}

void Writer::write_file(const std::filesystem::path& path) const {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) throw Error(Error::Kind::Io, std::string("cannot create: ") + std::strerror(errno), path.string());
  write([&](std::span<const std::uint8_t> piece) {
    if (!piece.empty() && std::fwrite(piece.data(), 1, piece.size(), f.get()) != piece.size())
      throw Error(Error::Kind::Io, std::string("cannot write: ") + std::strerror(errno), path.string());
  });
  if (std::fclose(f.release()) != 0)
    throw Error(Error::Kind::Io, std::string("cannot write: ") + std::strerror(errno), path.string());
}

}  // namespace slm::gguf
