#include "gguf/mapping.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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

// Reads exactly n bytes at `offset` into dst; `short_read` is the message if the file ends first.
void pread_exact(int fd, const std::filesystem::path& path, std::uint64_t offset, std::uint8_t* dst, std::uint64_t n,
                 const char* short_read) {
  for (std::uint64_t done = 0; done < n;) {
    const ssize_t r = ::pread(fd, dst + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) io_error(path, "cannot read", errno);
    if (r == 0) throw Error(Error::Kind::Io, short_read, path.string(), {}, offset + done);
    done += static_cast<std::uint64_t>(r);
  }
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
  // page cache holds 2 MiB folios; MADV_HUGEPAGE makes the faults that read the file from disk
  // allocate such folios (a file already cached in small folios stays so: docs/performance.md).
  // The memory a file is read into asks for huge pages itself.
  if (use_mmap) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, f.fd, 0);
    if (p == MAP_FAILED) io_error(path, "cannot map " + std::to_string(size) + " bytes", errno);
    ::madvise(p, size, MADV_HUGEPAGE);
    m.mapped_ = p;
    m.data_ = static_cast<const std::uint8_t*>(p);
    m.size_ = size;
    m.fd_ = std::exchange(f.fd, -1);
    m.path_ = path;
    return m;
  }
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) io_error(path, "cannot allocate " + std::to_string(size) + " bytes to read the file into", errno);
  m.mapped_ = p;  // owned from here: released on any error below
  m.size_ = size;
  ::madvise(p, size, MADV_HUGEPAGE);
  auto* dst = static_cast<std::uint8_t*>(p);
  pread_exact(f.fd, path, 0, dst, size, "file shrank while being read");
  ::mprotect(p, size, PROT_READ);  // the weights are read-only from here, as when mapped
  m.data_ = dst;
  return m;
}

void Mapping::copy(const std::uint8_t* from, std::size_t n, void* dst) const {
  if (fd_ < 0) {
    std::memcpy(dst, from, n);
    return;
  }
  pread_exact(fd_, path_, static_cast<std::uint64_t>(from - data_), static_cast<std::uint8_t*>(dst), n,
              "file shrank after it was mapped (changed on disk while in use; --no-mmap reads it into memory)");
}

void Mapping::release_prefix(std::uint64_t n) const noexcept {
  if (fd_ < 0 || !mapped_) return;  // only a mapped file can give pages back without losing them
  n = std::min(n, size_) / 4096 * 4096;
  if (n > 0) ::madvise(mapped_, n, MADV_DONTNEED);  // a hint: nothing to do if it fails
}

void Mapping::populate(std::span<const std::uint8_t> range) const noexcept {
  if (fd_ < 0 || !mapped_ || range.empty()) return;
  const std::uintptr_t begin = reinterpret_cast<std::uintptr_t>(range.data()) / 4096 * 4096;
  const std::uintptr_t end = reinterpret_cast<std::uintptr_t>(range.data() + range.size());
  void* const p = reinterpret_cast<void*>(begin);
#ifdef MADV_POPULATE_READ
  if (::madvise(p, end - begin, MADV_POPULATE_READ) == 0) return;
#endif
  ::madvise(p, end - begin, MADV_WILLNEED);
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
  fd_ = std::exchange(other.fd_, -1);
  path_ = std::move(other.path_);
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
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  mapped_ = nullptr;
  data_ = nullptr;
  size_ = 0;
  owned_.clear();
}

}  // namespace slm::gguf
