#include "support/json.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace slm::test {

class JsonParser {
 public:
  explicit JsonParser(std::string_view s) : s_(s) {}

  Json document() {
    Json v = value();
    skip_ws();
    if (i_ != s_.size()) fail("trailing characters");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("json: " + what + " at byte " + std::to_string(i_));
  }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
  }
  char peek() {
    skip_ws();
    if (i_ >= s_.size()) fail("unexpected end");
    return s_[i_];
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  bool literal(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }

  Json value() {
    Json v;
    const char c = peek();
    if (c == '{') {
      v.type_ = Json::Type::Object;
      ++i_;
      if (peek() == '}') { ++i_; return v; }
      for (;;) {
        if (peek() != '"') fail("expected a key");
        std::string key = string();
        expect(':');
        v.object_[key] = value();
        if (peek() == ',') { ++i_; continue; }
        expect('}');
        return v;
      }
    }
    if (c == '[') {
      v.type_ = Json::Type::Array;
      ++i_;
      if (peek() == ']') { ++i_; return v; }
      for (;;) {
        v.array_.push_back(value());
        if (peek() == ',') { ++i_; continue; }
        expect(']');
        return v;
      }
    }
    if (c == '"') {
      v.type_ = Json::Type::String;
      v.string_ = string();
      return v;
    }
    if (literal("true")) { v.type_ = Json::Type::Bool; v.bool_ = true; return v; }
    if (literal("false")) { v.type_ = Json::Type::Bool; return v; }
    if (literal("null")) return v;
    // number
    const std::size_t start = i_;
    while (i_ < s_.size() && std::string_view("+-0123456789.eE").find(s_[i_]) != std::string_view::npos) ++i_;
    if (start == i_) fail("unexpected character");
    const std::string num(s_.substr(start, i_ - start));
    char* end = nullptr;
    v.number_ = std::strtod(num.c_str(), &end);
    if (end != num.c_str() + num.size()) fail("bad number");
    v.type_ = Json::Type::Number;
    return v;
  }

  unsigned hex4() {
    if (i_ + 4 > s_.size()) fail("short \\u escape");
    unsigned u = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = s_[i_++];
      u <<= 4;
      if (h >= '0' && h <= '9') u |= unsigned(h - '0');
      else if (h >= 'a' && h <= 'f') u |= unsigned(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') u |= unsigned(h - 'A' + 10);
      else fail("bad hex digit");
    }
    return u;
  }

  static void utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }

  std::string string() {
    expect('"');
    std::string out;
    for (;;) {
      if (i_ >= s_.size()) fail("unterminated string");
      const char c = s_[i_++];
      if (c == '"') return out;
      if (c != '\\') { out += c; continue; }
      if (i_ >= s_.size()) fail("unterminated escape");
      const char e = s_[i_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(i_, 2) == "\\u") {
            i_ += 2;
            const unsigned lo = hex4();
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          utf8(out, cp);
          break;
        }
        default: fail("bad escape");
      }
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

Json Json::parse(std::string_view text) { return JsonParser(text).document(); }

Json Json::parse_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("json: cannot open " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str());
}

bool Json::has(const std::string& key) const { return type_ == Type::Object && object_.count(key) != 0; }

const Json& Json::operator[](const std::string& key) const {
  auto it = object_.find(key);
  if (type_ != Type::Object || it == object_.end()) throw std::runtime_error("json: no key '" + key + "'");
  return it->second;
}
const Json& Json::operator[](std::size_t i) const {
  if (type_ != Type::Array || i >= array_.size()) throw std::runtime_error("json: index out of range");
  return array_[i];
}
std::size_t Json::size() const { return type_ == Type::Array ? array_.size() : object_.size(); }

bool Json::as_bool() const {
  if (type_ != Type::Bool) throw std::runtime_error("json: not a bool");
  return bool_;
}
double Json::as_number() const {
  if (type_ != Type::Number) throw std::runtime_error("json: not a number");
  return number_;
}
std::int64_t Json::as_int() const {
  const double d = as_number();
  if (d != std::floor(d)) throw std::runtime_error("json: not an integer");
  return std::int64_t(d);
}
const std::string& Json::as_string() const {
  if (type_ != Type::String) throw std::runtime_error("json: not a string");
  return string_;
}
std::vector<std::int32_t> Json::as_int32s() const {
  std::vector<std::int32_t> v;
  for (std::size_t i = 0; i < size(); ++i) v.push_back(std::int32_t((*this)[i].as_int()));
  return v;
}
std::vector<float> Json::as_floats() const {
  std::vector<float> v;
  for (std::size_t i = 0; i < size(); ++i) v.push_back(float((*this)[i].as_number()));
  return v;
}

}  // namespace slm::test
