#pragma once
// A progress line on stderr for the file-writing commands (make-model, quantize): rewritten in
// place on a terminal, otherwise printed about every 10% so logs stay short.

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "model/synthetic.hpp"

namespace slm::cli {

class ProgressLine {
 public:
  ProgressLine() : tty_(::isatty(2) != 0), start_(std::chrono::steady_clock::now()) {}

  void operator()(const model::WriteProgress& p) {
    const double frac = p.bytes_total ? double(p.bytes_done) / double(p.bytes_total) : 1.0;
    const bool last = p.tensors_done == p.n_tensors;
    if (!tty_ && !last && frac < next_) return;
    while (next_ <= frac) next_ += 0.1;
    std::fprintf(stderr, "%s[%zu/%zu] %5.1f%%  %.2f / %.2f GiB  %.1f s  %-40.*s%s", tty_ ? "\r" : "", p.tensors_done,
                 p.n_tensors, 100.0 * frac, double(p.bytes_done) / (1 << 30), double(p.bytes_total) / (1 << 30),
                 seconds(), int(p.tensor.size() < 40 ? p.tensor.size() : 40), p.tensor.data(), tty_ && !last ? "" : "\n");
  }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  bool tty_;
  double next_ = 0.1;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace slm::cli
