#include "gguf/mapping.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "slm/error.hpp"

namespace slm::gguf {
namespace {

[[noreturn]] void io_error(const std::filesystem::path& path, const std::string& what, int err) {
  throw Error(Error::Kind::Io, what + ": " + std::strerror(err), path.string());
}

// Closes the descriptor on every path out of open().
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Mapping Mapping::open(const std::filesystem::path& path, bool use_mmap) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) io_error(path, "cannot open", errno);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) io_error(path, "cannot stat", errno);
  if (!S_ISREG(st.st_mode)) throw Error(Error::Kind::Io, "not a regular file", path.string());
  const auto size = static_cast<std::uint64_t>(st.st_size);

  Mapping m;
  if (size == 0) return m;  // mmap cannot map nothing; the parser reports the empty file
  // Decode streams every weight once per token, and with 4 KiB pages the TLB misses cost 7-24%
  // of the read rate (docs/kernels.md). A mapped file is PMD-mapped by the kernel wherever the
  // page cache holds 2 MiB folios (most of a file once read); the memory a file is read into
  // asks for huge pages itself.
  if (use_mmap) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, f.fd, 0);
    if (p == MAP_FAILED) io_error(path, "cannot map " + std::to_string(size) + " bytes", errno);
    m.mapped_ = p;
    m.data_ = static_cast<const std::uint8_t*>(p);
    m.size_ = size;
    return m;
  }
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) io_error(path, "cannot allocate " + std::to_string(size) + " bytes to read the file into", errno);
  m.mapped_ = p;  // owned from here: released on any error below
  m.size_ = size;
  ::madvise(p, size, MADV_HUGEPAGE);
  auto* dst = static_cast<std::uint8_t*>(p);
  std::uint64_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(f.fd, dst + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) io_error(path, "cannot read", errno);
    if (n == 0) throw Error(Error::Kind::Io, "file shrank while being read", path.string(), {}, done);
    done += static_cast<std::uint64_t>(n);
  }
  ::mprotect(p, size, PROT_READ);  // the weights are read-only from here, as when mapped
  m.data_ = dst;
  return m;
}

Mapping Mapping::from_bytes(std::vector<std::uint8_t> bytes) {
  Mapping m;
  m.owned_ = std::move(bytes);
  m.data_ = m.owned_.data();
  m.size_ = m.owned_.size();
  return m;
}

Mapping::Mapping(Mapping&& other) noexcept { *this = std::move(other); }

Mapping& Mapping::operator=(Mapping&& other) noexcept {
  if (this == &other) return *this;
  release();
  mapped_ = std::exchange(other.mapped_, nullptr);
  size_ = std::exchange(other.size_, 0);
  owned_ = std::move(other.owned_);
  other.owned_.clear();
  // Moving a vector keeps its buffer, so data_ stays valid for owned bytes too.
  data_ = mapped_ ? static_cast<const std::uint8_t*>(mapped_) : owned_.data();
  other.data_ = nullptr;
  return *this;
}

Mapping::~Mapping() { release(); }

void Mapping::release() noexcept {
  if (mapped_) ::munmap(mapped_, size_);
  mapped_ = nullptr;
  data_ = nullptr;
  size_ = 0;
  owned_.clear();
}

}  // namespace slm::gguf
