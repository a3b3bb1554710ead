#pragma once
// GGUF metadata values: the 13 value types of the format, arrays included (arrays may nest).

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace slm::gguf {

enum class ValueType : std::uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7,
  String = 8, Array = 9, U64 = 10, I64 = 11, F64 = 12,
};
std::string_view value_type_name(ValueType t) noexcept;

struct Value;
struct Array {
  ValueType elem_type = ValueType::U8;
  std::vector<Value> items;
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
  static Value array(ValueType elem, std::vector<Value> items) {
    return {ValueType::Array, Array{elem, std::move(items)}};
  }
};

}  // namespace slm::gguf
