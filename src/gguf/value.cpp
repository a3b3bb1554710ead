// The GGUF wire encoding of metadata values (format: gguf/format.hpp), used by the reader,
// the writer and Array.
//
// Decoding trusts its input: it only ever sees bytes that the reader validated (or that
// encode_value produced), so it does no bounds or range checks of its own.

#include "gguf/value.hpp"

#include <bit>

#include "slm/error.hpp"

namespace slm::gguf {

static_assert(std::endian::native == std::endian::little, "GGUF values are encoded little-endian");

std::string_view value_type_name(ValueType t) noexcept {
  switch (t) {
    case ValueType::U8: return "u8";
    case ValueType::I8: return "i8";
    case ValueType::U16: return "u16";
    case ValueType::I16: return "i16";
    case ValueType::U32: return "u32";
    case ValueType::I32: return "i32";
    case ValueType::F32: return "f32";
    case ValueType::Bool: return "bool";
    case ValueType::String: return "string";
    case ValueType::Array: return "array";
    case ValueType::U64: return "u64";
    case ValueType::I64: return "i64";
    case ValueType::F64: return "f64";
  }
  return "unknown";
}

namespace {

template <class T>
void put(std::vector<std::uint8_t>& out, T v) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
  out.insert(out.end(), p, p + sizeof(T));
}

template <class T>
T load(const std::uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Where the encoding of one value of type `t` starting at `p` ends.
const std::uint8_t* skip(ValueType t, const std::uint8_t* p) {
  if (const std::size_t n = value_fixed_size(t)) return p + n;
  if (t == ValueType::String) return p + 8 + load<std::uint64_t>(p);
  const auto elem = static_cast<ValueType>(load<std::uint32_t>(p));
  const auto count = load<std::uint64_t>(p + 4);
  p += 12;
  if (const std::size_t n = value_fixed_size(elem)) return p + count * n;
  for (std::uint64_t i = 0; i < count; ++i) p = skip(elem, p);
  return p;
}

[[noreturn]] void bad_argument(std::string message) { throw Error(Error::Kind::Argument, std::move(message)); }

}  // namespace

std::size_t value_fixed_size(ValueType t) noexcept {
  switch (t) {
    case ValueType::U8:
    case ValueType::I8:
    case ValueType::Bool: return 1;
    case ValueType::U16:
    case ValueType::I16: return 2;
    case ValueType::U32:
    case ValueType::I32:
    case ValueType::F32: return 4;
    case ValueType::U64:
    case ValueType::I64:
    case ValueType::F64: return 8;
    default: return 0;
  }
}

void encode_value(const Value& v, std::vector<std::uint8_t>& out) {
  auto u = [&] { return std::get<std::uint64_t>(v.data); };
  auto s = [&] { return std::get<std::int64_t>(v.data); };
  try {
    switch (v.type) {
      case ValueType::U8: return put(out, static_cast<std::uint8_t>(u()));
      case ValueType::I8: return put(out, static_cast<std::int8_t>(s()));
      case ValueType::U16: return put(out, static_cast<std::uint16_t>(u()));
      case ValueType::I16: return put(out, static_cast<std::int16_t>(s()));
      case ValueType::U32: return put(out, static_cast<std::uint32_t>(u()));
      case ValueType::I32: return put(out, static_cast<std::int32_t>(s()));
      case ValueType::U64: return put(out, u());
      case ValueType::I64: return put(out, s());
      case ValueType::F32: return put(out, static_cast<float>(std::get<double>(v.data)));
      case ValueType::F64: return put(out, std::get<double>(v.data));
      case ValueType::Bool: return put(out, static_cast<std::uint8_t>(std::get<bool>(v.data) ? 1 : 0));
      case ValueType::String: {
        const std::string& str = std::get<std::string>(v.data);
        put<std::uint64_t>(out, str.size());
        out.insert(out.end(), str.begin(), str.end());
        return;
      }
      case ValueType::Array: {
        const Array& a = std::get<Array>(v.data);
        put(out, static_cast<std::uint32_t>(a.elem_type()));
        put<std::uint64_t>(out, a.size());
        out.insert(out.end(), a.encoded().begin(), a.encoded().end());
        return;
      }
    }
  } catch (const std::bad_variant_access&) {
    bad_argument("value of type " + std::string(value_type_name(v.type)) + " holds the wrong representation");
  }
  bad_argument("unknown value type " + std::to_string(static_cast<std::uint32_t>(v.type)));
}

Value decode_value(ValueType type, std::span<const std::uint8_t> wire) {
  const std::uint8_t* p = wire.data();
  switch (type) {
    case ValueType::U8: return Value::u8(load<std::uint8_t>(p));
    case ValueType::I8: return Value::i8(load<std::int8_t>(p));
    case ValueType::U16: return Value::u16(load<std::uint16_t>(p));
    case ValueType::I16: return Value::i16(load<std::int16_t>(p));
    case ValueType::U32: return Value::u32(load<std::uint32_t>(p));
    case ValueType::I32: return Value::i32(load<std::int32_t>(p));
    case ValueType::U64: return Value::u64(load<std::uint64_t>(p));
    case ValueType::I64: return Value::i64(load<std::int64_t>(p));
    case ValueType::F32: return Value::f32(load<float>(p));
    case ValueType::F64: return Value::f64(load<double>(p));
    case ValueType::Bool: return Value::boolean(p[0] != 0);
    case ValueType::String:
      return Value::string(std::string(reinterpret_cast<const char*>(p + 8), load<std::uint64_t>(p)));
    case ValueType::Array: {
      const auto elem = static_cast<ValueType>(load<std::uint32_t>(p));
      const auto count = static_cast<std::size_t>(load<std::uint64_t>(p + 4));
      return {ValueType::Array, Array(elem, count, std::vector<std::uint8_t>(p + 12, wire.data() + wire.size()))};
    }
  }
  return {};  // unreachable for a validated type
}

Array::Array(ValueType elem, const std::vector<Value>& items) : elem_type_(elem), size_(items.size()) {
  for (const Value& item : items) {
    if (item.type != elem)
      bad_argument("array of " + std::string(value_type_name(elem)) + " holds a " +
                   std::string(value_type_name(item.type)));
    encode_value(item, bytes_);
  }
}

void Array::require(ValueType t) const {
  if (elem_type_ != t)
    bad_argument("expected an array of " + std::string(value_type_name(t)) + ", found an array of " +
                 std::string(value_type_name(elem_type_)));
}

std::vector<std::string> Array::strings() const {
  const std::vector<std::string_view> views = string_views();
  return {views.begin(), views.end()};
}

std::vector<std::string_view> Array::string_views() const {
  require(ValueType::String);
  std::vector<std::string_view> out;
  out.reserve(size_);
  for (const std::uint8_t* p = bytes_.data(); out.size() < size_;) {
    const auto len = static_cast<std::size_t>(load<std::uint64_t>(p));
    out.emplace_back(reinterpret_cast<const char*>(p + 8), len);
    p += 8 + len;
  }
  return out;
}

Value Array::Iterator::operator*() const { return decode_value(elem_, {at_, skip(elem_, at_)}); }

Array::Iterator& Array::Iterator::operator++() {
  at_ = skip(elem_, at_);
  return *this;
}

}  // namespace slm::gguf
