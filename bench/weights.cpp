#include "weights.hpp"

#include <cstring>

namespace slm::bench {
namespace {

struct XorShift {
  std::uint64_t s;
  std::uint64_t next() noexcept {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
};

// A positive normal fp16 of magnitude 2^(e-15) with e in [lo, hi].
std::uint16_t fp16_scale(XorShift& r, int lo, int hi) {
  const int e = lo + static_cast<int>(r.next() % static_cast<std::uint64_t>(hi - lo + 1));
  return static_cast<std::uint16_t>((e << 10) | (r.next() & 0x3ff));
}

void put16(std::uint8_t* p, std::uint16_t v) { std::memcpy(p, &v, 2); }

}  // namespace

std::vector<float> random_floats(std::size_t n, std::uint64_t seed) {
  XorShift r{seed * 0x9e3779b97f4a7c15ULL + 1};
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(static_cast<std::int64_t>(r.next() >> 40) - (1 << 23)) / (1 << 23);
  return v;
}

WeightMatrix random_matrix(kernels::DType type, std::int64_t n_rows, std::int64_t k, std::uint64_t seed) {
  using kernels::DType;
  WeightMatrix w{type, n_rows, k, {}};
  const auto& info = kernels::dtype_info(type);
  if (type == DType::F32) {
    const auto f = random_floats(static_cast<std::size_t>(n_rows * k), seed);
    w.bytes.resize(f.size() * 4);
    std::memcpy(w.bytes.data(), f.data(), w.bytes.size());
    return w;
  }
  w.bytes.resize(static_cast<std::size_t>(n_rows) * kernels::row_bytes(type, k));
  XorShift r{seed * 0x9e3779b97f4a7c15ULL + 7};
  for (std::size_t i = 0; i + 8 <= w.bytes.size(); i += 8) {
    const std::uint64_t v = r.next();
    std::memcpy(w.bytes.data() + i, &v, 8);
  }
  const std::size_t bb = static_cast<std::size_t>(info.block_bytes);
  for (std::size_t off = 0; off + bb <= w.bytes.size(); off += bb) {
    std::uint8_t* b = w.bytes.data() + off;
    switch (type) {
      case DType::F16: case DType::BF16:
        put16(b, fp16_scale(r, 10, 16));  // F16 "blocks" are single elements
        if (type == DType::BF16) put16(b, static_cast<std::uint16_t>(0x3c00 | (r.next() & 0x7f)));
        break;
      case DType::Q4_0: case DType::Q5_0: case DType::Q8_0: put16(b, fp16_scale(r, 5, 10)); break;
      case DType::Q4_1: put16(b, fp16_scale(r, 5, 10)); put16(b + 2, fp16_scale(r, 5, 10)); break;
      case DType::Q4_K: case DType::Q5_K: put16(b, fp16_scale(r, 3, 8)); put16(b + 2, fp16_scale(r, 3, 8)); break;
      case DType::Q6_K: put16(b + 208, fp16_scale(r, 3, 8)); break;
      default: break;
    }
  }
  return w;
}

std::vector<float> dequantized(const WeightMatrix& w) {
  std::vector<float> f(static_cast<std::size_t>(w.n_rows * w.k));
  const std::size_t rb = kernels::row_bytes(w.type, w.k);
  for (std::int64_t r = 0; r < w.n_rows; ++r)
    kernels::dequantize_row(w.type, w.bytes.data() + r * rb, f.data() + r * w.k, w.k);
  return f;
}

}  // namespace slm::bench
