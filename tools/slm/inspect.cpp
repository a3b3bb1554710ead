// slm inspect FILE [--json]: a GGUF file's header, metadata, tensor table and totals.
//
// The output is a list of sections, each rendered as text or as one member of the JSON
// object; the last is the architecture card (model/card.hpp).
// Long arrays show their first kMaxItems items and a count; long strings are cut at
// kMaxStringBytes (on a UTF-8 boundary) with their full length given.

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <optional>
#include <string>

#include "args.hpp"
#include "card_args.hpp"
#include "card_json.hpp"
#include "commands.hpp"
#include "gguf/reader.hpp"
#include "json.hpp"
#include "kernels/kernels.hpp"

namespace slm::cli {
namespace {

using gguf::File;
using gguf::Value;
using gguf::ValueType;

constexpr std::size_t kMaxItems = 8;
constexpr std::size_t kMaxStringBytes = 80;

// The longest prefix of at most `max` bytes that does not split a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

std::string number_text(const Value& v) {
  char buf[64];
  std::to_chars_result r{};
  if (v.type == ValueType::F32)
    r = std::to_chars(buf, buf + sizeof buf, static_cast<float>(std::get<double>(v.data)));
  else if (v.type == ValueType::F64)
    r = std::to_chars(buf, buf + sizeof buf, std::get<double>(v.data));
  else if (const auto* u = std::get_if<std::uint64_t>(&v.data))
    r = std::to_chars(buf, buf + sizeof buf, *u);
  else
    r = std::to_chars(buf, buf + sizeof buf, std::get<std::int64_t>(v.data));
  return std::string(buf, r.ptr);
}

// A string as a one-line quoted literal: control bytes escaped, cut if long.
std::string quoted(const std::string& s) {
  const std::string_view shown = utf8_prefix(s, kMaxStringBytes);
  std::string out = "\"";
  for (char c : shown) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (const auto u = static_cast<unsigned char>(c); u < 0x20 || u == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", u);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  if (shown.size() < s.size()) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

std::string value_text(const Value& v) {
  switch (v.type) {
    case ValueType::String: return quoted(std::get<std::string>(v.data));
    case ValueType::Bool: return std::get<bool>(v.data) ? "true" : "false";
    case ValueType::Array: {
      const gguf::Array& a = std::get<gguf::Array>(v.data);
      std::string out = "[";
      const std::size_t shown = std::min(a.size(), kMaxItems);
      auto item = a.begin();
      for (std::size_t i = 0; i < shown; ++i, ++item) out += (i ? ", " : "") + value_text(*item);
      if (shown < a.size()) out += ", ... +" + std::to_string(a.size() - shown) + " more";
      return out + "]";
    }
    default: return number_text(v);
  }
}

std::string type_text(const Value& v) {
  if (v.type != ValueType::Array) return std::string(gguf::value_type_name(v.type));
  const auto& a = std::get<gguf::Array>(v.data);
  return std::string(gguf::value_type_name(a.elem_type())) + "[" + std::to_string(a.size()) + "]";
}

void json_value(JsonWriter& j, const Value& v) {
  switch (v.type) {
    case ValueType::String: {
      const auto& s = std::get<std::string>(v.data);
      j.value(utf8_prefix(s, kMaxStringBytes));
      return;
    }
    case ValueType::Bool: j.value(std::get<bool>(v.data)); return;
    case ValueType::F32: j.value(std::get<double>(v.data), /*single=*/true); return;
    case ValueType::F64: j.value(std::get<double>(v.data)); return;
    case ValueType::Array: {
      const auto& a = std::get<gguf::Array>(v.data);
      j.begin_array();
      auto item = a.begin();
      for (std::size_t i = 0; i < std::min(a.size(), kMaxItems); ++i, ++item) json_value(j, *item);
      j.end_array();
      return;
    }
    default:
      if (const auto* u = std::get_if<std::uint64_t>(&v.data))
        j.value(*u);
      else
        j.value(std::get<std::int64_t>(v.data));
  }
}

std::string shape_text(const gguf::TensorInfo& t) {
  std::string s = "[";
  for (int d = 0; d < t.n_dims; ++d) s += (d ? ", " : "") + std::to_string(t.ne[d]);
  return s + "]";
}

struct TypeTotal {
  std::uint64_t count = 0, bytes = 0, elements = 0;
  bool supported = true;  // slm can compute with this type
};

std::map<std::string, TypeTotal> totals_by_type(const File& f) {
  std::map<std::string, TypeTotal> out;
  for (const auto& t : f.tensors()) {
    auto& tt = out[std::string(kernels::dtype_name(t.type))];
    ++tt.count;
    tt.supported = kernels::dtype_info(t.type).supported;
    tt.bytes += t.n_bytes;
    tt.elements += static_cast<std::uint64_t>(t.n_elements());
  }
  return out;
}

std::uint64_t total_params(const File& f) {
  std::uint64_t n = 0;
  for (const auto& t : f.tensors()) n += static_cast<std::uint64_t>(t.n_elements());
  return n;
}

std::string human(std::uint64_t n, const char* unit) {
  const char* prefixes[] = {"", "K", "M", "G", "T"};
  double v = static_cast<double>(n);
  int p = 0;
  while (v >= 1000 && p < 4) v /= 1000, ++p;
  char buf[32];
  std::snprintf(buf, sizeof buf, p ? "%.2f %s%s" : "%.0f %s%s", v, prefixes[p], unit);
  return buf;
}

// ---- text sections ----------------------------------------------------------------------

void text_header(const File& f, std::string& o) {
  o += "file:        " + f.path() + "\n";
  o += "version:     " + std::to_string(f.version()) + "\n";
  o += "alignment:   " + std::to_string(f.alignment()) + "\n";
  o += "file size:   " + std::to_string(f.file_size()) + " bytes (" + human(f.file_size(), "B") + ")\n";
  o += "data offset: " + std::to_string(f.data_offset()) + "\n";
}

void text_metadata(const File& f, std::string& o) {
  o += "\nmetadata: " + std::to_string(f.metadata().size()) + " keys\n";
  std::size_t w = 0, tw = 0;
  for (const auto& kv : f.metadata()) w = std::max(w, kv.key.size()), tw = std::max(tw, type_text(kv.value).size());
  for (const auto& kv : f.metadata()) {
    const std::string t = type_text(kv.value);
    o += "  " + kv.key + std::string(w - kv.key.size() + 2, ' ') + t + std::string(tw - t.size() + 2, ' ') +
         value_text(kv.value) + "\n";
  }
}

void text_tensors(const File& f, std::string& o) {
  o += "\ntensors: " + std::to_string(f.tensors().size()) + " (offsets relative to the data section)\n";
  if (f.tensors().empty()) return;
  std::size_t nw = 4, sw = 5;
  for (const auto& t : f.tensors()) nw = std::max(nw, t.name.size()), sw = std::max(sw, shape_text(t).size());
  char line[512];
  std::snprintf(line, sizeof line, "  %-*s  %-5s  %-*s  %12s  %12s\n", static_cast<int>(nw), "name", "type",
                static_cast<int>(sw), "shape", "bytes", "offset");
  o += line;
  for (const auto& t : f.tensors()) {
    std::snprintf(line, sizeof line, "  %-*s  %-5s  %-*s  %12llu  %12llu\n", static_cast<int>(nw), t.name.c_str(),
                  std::string(kernels::dtype_name(t.type)).c_str(), static_cast<int>(sw), shape_text(t).c_str(),
                  static_cast<unsigned long long>(t.n_bytes), static_cast<unsigned long long>(t.offset));
    o += line;
  }
}

void text_totals(const File& f, std::string& o) {
  o += "\ntotals by type:\n";
  char line[256];
  for (const auto& [name, t] : totals_by_type(f)) {
    std::snprintf(line, sizeof line, "  %-5s  %5llu tensors  %14llu bytes  %14llu params%s\n", name.c_str(),
                  static_cast<unsigned long long>(t.count), static_cast<unsigned long long>(t.bytes),
                  static_cast<unsigned long long>(t.elements), t.supported ? "" : "  (not supported by slm)");
    o += line;
  }
  const std::uint64_t p = total_params(f);
  o += "total params: " + std::to_string(p) + " (" + human(p, "") + ")\n";
}

// ---- JSON sections ----------------------------------------------------------------------

void json_header(const File& f, JsonWriter& j) {
  j.member("file", f.path());
  j.member("version", static_cast<std::uint64_t>(f.version()));
  j.member("alignment", f.alignment());
  j.member("file_size", f.file_size());
  j.member("data_offset", f.data_offset());
}

void json_metadata(const File& f, JsonWriter& j) {
  j.key("metadata");
  j.begin_array();
  for (const auto& kv : f.metadata()) {
    j.begin_object();
    j.member("key", kv.key);
    j.member("type", std::string(gguf::value_type_name(kv.value.type)));
    if (kv.value.type == ValueType::Array) {
      const auto& a = std::get<gguf::Array>(kv.value.data);
      j.member("element_type", std::string(gguf::value_type_name(a.elem_type())));
      j.member("count", static_cast<std::uint64_t>(a.size()));
      j.member("truncated", a.size() > kMaxItems);
    } else if (kv.value.type == ValueType::String) {
      const auto& s = std::get<std::string>(kv.value.data);
      j.member("bytes", static_cast<std::uint64_t>(s.size()));
      j.member("truncated", s.size() > kMaxStringBytes);
    }
    j.key("value");
    json_value(j, kv.value);
    j.end_object();
  }
  j.end_array();
}

void json_tensors(const File& f, JsonWriter& j) {
  j.key("tensors");
  j.begin_array();
  for (const auto& t : f.tensors()) {
    j.begin_object();
    j.member("name", t.name);
    j.member("type", std::string(kernels::dtype_name(t.type)));
    j.key("shape");
    j.begin_array();
    for (int d = 0; d < t.n_dims; ++d) j.value(t.ne[d]);
    j.end_array();
    j.member("bytes", t.n_bytes);
    j.member("offset", t.offset);
    j.end_object();
  }
  j.end_array();
}

void json_totals(const File& f, JsonWriter& j) {
  j.key("totals_by_type");
  j.begin_object();
  for (const auto& [name, t] : totals_by_type(f)) {
    j.key(name);
    j.begin_object();
    j.member("tensors", t.count);
    j.member("bytes", t.bytes);
    j.member("params", t.elements);
    j.member("supported", t.supported);
    j.end_object();
  }
  j.end_object();
  j.member("tensor_count", static_cast<std::uint64_t>(f.tensors().size()));
  j.member("total_params", total_params(f));
}

// The architecture card, or why there is none (unknown family, metadata the engine refuses).
struct CardOrError {
  std::optional<model::ArchCard> card;
  std::string error;
};

CardOrError make_card(const File& f, const ArgParser& p) {
  try {
    // Cheap checks first, so a file without a card does not pay for the bandwidth probe.
    model::make_card(f, {});
    return {model::make_card(f, card_options(p, 0)), {}};
  } catch (const Error& e) {
    return {std::nullopt, e.what()};
  }
}

void text_card(const CardOrError& c, std::string& o) {
  o += "\n" + (c.card ? model::card_text(*c.card) : "architecture card: not available (" + c.error + ")\n");
}

void json_card(const CardOrError& c, JsonWriter& j) {
  j.key("architecture_card");
  if (c.card) {
    card_json(j, *c.card);
  } else {
    j.begin_object();
    j.member("error", c.error);
    j.end_object();
  }
}

std::string render(const File& f, bool json, const CardOrError& card) {
  std::string out;
  if (json) {
    JsonWriter j(out);
    j.begin_object();
    json_header(f, j);
    json_metadata(f, j);
    json_tensors(f, j);
    json_totals(f, j);
    json_card(card, j);
    j.end_object();
  } else {
    text_header(f, out);
    text_metadata(f, out);
    text_tensors(f, out);
    text_totals(f, out);
    text_card(card, out);
  }
  return out;
}

}  // namespace

int cmd_inspect(const Args& args) {
  ArgParser p("inspect", args);
  p.option({"--json"}, false, "print JSON instead of text");
  p.option({"--no-mmap"}, false, "read the file into memory instead of mapping it");
  p.option({"--system"}, false, "describe this CPU and the kernel level slm uses (no FILE)");
  p.option({"--families"}, false, "print the structure of every supported family as Markdown (no FILE)");
  declare_card_options(p);
  p.option({"-h", "--help"}, false, "show this help");
  p.parse();
  if (p.has("--help")) {
    std::fputs(
        ("slm inspect FILE [--json]: show a GGUF file's header, metadata, tensors, totals and architecture card\n" +
         p.usage()).c_str(),
        stdout);
    return 0;
  }
  if (p.has("--system")) {
    std::fputs(kernels::system_description().c_str(), stdout);
    return 0;
  }
  if (p.has("--families")) {
    std::fputs(model::families_markdown().c_str(), stdout);
    return 0;
  }
  if (p.positional().size() != 1) throw Error(Error::Kind::Argument, "expected one GGUF FILE (see slm inspect --help)");
  gguf::OpenOptions options;
  options.allow_unsupported_types = true;  // show what the file holds even if slm cannot run it
  options.use_mmap = !p.has("--no-mmap");
  const File f = File::open(p.positional()[0], options);
  const std::string out = render(f, p.has("--json"), make_card(f, p));
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace slm::cli
