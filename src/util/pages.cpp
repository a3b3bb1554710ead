// Anonymous memory mappings (pages.hpp).
#include "util/pages.hpp"

#include <sys/mman.h>

#include <new>

namespace slm::util {

Pages::Pages(std::size_t bytes, bool huge) : n_(bytes) {
  if (bytes == 0) return;
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  if (huge) ::madvise(p, bytes, MADV_HUGEPAGE);
  p_ = static_cast<std::uint8_t*>(p);
}

Pages::~Pages() {
  if (p_) ::munmap(p_, n_);
}

Pages& Pages::operator=(Pages&& o) noexcept {
  if (this != &o) {
    if (p_) ::munmap(p_, n_);
    p_ = std::exchange(o.p_, nullptr);
    n_ = std::exchange(o.n_, 0);
  }
  return *this;
}

}  // namespace slm::util
