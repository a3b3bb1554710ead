// Helpers shared by the fuzz targets (fuzz_targets.hpp).
#include <sys/mman.h>
#include <unistd.h>

#include <stdexcept>

#include "fuzz_targets.hpp"
#include "gguf/reader.hpp"
#include "slm/error.hpp"
#include "tokenizer/load.hpp"

namespace slm::fuzz {

std::filesystem::path data_dir() { return SLM_TEST_DATA_DIR; }

const std::vector<Tokenizer>& tokenizers() {
  static const std::vector<Tokenizer> all = [] {
    std::vector<Tokenizer> v;
    const std::filesystem::path d = data_dir();
    for (const char* f : {"vocab/ggml-vocab-llama-spm.gguf", "vocab/ggml-vocab-gpt-2.gguf",
                          "vocab/ggml-vocab-deepseek-coder.gguf", "vocab/ggml-vocab-falcon.gguf",
                          "golden/models/tiny-llama-Q4_K_M.gguf", "golden/models/tiny-qwen2-Q4_K_M.gguf",
                          "golden/models/tiny-gemma-Q4_K_M.gguf", "golden/models/tiny-gemma3-Q4_K_M.gguf"})
      v.push_back(tokenizer::load_tokenizer(gguf::File::open(d / f)));
    return v;
  }();
  return all;
}

MemFile::MemFile(std::span<const std::uint8_t> bytes) : fd_(::memfd_create("slm-fuzz", MFD_CLOEXEC)) {
  if (fd_ < 0) throw std::runtime_error("memfd_create failed");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      ::close(fd_);
      throw std::runtime_error("write to memfd failed");
    }
    done += std::size_t(n);
  }
  path_ = "/proc/self/fd/" + std::to_string(fd_);
}

MemFile::~MemFile() { ::close(fd_); }

void check(bool ok, const std::string& what) {
  if (!ok) throw std::logic_error("fuzz invariant broken: " + what);
}

}  // namespace slm::fuzz
