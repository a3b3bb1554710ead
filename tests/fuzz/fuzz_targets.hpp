#pragma once
// The fuzz targets' entry functions and the helpers they share.
//
// Each target is a plain function taking arbitrary bytes. It must return normally for every
// input: slm::Error is the library's defined way to refuse input and is caught; anything else
// (another exception, a crash, a sanitizer report, a broken invariant) is a bug. The same
// functions are linked into libFuzzer binaries (SLM_FUZZ=ON, one per target, with
// SLM_FUZZ_LIBFUZZER defined) and into fuzz_replay_test, which runs them on the committed
// corpus and on every file in tests/fuzz/regressions/<target>/ in the normal test suite.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "slm/tokenizer.hpp"

namespace slm::fuzz {

using Entry = int (*)(const std::uint8_t* data, std::size_t size);

int gguf_file(const std::uint8_t* data, std::size_t size);
int gguf_metadata(const std::uint8_t* data, std::size_t size);
int model_load(const std::uint8_t* data, std::size_t size);
int tokenizer_encode(const std::uint8_t* data, std::size_t size);
int tokenizer_decode(const std::uint8_t* data, std::size_t size);

struct Target {
  const char* name;
  Entry entry;
};
inline constexpr Target kTargets[] = {
    {"gguf_file", gguf_file},           {"gguf_metadata", gguf_metadata},
    {"model_load", model_load},         {"tokenizer_encode", tokenizer_encode},
    {"tokenizer_decode", tokenizer_decode},
};

// tests/data (SLM_TEST_DATA_DIR at build time).
std::filesystem::path data_dir();

// The tokenizers the tokenizer targets use: the four vocabulary files of tests/data/vocab and
// the tiny golden models' tokenizers. Loaded once (the first call), then shared read-only.
const std::vector<Tokenizer>& tokenizers();

// A Linux memfd holding `bytes`, reachable by path (/proc/self/fd/N) so that path-based APIs
// (Model::load) can be fuzzed without touching the disk. Closed by the destructor.
class MemFile {
 public:
  explicit MemFile(std::span<const std::uint8_t> bytes);
  ~MemFile();
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  int fd_;
  std::filesystem::path path_;
};

// Throws std::logic_error (reported by libFuzzer as a crash) when `ok` is false.
void check(bool ok, const std::string& what);

}  // namespace slm::fuzz

// libFuzzer's entry point, defined once per fuzzer binary.
#ifdef SLM_FUZZ_LIBFUZZER
#define SLM_FUZZ_ENTRY(fn)                                                               \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {  \
    return slm::fuzz::fn(data, size);                                                    \
  }
#else
#define SLM_FUZZ_ENTRY(fn)
#endif
