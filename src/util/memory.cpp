// Memory limits: /proc/meminfo and the up-front size checks (memory.hpp).
#include "util/memory.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "slm/error.hpp"

namespace slm::util {

std::uint64_t available_memory_bytes() noexcept {
  try {
    std::ifstream in("/proc/meminfo");
    if (!in) return 0;
    std::uint64_t available = 0, swap_free = 0;
    bool found = false;
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ss(line);
      std::string key;
      std::uint64_t kib = 0;
      if (!(ss >> key >> kib)) continue;
      if (key == "MemAvailable:") available = kib * 1024, found = true;
      if (key == "SwapFree:") swap_free = kib * 1024;
    }
    return found ? available + swap_free : 0;
  } catch (...) {
    return 0;
  }
}

void check_memory(std::uint64_t need, std::uint64_t cap, const std::string& what, const std::string& cap_name,
                  const std::string& file) {
  const std::uint64_t limit = cap != 0 ? cap : available_memory_bytes();
  if (limit == 0 || need <= limit) return;
  const std::string source = cap != 0 ? "the cap " + cap_name : "available memory (MemAvailable + SwapFree)";
  throw Error(Error::Kind::Resource,
              what + " needs " + std::to_string(need) + " bytes, more than " + source + ": " + std::to_string(limit) +
                  " bytes",
              file);
}

MappedResidency mapped_residency(std::istream& smaps, const std::string& path) {
  MappedResidency r;
  bool in_file = false;
  std::string line;
  while (std::getline(smaps, line)) {
    std::istringstream ss(line);
    std::string first;
    ss >> first;
    if (first.empty()) continue;
    if (first.back() != ':') {  // a mapping's header: range perms offset dev inode [path]
      std::string perms, offset, dev, inode;
      ss >> perms >> offset >> dev >> inode;
      std::string rest;
      std::getline(ss, rest);
      const auto b = rest.find_first_not_of(' ');
      in_file = b != std::string::npos && rest.substr(b) == path;
      continue;
    }
    if (!in_file) continue;
    std::uint64_t kib = 0;
    if (!(ss >> kib)) continue;
    if (first == "Rss:") r.resident += kib * 1024;
    if (first == "FilePmdMapped:") r.huge += kib * 1024;
  }
  return r;
}

MappedResidency mapped_residency(const std::string& path) noexcept {
  try {
    std::ifstream in("/proc/self/smaps");
    if (!in) return {};
    std::error_code ec;
    const auto canonical = std::filesystem::canonical(path, ec);
    return mapped_residency(in, ec ? path : canonical.string());
  } catch (...) {
    return {};
  }
}

}  // namespace slm::util
