#pragma once
// GGUF metadata values: the 13 value types of the format, arrays included (arrays may nest).
//
// An Array keeps its elements in their GGUF wire encoding (gguf/format.hpp), one byte buffer
// for the whole array, and decodes elements when they are read. A vocabulary of 256k tokens
// then costs about its encoded size (~4 MB) instead of one ~48-byte Value per element.
// The encoding and decoding of values live in one place, value.cpp, for the reader, the
// writer and Array alike.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace slm::gguf {

enum class ValueType : std::uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7,
  String = 8, Array = 9, U64 = 10, I64 = 11, F64 = 12,
};
std::string_view value_type_name(ValueType t) noexcept;
// The encoded size of a scalar type in bytes; 0 for strings and arrays (variable length).
std::size_t value_fixed_size(ValueType t) noexcept;

// The value type whose encoding is exactly a T (little-endian scalar), for typed bulk access.
template <class T>
constexpr ValueType value_type_of() {
  if constexpr (std::is_same_v<T, std::uint8_t>) return ValueType::U8;
  else if constexpr (std::is_same_v<T, std::int8_t>) return ValueType::I8;
  else if constexpr (std::is_same_v<T, std::uint16_t>) return ValueType::U16;
  else if constexpr (std::is_same_v<T, std::int16_t>) return ValueType::I16;
  else if constexpr (std::is_same_v<T, std::uint32_t>) return ValueType::U32;
  else if constexpr (std::is_same_v<T, std::int32_t>) return ValueType::I32;
  else if constexpr (std::is_same_v<T, std::uint64_t>) return ValueType::U64;
  else if constexpr (std::is_same_v<T, std::int64_t>) return ValueType::I64;
  else if constexpr (std::is_same_v<T, float>) return ValueType::F32;
  else if constexpr (std::is_same_v<T, double>) return ValueType::F64;
  else static_assert(!sizeof(T), "no GGUF value type is encoded as this type");
}

struct Value;

class Array {
 public:
  class Iterator;

  Array() = default;  // an empty array of u8
  // Encodes `items`; slm::Error (Argument) if an item's type is not `elem` or an item's
  // representation does not match its type.
  Array(ValueType elem, const std::vector<Value>& items);

  ValueType elem_type() const noexcept { return elem_type_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  // The elements' encoding, back to back (what follows the element type and count on disk).
  std::span<const std::uint8_t> encoded() const noexcept { return bytes_; }

  // Each element decoded as a Value: `for (const Value& v : array)`.
  Iterator begin() const noexcept;
  Iterator end() const noexcept;

  // Typed bulk access when the element type is exactly T's (slm::Error Argument otherwise).
  template <class T>
  std::vector<T> numbers() const;
  std::vector<std::string> strings() const;
  // The strings as views into this array (valid while it lives).
  std::vector<std::string_view> string_views() const;

 private:
  friend Value decode_value(ValueType type, std::span<const std::uint8_t> wire);
  Array(ValueType elem, std::size_t size, std::vector<std::uint8_t> bytes)
      : elem_type_(elem), size_(size), bytes_(std::move(bytes)) {}
  void require(ValueType t) const;

  ValueType elem_type_ = ValueType::U8;
  std::size_t size_ = 0;
  std::vector<std::uint8_t> bytes_;
};

// One metadata value. Integers keep their exact stored type; the typed accessors convert
// between integer types only when the value fits.
struct Value {
  ValueType type = ValueType::U8;
  std::variant<std::uint64_t, std::int64_t, double, bool, std::string, Array> data;

  static Value u8(std::uint8_t v) { return {ValueType::U8, std::uint64_t{v}}; }
  static Value i8(std::int8_t v) { return {ValueType::I8, std::int64_t{v}}; }
  static Value u16(std::uint16_t v) { return {ValueType::U16, std::uint64_t{v}}; }
  static Value i16(std::int16_t v) { return {ValueType::I16, std::int64_t{v}}; }
  static Value u32(std::uint32_t v) { return {ValueType::U32, std::uint64_t{v}}; }
  static Value i32(std::int32_t v) { return {ValueType::I32, std::int64_t{v}}; }
  static Value u64(std::uint64_t v) { return {ValueType::U64, v}; }
  static Value i64(std::int64_t v) { return {ValueType::I64, v}; }
  static Value f32(float v) { return {ValueType::F32, double{v}}; }
  static Value f64(double v) { return {ValueType::F64, v}; }
  static Value boolean(bool v) { return {ValueType::Bool, v}; }
  static Value string(std::string v) { return {ValueType::String, std::move(v)}; }
  // slm::Error (Argument) if an item's type is not `elem`.
  static Value array(ValueType elem, const std::vector<Value>& items) { return {ValueType::Array, Array(elem, items)}; }
};

// Appends v's wire encoding (without the type field) to `out`. slm::Error (Argument) if v's
// representation does not match v.type (e.g. a U8 holding a string).
void encode_value(const Value& v, std::vector<std::uint8_t>& out);
// Decodes one value of `type` from `wire`, which must be exactly one encoding that the reader
// has validated (bools 0/1, lengths and counts within the bytes): nothing is checked here.
// An array's elements are copied, so the Value does not refer to `wire` afterwards.
Value decode_value(ValueType type, std::span<const std::uint8_t> wire);

// An input iterator over an Array's elements, decoding each as it is read.
class Array::Iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using iterator_concept = std::forward_iterator_tag;
  using value_type = Value;
  using difference_type = std::ptrdiff_t;
  using reference = Value;  // decoded on the fly: a Value, not a reference into the array
  using pointer = void;

  Iterator() = default;
  Value operator*() const;
  Iterator& operator++();
  Iterator operator++(int) {
    Iterator old = *this;
    ++*this;
    return old;
  }
  friend bool operator==(const Iterator& a, const Iterator& b) noexcept { return a.at_ == b.at_; }

 private:
  friend class Array;
  Iterator(ValueType elem, const std::uint8_t* at) : elem_(elem), at_(at) {}
  ValueType elem_ = ValueType::U8;
  const std::uint8_t* at_ = nullptr;
};

inline Array::Iterator Array::begin() const noexcept { return {elem_type_, bytes_.data()}; }
inline Array::Iterator Array::end() const noexcept { return {elem_type_, bytes_.data() + bytes_.size()}; }

template <class T>
std::vector<T> Array::numbers() const {
  require(value_type_of<T>());
  // The encoding of such an array is its elements' little-endian bytes back to back.
  std::vector<T> out(size_);
  if (size_ != 0) std::memcpy(out.data(), bytes_.data(), size_ * sizeof(T));
  return out;
}

}  // namespace slm::gguf
