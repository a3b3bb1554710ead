#include "args.hpp"

#include <charconv>

namespace slm::cli {

void ArgParser::option(std::vector<std::string> names, bool takes_value, std::string help) {
  opts_.push_back({std::move(names), takes_value, std::move(help), std::nullopt, false});
}

const ArgParser::Opt* ArgParser::find(std::string_view name) const {
  for (const auto& o : opts_)
    for (const auto& n : o.names)
      if (n == name) return &o;
  return nullptr;
}
ArgParser::Opt* ArgParser::find(std::string_view name) {
  return const_cast<Opt*>(static_cast<const ArgParser*>(this)->find(name));
}

void ArgParser::parse() {
  for (size_t i = 0; i < args_.size(); ++i) {
    const std::string& a = args_[i];
    if (a.size() < 2 || a[0] != '-' || a == "--") {
      positional_.push_back(a);
      continue;
    }
    std::string name = a, inline_value;
    bool has_inline = false;
    if (auto eq = a.find('='); eq != std::string::npos && a.rfind("--", 0) == 0) {
      name = a.substr(0, eq);
      inline_value = a.substr(eq + 1);
      has_inline = true;
    }
    Opt* o = find(name);
    if (!o) throw Error(Error::Kind::Argument, "unknown option '" + name + "' (see slm " + command_ + " --help)", {}, command_);
    o->seen = true;
    if (!o->takes_value) continue;
    if (has_inline) {
      o->value = inline_value;
    } else {
      if (i + 1 >= args_.size())
        throw Error(Error::Kind::Argument, "option '" + name + "' needs a value", {}, command_);
      o->value = args_[++i];
    }
  }
}

bool ArgParser::has(std::string_view name) const {
  const Opt* o = find(name);
  return o && o->seen;
}

std::optional<std::string> ArgParser::get(std::string_view name) const {
  const Opt* o = find(name);
  return o ? o->value : std::nullopt;
}

std::string ArgParser::get_or(std::string_view name, std::string fallback) const {
  auto v = get(name);
  return v ? *v : fallback;
}

std::int64_t ArgParser::get_int(std::string_view name, std::int64_t fallback) const {
  auto v = get(name);
  if (!v) return fallback;
  std::int64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size())
    throw Error(Error::Kind::Argument, "option '" + std::string(name) + "' expects an integer, got '" + *v + "'",
                {}, command_);
  return out;
}

double ArgParser::get_double(std::string_view name, double fallback) const {
  auto v = get(name);
  if (!v) return fallback;
  try {
    size_t used = 0;
    double d = std::stod(*v, &used);
    if (used == v->size()) return d;
  } catch (const std::exception&) {
  }
  throw Error(Error::Kind::Argument, "option '" + std::string(name) + "' expects a number, got '" + *v + "'", {},
              command_);
}

std::string ArgParser::usage() const {
  std::string s = "usage: slm " + command_ + " [options]\n";
  for (const auto& o : opts_) {
    std::string names;
    for (const auto& n : o.names) names += (names.empty() ? "" : ", ") + n;
    if (o.takes_value) names += " VALUE";
    s += "  " + names + std::string(names.size() < 28 ? 28 - names.size() : 1, ' ') + o.help + "\n";
  }
  return s;
}

}  // namespace slm::cli
