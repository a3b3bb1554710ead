#pragma once
// Random but valid weight matrices for the benchmarks: random bytes for the quantized values
// (every bit pattern is a valid value) with the fp16 scales overwritten by sane magnitudes, so
// no benchmark runs on inf/NaN/denormal arithmetic. Generating random bytes is far faster than
// quantizing random floats, which matters for the 100+ MB vocabulary matrices.

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/kernels.hpp"

namespace slm::bench {

struct WeightMatrix {
  kernels::DType type;
  std::int64_t n_rows, k;
  std::vector<std::uint8_t> bytes;  // [n_rows][row_bytes(type, k)]
  kernels::Matrix view() const {
    return {type, bytes.data(), k, n_rows, kernels::row_bytes(type, k)};
  }
  double gib() const { return static_cast<double>(bytes.size()) / (1 << 30); }
};

WeightMatrix random_matrix(kernels::DType type, std::int64_t n_rows, std::int64_t k, std::uint64_t seed);
// The same matrix dequantized to F32 ([n_rows][k]), for the BLAS/Eigen baselines.
std::vector<float> dequantized(const WeightMatrix& w);
std::vector<float> random_floats(std::size_t n, std::uint64_t seed);

}  // namespace slm::bench
