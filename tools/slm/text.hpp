#pragma once
// Small text helpers shared by the subcommands' tables and reports.

#include <cstdio>
#include <string>

namespace slm::cli {

// One number formatted with a printf format ("%.2f").
inline std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// The last component of a path ("models/x.gguf" -> "x.gguf").
inline std::string file_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace slm::cli
