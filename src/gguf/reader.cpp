// GGUF parsing. The container format is described once, in gguf/format.hpp.
//
// The parser walks the file front to back with a bounds-checked Cursor. Before anything is
// allocated, every count is compared with the bytes that remain (each record has a minimum
// encoded size), and every size derived from file fields uses checked arithmetic. Metadata
// arrays additionally draw from a per-file element budget (OpenOptions::max_array_elements).
// A value is validated in one pass over its bytes and then decoded from them (gguf/value.cpp);
// an array keeps a copy of its validated encoding, not Values.

#include "gguf/reader.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <utility>

#include "gguf/cursor.hpp"
#include "gguf/format.hpp"
#include "gguf/mapping.hpp"

namespace slm::gguf {

namespace {

// What File::Impl holds; a separate type so the parser below can fill it.
struct Contents {
  std::string path;
  Mapping mapping;
  std::uint32_t version = 0;
  std::uint64_t alignment = format::kDefaultAlignment;
  std::uint64_t data_offset = 0;
  std::vector<KeyValue> metadata;
  std::vector<TensorInfo> tensors;
  std::map<std::string, std::size_t, std::less<>> key_index, tensor_index;
};

using format::kMaxArrayDepth;
constexpr std::uint64_t kReserveLimit = 1 << 16;

// The smallest encoding of a value of type t: a string is at least its length, an array its
// element type and count.
std::uint64_t min_value_bytes(ValueType t) {
  if (const std::size_t n = value_fixed_size(t)) return n;
  return t == ValueType::String ? 8 : 4 + 8;
}

// A fixed-size type any bit pattern of which is valid (so not Bool).
bool is_plain_number(ValueType t) {
  return t != ValueType::Bool && t != ValueType::String && t != ValueType::Array;
}

// Names are looked up and printed as text; metadata string values are left as they are.
bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    std::uint32_t cp = n == 1 ? b : b & (0x7F >> n);
    for (std::size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = cp << 6 | (c & 0x3F);
    }
    constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};  // reject overlong forms
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

class Parser {
 public:
  Parser(Contents& f, const OpenOptions& options)
      : f_(f), c_(f.mapping.bytes(), f.path), options_(options), elements_left_(options.max_array_elements) {}

  void parse() {
    std::uint64_t n_tensors = 0, n_kv = 0;
    header(n_tensors, n_kv);
    // Counts are only bounded by the file size here; reserve no more than real files need.
    f_.metadata.reserve(std::min<std::uint64_t>(n_kv, kReserveLimit));
    for (std::uint64_t i = 0; i < n_kv; ++i) key_value();
    c_.set_where({});
    alignment();
    f_.tensors.reserve(std::min<std::uint64_t>(n_tensors, kReserveLimit));
    std::vector<std::uint64_t> offset_fields;  // where each tensor's offset field starts
    offset_fields.reserve(std::min<std::uint64_t>(n_tensors, kReserveLimit));
    for (std::uint64_t i = 0; i < n_tensors; ++i) offset_fields.push_back(tensor_info(i));
    c_.set_where({});
    data_layout(offset_fields);
  }

 private:
  void header(std::uint64_t& n_tensors, std::uint64_t& n_kv) {
    const auto magic = c_.read<std::uint32_t>("the magic");
    if (std::memcmp(&magic, format::kMagic, 4) != 0) {
      char hex[16];
      const auto* b = reinterpret_cast<const std::uint8_t*>(&magic);
      std::snprintf(hex, sizeof hex, "%02x %02x %02x %02x", b[0], b[1], b[2], b[3]);
      c_.fail(0, std::string("bad magic ") + hex + ": not a GGUF file");
    }
    const auto version = c_.read<std::uint32_t>("the version");
    if (version != 2 && version != 3) {
      std::string msg = "GGUF version " + std::to_string(version) + " is not supported (slm reads versions 2 and 3)";
      if ((version & 0xFFFF) == 0 && version != 0) msg += "; byte-swapped (big-endian) file?";
      c_.fail(4, msg, version == 0 ? Error::Kind::Format : Error::Kind::Unsupported);
    }
    f_.version = version;
    n_tensors = count("tensor count", format::kMinTensorInfoBytes);
    n_kv = count("metadata count", format::kMinKvBytes);
    // Each count fits alone; together they must fit too.
    const std::uint64_t need = n_tensors * format::kMinTensorInfoBytes + n_kv * format::kMinKvBytes;
    if (need > c_.remaining())
      c_.fail(8, "tensor count " + std::to_string(n_tensors) + " and metadata count " + std::to_string(n_kv) +
                     " need at least " + std::to_string(need) + " bytes, but only " + std::to_string(c_.remaining()) +
                     " remain (truncated file?)");
  }

  std::uint64_t count(const char* what, std::uint64_t min_record) {
    const std::uint64_t at = c_.pos();
    const auto n = c_.read<std::uint64_t>(what);
    if (n > static_cast<std::uint64_t>(INT64_MAX))
      c_.fail(at, std::string(what) + " " + std::to_string(n) + " is negative as a signed 64-bit count");
    // remaining() is measured after this header's last field, but n_kv is read second: use the
    // bytes after the whole 24-byte header for both.
    const std::uint64_t rest = c_.size() > format::kHeaderBytes ? c_.size() - format::kHeaderBytes : 0;
    if (n > rest / min_record)
      c_.fail(at, std::string(what) + " " + std::to_string(n) + " cannot fit in the " + std::to_string(rest) +
                      " bytes after the header");
    return n;
  }

  void key_value() {
    const std::uint64_t at = c_.pos();
    c_.set_where({});
    std::string key = c_.read_string("key", format::kMaxKeyBytes);
    if (key.empty()) c_.fail(at, "empty metadata key");
    if (!valid_utf8(key)) c_.fail(at, "metadata key is not valid UTF-8");
    c_.set_where(key);
    if (auto it = f_.key_index.find(key); it != f_.key_index.end())
      c_.fail(at, "duplicate metadata key (first at offset " + std::to_string(f_.metadata[it->second].offset) + ")");
    const ValueType type = value_type("value type");
    const std::uint64_t value_at = c_.pos();
    value(type, 0);
    Value v = decode_value(type, c_.since(value_at));
    f_.key_index.emplace(key, f_.metadata.size());
    f_.metadata.push_back({std::move(key), std::move(v), at});
  }

  ValueType value_type(const char* what) {
    const std::uint64_t at = c_.pos();
    const auto t = c_.read<std::uint32_t>(what);
    if (t >= format::kValueTypeCount) c_.fail(at, "unknown " + std::string(what) + " " + std::to_string(t));
    return static_cast<ValueType>(t);
  }

  // Checks one value of `type` and moves past it, without decoding it; `depth` is how many
  // arrays enclose it. decode_value() may then trust the bytes it passed over.
  void value(ValueType type, int depth) {
    switch (type) {
      case ValueType::U8: return c_.skip(1, "a u8 value");
      case ValueType::I8: return c_.skip(1, "an i8 value");
      case ValueType::U16: return c_.skip(2, "a u16 value");
      case ValueType::I16: return c_.skip(2, "an i16 value");
      case ValueType::U32: return c_.skip(4, "a u32 value");
      case ValueType::I32: return c_.skip(4, "an i32 value");
      case ValueType::U64: return c_.skip(8, "a u64 value");
      case ValueType::I64: return c_.skip(8, "an i64 value");
      case ValueType::F32: return c_.skip(4, "an f32 value");
      case ValueType::F64: return c_.skip(8, "an f64 value");
      case ValueType::Bool: {
        const std::uint64_t at = c_.pos();
        const auto b = c_.read<std::uint8_t>("a bool value");
        if (b > 1) c_.fail(at, "bool value " + std::to_string(b) + " is neither 0 nor 1");
        return;
      }
      case ValueType::String: return c_.skip_string("string value", ~std::uint64_t{0});
      case ValueType::Array: return array(depth + 1);
    }
    c_.fail(c_.pos(), "unknown value type");  // unreachable: value_type() validated it
  }

  void array(int depth) {
    const std::uint64_t at = c_.pos();
    if (depth > kMaxArrayDepth) c_.fail(at, "arrays nested deeper than " + std::to_string(kMaxArrayDepth) + " levels");
    const ValueType elem = value_type("array element type");
    const auto n = c_.read<std::uint64_t>("the array length");
    const std::uint64_t min = min_value_bytes(elem);
    if (n > c_.remaining() / min)
      c_.fail(at, "array of " + std::to_string(n) + " " + std::string(value_type_name(elem)) +
                      " elements cannot fit in the " + std::to_string(c_.remaining()) + " bytes that remain");
    if (n > elements_left_)
      c_.fail(at,
              "metadata arrays hold more than " + std::to_string(options_.max_array_elements) +
                  " elements in total (OpenOptions::max_array_elements)",
              Error::Kind::Resource);
    elements_left_ -= n;
    if (is_plain_number(elem)) return c_.skip(n * min, "array elements");  // fits: checked above
    for (std::uint64_t i = 0; i < n; ++i) value(elem, depth);
  }

  void alignment() {
    auto it = f_.key_index.find(format::kAlignmentKey);
    if (it == f_.key_index.end()) return;
    const KeyValue& kv = f_.metadata[it->second];
    c_.set_where(kv.key);
    if (kv.value.type != ValueType::U32)
      c_.fail(kv.offset, "alignment must be a u32, found " + std::string(value_type_name(kv.value.type)));
    const auto a = std::get<std::uint64_t>(kv.value.data);
    if (a == 0) c_.fail(kv.offset, "alignment 0 is invalid");
    if (!std::has_single_bit(a)) c_.fail(kv.offset, "alignment " + std::to_string(a) + " is not a power of two");
    if (a > format::kMaxAlignment)
      c_.fail(kv.offset,
              "alignment " + std::to_string(a) + " exceeds the limit of " + std::to_string(format::kMaxAlignment));
    f_.alignment = a;
    c_.set_where({});
  }

  // Returns where the tensor's offset field starts, for errors found later.
  std::uint64_t tensor_info(std::uint64_t index) {
    const std::uint64_t at = c_.pos();
    c_.set_where("tensor #" + std::to_string(index));
    TensorInfo t{};
    t.name = c_.read_string("tensor name", format::kMaxTensorNameBytes);
    if (t.name.empty()) c_.fail(at, "empty tensor name");
    if (!valid_utf8(t.name)) c_.fail(at, "tensor name is not valid UTF-8");
    c_.set_where(t.name);
    if (auto it = f_.tensor_index.find(t.name); it != f_.tensor_index.end())
      c_.fail(at, "duplicate tensor name (first is tensor #" + std::to_string(it->second) + ")");

    const std::uint64_t dims_at = c_.pos();
    const auto n_dims = c_.read<std::uint32_t>("n_dims");
    if (n_dims > format::kMaxDims)
      c_.fail(dims_at, "n_dims " + std::to_string(n_dims) + " exceeds " + std::to_string(format::kMaxDims));
    t.n_dims = static_cast<int>(n_dims);
    std::uint64_t elements = 1;
    for (int d = 0; d < format::kMaxDims; ++d) t.ne[d] = 1;
    for (int d = 0; d < t.n_dims; ++d) {
      const std::uint64_t ne_at = c_.pos();
      const auto ne = c_.read<std::int64_t>("a dimension");
      if (ne == 0) c_.fail(ne_at, "dimension " + std::to_string(d) + " is zero");
      if (ne < 0) c_.fail(ne_at, "dimension " + std::to_string(d) + " is negative (" + std::to_string(ne) + ")");
      if (mul_overflows(elements, static_cast<std::uint64_t>(ne), &elements) ||
          elements > static_cast<std::uint64_t>(INT64_MAX))
        c_.fail(ne_at, "element count overflows at dimension " + std::to_string(d) + " (" + std::to_string(ne) + ")");
      t.ne[d] = ne;
    }

    const std::uint64_t type_at = c_.pos();
    const auto id = c_.read<std::uint32_t>("the tensor type");
    const kernels::DTypeInfo* info = kernels::dtype_info(id);
    // ggml has fewer than 64 type ids: a small unknown id is a format slm lacks, a big one is garbage.
    if (!info)
      c_.fail(type_at, "unknown tensor type " + std::to_string(id),
              id < 64 ? Error::Kind::Unsupported : Error::Kind::Format);
    if (!info->supported && !options_.allow_unsupported_types)
      c_.fail(type_at, "tensor type " + std::string(info->name) + " is not supported", Error::Kind::Unsupported);
    t.type = info->type;
    if (t.ne[0] % info->block_elems != 0)
      c_.fail(dims_at + 4, "row length " + std::to_string(t.ne[0]) + " is not a multiple of the " +
                               std::string(info->name) + " block size " + std::to_string(info->block_elems));
    std::uint64_t bytes = static_cast<std::uint64_t>(t.ne[0] / info->block_elems);
    bool overflow = mul_overflows(bytes, static_cast<std::uint64_t>(info->block_bytes), &bytes);
    for (int d = 1; d < format::kMaxDims; ++d)
      overflow = overflow || mul_overflows(bytes, static_cast<std::uint64_t>(t.ne[d]), &bytes);
    if (overflow) c_.fail(type_at, "tensor byte size overflows");
    t.n_bytes = bytes;

    const std::uint64_t offset_at = c_.pos();
    t.offset = c_.read<std::uint64_t>("the tensor offset");
    if (t.offset % f_.alignment != 0)
      c_.fail(offset_at, "offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                             std::to_string(f_.alignment));
    f_.tensor_index.emplace(t.name, f_.tensors.size());
    f_.tensors.push_back(std::move(t));
    return offset_at;
  }

  void data_layout(const std::vector<std::uint64_t>& offset_fields) {
    const std::uint64_t end_of_infos = c_.pos();
    // end_of_infos <= file size < 2^63, so rounding up cannot overflow.
    f_.data_offset = (end_of_infos + f_.alignment - 1) / f_.alignment * f_.alignment;
    const std::uint64_t size = c_.size();
    for (std::size_t i = 0; i < f_.tensors.size(); ++i) {
      const TensorInfo& t = f_.tensors[i];
      c_.set_where(t.name);
      std::uint64_t begin = 0, end = 0;
      if (add_overflows(f_.data_offset, t.offset, &begin) || add_overflows(begin, t.n_bytes, &end) || end > size)
        c_.fail(offset_fields[i], "tensor data (" + std::to_string(t.n_bytes) + " bytes at data offset " +
                                      std::to_string(t.offset) + ") runs past the end of the file (" +
                                      std::to_string(size) + " bytes, data section starts at " +
                                      std::to_string(f_.data_offset) + ")");
    }
    std::vector<std::size_t> order(f_.tensors.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return f_.tensors[a].offset < f_.tensors[b].offset; });
    for (std::size_t k = 1; k < order.size(); ++k) {
      const TensorInfo& prev = f_.tensors[order[k - 1]];
      const TensorInfo& cur = f_.tensors[order[k]];
      if (prev.offset + prev.n_bytes > cur.offset) {  // both end inside the file: no overflow
        const std::size_t later = std::max(order[k - 1], order[k]);
        const TensorInfo& other = later == order[k] ? prev : cur;
        c_.set_where(f_.tensors[later].name);
        c_.fail(offset_fields[later], "tensor data overlaps tensor '" + other.name + "'");
      }
    }
    c_.set_where({});
  }

  Contents& f_;
  Cursor c_;
  const OpenOptions& options_;
  std::uint64_t elements_left_;
};

}  // namespace

struct File::Impl : Contents {};

File::File(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
File::File(File&&) noexcept = default;
File& File::operator=(File&&) noexcept = default;
File::~File() = default;

File File::open(const std::filesystem::path& path, const OpenOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->path = path.string();
  impl->mapping = Mapping::open(path, options.use_mmap);
  Parser(*impl, options).parse();
  impl->mapping.release_prefix(impl->data_offset);  // everything before the tensor data is parsed
  return File(std::move(impl));
}

File File::from_bytes(std::vector<std::uint8_t> bytes, std::string name) {
  return from_bytes(std::move(bytes), std::move(name), OpenOptions{});
}

File File::from_bytes(std::vector<std::uint8_t> bytes, std::string name, const OpenOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->path = std::move(name);
  impl->mapping = Mapping::from_bytes(std::move(bytes));
  Parser(*impl, options).parse();
  return File(std::move(impl));
}

const std::string& File::path() const noexcept { return impl_->path; }
std::uint32_t File::version() const noexcept { return impl_->version; }
std::uint64_t File::alignment() const noexcept { return impl_->alignment; }
std::uint64_t File::data_offset() const noexcept { return impl_->data_offset; }
std::uint64_t File::file_size() const noexcept { return impl_->mapping.bytes().size(); }
const std::vector<KeyValue>& File::metadata() const noexcept { return impl_->metadata; }
const std::vector<TensorInfo>& File::tensors() const noexcept { return impl_->tensors; }

const KeyValue* File::find_kv(std::string_view key) const noexcept {
  auto it = impl_->key_index.find(key);
  return it == impl_->key_index.end() ? nullptr : &impl_->metadata[it->second];
}

const Value* File::find(std::string_view key) const noexcept {
  const KeyValue* kv = find_kv(key);
  return kv ? &kv->value : nullptr;
}

const TensorInfo* File::find_tensor(std::string_view name) const noexcept {
  auto it = impl_->tensor_index.find(name);
  return it == impl_->tensor_index.end() ? nullptr : &impl_->tensors[it->second];
}

std::span<const std::uint8_t> File::tensor_data(const TensorInfo& t) const noexcept {
  return impl_->mapping.bytes().subspan(impl_->data_offset + t.offset, t.n_bytes);
}

void File::copy(const std::uint8_t* from, std::size_t n, void* dst) const { impl_->mapping.copy(from, n, dst); }

void File::populate(std::span<const std::uint8_t> range) const noexcept { impl_->mapping.populate(range); }

}  // namespace slm::gguf
