#pragma once
// A minimal JSON reader for test data (case.json files): enough of RFC 8259 for objects,
// arrays, strings (with \u escapes, surrogate pairs), numbers, true/false/null.
// Throws std::runtime_error with the byte offset on malformed input. Test-only.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace slm::test {

class Json {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };

  static Json parse(std::string_view text);
  static Json parse_file(const std::filesystem::path& path);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool has(const std::string& key) const;
  const Json& operator[](const std::string& key) const;  // throws if absent
  const Json& operator[](std::size_t i) const;
  std::size_t size() const;  // array elements or object members

  bool as_bool() const;
  double as_number() const;
  std::int64_t as_int() const;
  const std::string& as_string() const;
  std::vector<std::int32_t> as_int32s() const;  // an array of integers
  std::vector<float> as_floats() const;        // an array of numbers

 private:
  friend class JsonParser;
  Type type_ = Type::Null;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<Json> array_;
  std::map<std::string, Json> object_;
};

}  // namespace slm::test
