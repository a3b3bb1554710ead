#pragma once
// Zero-filled anonymous memory (an mmap) that becomes resident only where it is written, freed
// with the object; optionally backed by huge pages (MADV_HUGEPAGE, a hint), which streaming
// reads want: with 4 KiB pages the TLB misses cost a decode step 7-24% of its read rate
// (docs/kernels.md).

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace slm::util {

class Pages {
 public:
  // Throws std::bad_alloc when the mapping cannot be made. 0 bytes: no mapping.
  explicit Pages(std::size_t bytes, bool huge = false);
  ~Pages();
  Pages(Pages&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  Pages& operator=(Pages&& o) noexcept;
  Pages(const Pages&) = delete;
  Pages& operator=(const Pages&) = delete;

  std::uint8_t* data() const noexcept { return p_; }
  std::size_t size() const noexcept { return n_; }

 private:
  std::uint8_t* p_ = nullptr;
  std::size_t n_ = 0;
};

// n values of T in Pages: zero-filled, resident only where written, and page-aligned. For scratch
// sized for the largest batch, of which a decode step touches the first row only. The alignment
// matters as much: with the session's buffers 16 bytes off a cache line (as std::vector's were),
// qwen2-0.5b pp512 ran at 588-677 tokens/s instead of 1030-1038 (docs/performance.md, session 7).
// Built with AddressSanitizer it is a zero-filled heap array instead, so that overruns are still
// reported.
template <class T>
class PageArray {
 public:
  PageArray() = default;
  explicit PageArray(std::size_t n) : n_(n) {
#if defined(__SANITIZE_ADDRESS__)
    heap_.resize(n);
#else
    pages_ = Pages(n * sizeof(T));
#endif
  }

  T* data() const noexcept {
#if defined(__SANITIZE_ADDRESS__)
    return const_cast<T*>(heap_.data());
#else
    return reinterpret_cast<T*>(pages_.data());
#endif
  }
  std::size_t size() const noexcept { return n_; }

 private:
  std::size_t n_ = 0;
#if defined(__SANITIZE_ADDRESS__)
  std::vector<T> heap_;
#else
  Pages pages_{0};
#endif
};

}  // namespace slm::util
