#pragma once
// A small option parser shared by the subcommands: "--name value", "-n value", "--flag".
// Unknown options and missing or malformed values are slm::Error (Kind::Argument).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "slm/error.hpp"

namespace slm::cli {

class ArgParser {
 public:
  ArgParser(std::string command, const std::vector<std::string>& args) : command_(std::move(command)), args_(args) {}

  // Declare an option before parse(): names like {"-m", "--model"}; takes_value false = flag.
  void option(std::vector<std::string> names, bool takes_value, std::string help);
  // Parses; leftover non-option words become positional(). Throws on unknown options.
  void parse();

  bool has(std::string_view name) const;
  std::optional<std::string> get(std::string_view name) const;
  std::string get_or(std::string_view name, std::string fallback) const;
  std::int64_t get_int(std::string_view name, std::int64_t fallback) const;
  double get_double(std::string_view name, double fallback) const;
  const std::vector<std::string>& positional() const { return positional_; }
  std::string usage() const;

 private:
  struct Opt {
    std::vector<std::string> names;
    bool takes_value;
    std::string help;
    std::optional<std::string> value;
    bool seen = false;
  };
  const Opt* find(std::string_view name) const;
  Opt* find(std::string_view name);
  std::string command_;
  std::vector<std::string> args_;
  std::vector<Opt> opts_;
  std::vector<std::string> positional_;
};

}  // namespace slm::cli
