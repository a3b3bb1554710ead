// gguf::Mapping::release_prefix: a mapped file gives the pages of a parsed prefix back to the
// page cache (this process's resident set shrinks, /proc/self/smaps) and still reads the same
// bytes there afterwards; a file read into memory keeps its bytes.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "gguf/mapping.hpp"

namespace fs = std::filesystem;
using slm::gguf::Mapping;

namespace {

constexpr std::size_t kFileBytes = 4u << 20;

struct TempFile {
  fs::path path;
  std::vector<std::uint8_t> bytes;
  TempFile() : path(fs::temp_directory_path() / ("slm_mapping_test_" + std::to_string(::getpid()))), bytes(kFileBytes) {
    std::mt19937 rng(7);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
  ~TempFile() { fs::remove(path); }
};

// Resident KiB of the mapping that starts at `addr`, from /proc/self/smaps; -1 if not found.
long resident_kib(const void* addr) {
  std::ifstream smaps("/proc/self/smaps");
  char want[32];
  std::snprintf(want, sizeof want, "%lx-", reinterpret_cast<unsigned long>(addr));
  bool in = false;
  for (std::string line; std::getline(smaps, line);) {
    if (line.rfind(want, 0) == 0) in = true;
    else if (in && line.rfind("Rss:", 0) == 0) return std::stol(line.substr(4));
  }
  return -1;
}

// Reads a byte of every 512 (volatile: the reads must happen).
void touch(std::span<const std::uint8_t> b) {
  const volatile std::uint8_t* p = b.data();
  for (std::size_t i = 0; i < b.size(); i += 512) (void)p[i];
}

TEST(Mapping, ReleasedPrefixOfAMappedFileLeavesTheResidentSetAndReadsTheSameBytes) {
  const TempFile f;
  const Mapping m = Mapping::open(f.path, /*use_mmap=*/true);
  ASSERT_EQ(m.bytes().size(), kFileBytes);
  touch(m.bytes());
  const long before = resident_kib(m.bytes().data());
  ASSERT_GE(before, long(kFileBytes / 1024)) << "the whole mapping was read";
  m.release_prefix(kFileBytes / 2 + 100);  // rounded down to whole pages
  const long after = resident_kib(m.bytes().data());
  EXPECT_LE(after, before - long(kFileBytes / 2 / 1024));
  EXPECT_GE(after, long(kFileBytes / 2 / 1024) - 4) << "only the prefix is released";
  EXPECT_TRUE(std::equal(f.bytes.begin(), f.bytes.end(), m.bytes().begin(), m.bytes().end()));
}

TEST(Mapping, ReleasingAPrefixOfAFileReadIntoMemoryKeepsItsBytes) {
  const TempFile f;
  const Mapping m = Mapping::open(f.path, /*use_mmap=*/false);
  m.release_prefix(kFileBytes);
  EXPECT_TRUE(std::equal(f.bytes.begin(), f.bytes.end(), m.bytes().begin(), m.bytes().end()));
  const Mapping owned = Mapping::from_bytes(f.bytes);
  owned.release_prefix(kFileBytes);
  EXPECT_TRUE(std::equal(f.bytes.begin(), f.bytes.end(), owned.bytes().begin(), owned.bytes().end()));
}

}  // namespace
