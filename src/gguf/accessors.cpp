// Typed access to metadata: File::get<T> / get_optional<T>.
//
// Integers convert between integer types only when the stored value fits the requested type,
// so a u32 hyper-parameter may be read as int64_t and an i32 token id as uint32_t when it is
// non-negative. Floats come from f32 or f64 only; nothing converts between numbers, bools
// and strings.

#include <limits>
#include <optional>
#include <type_traits>

#include "gguf/reader.hpp"
#include "slm/error.hpp"

namespace slm::gguf {

namespace {

// The requested type, named as in messages.
template <class T>
constexpr const char* type_name() {
  if constexpr (std::is_same_v<T, bool>) {
    return "bool";
  } else if constexpr (std::is_same_v<T, std::uint8_t>) {
    return "u8";
  } else if constexpr (std::is_same_v<T, std::uint16_t>) {
    return "u16";
  } else if constexpr (std::is_same_v<T, std::uint32_t>) {
    return "u32";
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    return "u64";
  } else if constexpr (std::is_same_v<T, std::int8_t>) {
    return "i8";
  } else if constexpr (std::is_same_v<T, std::int16_t>) {
    return "i16";
  } else if constexpr (std::is_same_v<T, std::int32_t>) {
    return "i32";
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    return "i64";
  } else if constexpr (std::is_same_v<T, float>) {
    return "f32";
  } else if constexpr (std::is_same_v<T, double>) {
    return "f64";
  } else if constexpr (std::is_same_v<T, std::string>) {
    return "string";
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    return "array of strings";
  } else if constexpr (std::is_same_v<T, std::vector<float>>) {
    return "array of f32";
  } else if constexpr (std::is_same_v<T, std::vector<std::int32_t>>) {
    return "array of i32";
  } else if constexpr (std::is_same_v<T, std::vector<std::uint32_t>>) {
    return "array of u32";
  } else {
    static_assert(!sizeof(T), "unsupported type for File::get");
  }
}

bool is_integer(ValueType t) {
  switch (t) {
    case ValueType::U8:
    case ValueType::I8:
    case ValueType::U16:
    case ValueType::I16:
    case ValueType::U32:
    case ValueType::I32:
    case ValueType::U64:
    case ValueType::I64: return true;
    default: return false;
  }
}

// Why a conversion failed, for the error message; empty when it succeeded.
template <class T>
std::optional<T> convert(const Value& v, std::string& why) {
  if constexpr (std::is_same_v<T, bool>) {
    if (v.type == ValueType::Bool) return std::get<bool>(v.data);
  } else if constexpr (std::is_integral_v<T>) {
    if (is_integer(v.type)) {
      using L = std::numeric_limits<T>;
      if (const auto* u = std::get_if<std::uint64_t>(&v.data)) {
        if (*u <= static_cast<std::uint64_t>(L::max())) return static_cast<T>(*u);
        why = "value " + std::to_string(*u) + " does not fit in " + type_name<T>();
        return std::nullopt;
      }
      const std::int64_t s = std::get<std::int64_t>(v.data);
      const bool fits = std::is_signed_v<T>
                            ? (s >= static_cast<std::int64_t>(L::min()) && s <= static_cast<std::int64_t>(L::max()))
                            : (s >= 0 && static_cast<std::uint64_t>(s) <= static_cast<std::uint64_t>(L::max()));
      if (fits) return static_cast<T>(s);
      why = "value " + std::to_string(s) + " does not fit in " + type_name<T>();
      return std::nullopt;
    }
  } else if constexpr (std::is_floating_point_v<T>) {
    if (v.type == ValueType::F32 || v.type == ValueType::F64) return static_cast<T>(std::get<double>(v.data));
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (v.type == ValueType::String) return std::get<std::string>(v.data);
  } else {  // std::vector<E>
    using E = typename T::value_type;
    if (v.type == ValueType::Array) {
      const Array& a = std::get<Array>(v.data);
      // Stored exactly as requested: decode in bulk, nothing can fail.
      if constexpr (std::is_same_v<E, std::string>) {
        if (a.elem_type() == ValueType::String) return a.strings();
      } else {
        if (a.elem_type() == value_type_of<E>()) return a.template numbers<E>();
      }
      T out;
      out.reserve(a.size());
      std::size_t i = 0;
      for (const Value& item : a) {
        std::string inner;
        auto e = convert<E>(item, inner);
        if (!e) {
          why = "element " + std::to_string(i) + ": " +
                (inner.empty() ? "expected " + std::string(type_name<E>()) + ", found " +
                                     std::string(value_type_name(item.type))
                               : inner);
          return std::nullopt;
        }
        out.push_back(std::move(*e));
        ++i;
      }
      return out;
    }
  }
  return std::nullopt;
}

std::string describe(const Value& v) {
  if (v.type != ValueType::Array) return std::string(value_type_name(v.type));
  return "array of " + std::string(value_type_name(std::get<Array>(v.data).elem_type()));
}

}  // namespace

template <class T>
std::optional<T> File::get_optional(std::string_view key) const {
  const KeyValue* kv = find_kv(key);
  if (!kv) return std::nullopt;
  std::string why;
  auto out = convert<T>(kv->value, why);
  if (!out) {
    if (why.empty()) why = std::string("expected ") + type_name<T>() + ", found " + describe(kv->value);
    throw Error(Error::Kind::Format, why, path(), kv->key, kv->offset);
  }
  return out;
}

template <class T>
T File::get(std::string_view key) const {
  auto v = get_optional<T>(key);
  if (!v) throw Error(Error::Kind::Format, "required metadata key is missing", path(), std::string(key));
  return std::move(*v);
}

#define SLM_GGUF_INSTANTIATE(T)                    \
  template T File::get<T>(std::string_view) const; \
  template std::optional<T> File::get_optional<T>(std::string_view) const;
SLM_GGUF_INSTANTIATE(bool)
SLM_GGUF_INSTANTIATE(std::uint8_t)
SLM_GGUF_INSTANTIATE(std::uint16_t)
SLM_GGUF_INSTANTIATE(std::uint32_t)
SLM_GGUF_INSTANTIATE(std::uint64_t)
SLM_GGUF_INSTANTIATE(std::int8_t)
SLM_GGUF_INSTANTIATE(std::int16_t)
SLM_GGUF_INSTANTIATE(std::int32_t)
SLM_GGUF_INSTANTIATE(std::int64_t)
SLM_GGUF_INSTANTIATE(float)
SLM_GGUF_INSTANTIATE(double)
SLM_GGUF_INSTANTIATE(std::string)
SLM_GGUF_INSTANTIATE(std::vector<std::string>)
SLM_GGUF_INSTANTIATE(std::vector<float>)
SLM_GGUF_INSTANTIATE(std::vector<std::int32_t>)
SLM_GGUF_INSTANTIATE(std::vector<std::uint32_t>)
#undef SLM_GGUF_INSTANTIATE

}  // namespace slm::gguf
