#pragma once
// A small streaming JSON writer for the subcommands' --json output: indented, commas handled,
// strings escaped. Text that is not valid UTF-8 has each bad byte replaced by U+FFFD, so the
// output is always valid JSON; non-finite numbers become the strings "NaN", "Infinity" and
// "-Infinity" (JSON has no literals for them).

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace slm::cli {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  void key(std::string_view k) {
    separate();
    string_literal(k);
    out_ += ": ";
    after_key_ = true;
  }

  void value(std::string_view s) {
    separate();
    string_literal(s);
  }
  void value(const char* s) { value(std::string_view(s)); }
  void value(bool b) {
    separate();
    out_ += b ? "true" : "false";
  }
  void value(std::int64_t v) {
    separate();
    out_ += std::to_string(v);
  }
  void value(std::uint64_t v) {
    separate();
    out_ += std::to_string(v);
  }
  void value(int v) { value(static_cast<std::int64_t>(v)); }
  // `single`: print the shortest text that reads back as the same float (not double).
  void value(double v, bool single = false) {
    if (std::isnan(v)) return value("NaN");
    if (std::isinf(v)) return value(v > 0 ? "Infinity" : "-Infinity");
    separate();
    char buf[64];
    auto r =
        single ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v)) : std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
  }
  void null() {
    separate();
    out_ += "null";
  }

  template <class T>
  void member(std::string_view k, const T& v) {
    key(k);
    value(v);
  }
  // A float member; `single` as in value(double, bool).
  void member(std::string_view k, double v, bool single) {
    key(k);
    value(v, single);
  }

 private:
  void open(char c) {
    separate();
    out_ += c;
    first_.push_back(true);
  }
  void close(char c) {
    const bool empty = first_.back();
    first_.pop_back();
    if (!empty) newline();
    out_ += c;
    if (first_.empty()) out_ += '\n';
  }
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_ += ',';
    first_.back() = false;
    newline();
  }
  void newline() {
    out_ += '\n';
    out_.append(2 * first_.size(), ' ');
  }

  // Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not one.
  static std::size_t utf8_length(std::string_view s, std::size_t i) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n;
    std::uint32_t cp;
    if (b < 0x80) return 1;
    if ((b & 0xE0) == 0xC0)
      n = 2, cp = b & 0x1F;
    else if ((b & 0xF0) == 0xE0)
      n = 3, cp = b & 0x0F;
    else if ((b & 0xF8) == 0xF0)
      n = 4, cp = b & 0x07;
    else
      return 0;
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return 0;
      cp = cp << 6 | (c & 0x3F);
    }
    const std::uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
  }

  void string_literal(std::string_view s) {
    out_ += '"';
    for (std::size_t i = 0; i < s.size();) {
      const char c = s[i];
      const auto u = static_cast<unsigned char>(c);
      if (u >= 0x80) {
        const std::size_t n = utf8_length(s, i);
        if (n == 0) {
          out_ += "\\ufffd";
          ++i;
        } else {
          out_.append(s.substr(i, n));
          i += n;
        }
        continue;
      }
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default:
          if (u < 0x20 || u == 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", u);
            out_ += buf;
          } else {
            out_ += c;
          }
      }
      ++i;
    }
    out_ += '"';
  }

  std::string& out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace slm::cli
