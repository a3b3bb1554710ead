// Scalar matrix products: Y[b][r] = sum_i W[r][i] * X[b][i] for r in [r0, r1), b < batch.

#include <algorithm>
#include <string>

#include "kernels/ref/int_dots.hpp"
#include "kernels/ref/ref.hpp"
#include "slm/error.hpp"

namespace slm::kernels::ref {
namespace {

// Weights are dequantized this many elements at a time into a stack buffer (kernels never
// allocate); a multiple of every block size.
constexpr std::int64_t kChunk = 1024;

void check(const Matrix& w, std::int64_t r0, std::int64_t r1, const char* fn) {
  const DTypeInfo* info = dtype_info(static_cast<std::uint32_t>(w.type));
  if (info == nullptr || !info->supported)
    throw Error(Error::Kind::Unsupported, std::string(fn) + ": unsupported weight type " +
                                              (info ? std::string(info->name) : std::to_string(static_cast<unsigned>(w.type))));
  if (w.k <= 0 || w.k % info->block_elems != 0)
    throw Error(Error::Kind::Shape, std::string(fn) + ": row length " + std::to_string(w.k) +
                                        " is not a positive multiple of the block size of " + std::string(info->name));
  if (r0 < 0 || r1 > w.n_rows || r0 > r1)
    throw Error(Error::Kind::Argument, std::string(fn) + ": row range [" + std::to_string(r0) + ", " +
                                           std::to_string(r1) + ") outside " + std::to_string(w.n_rows) + " rows");
}

}  // namespace

void matmul_f32(const Matrix& w, const float* x, std::int64_t batch, float* y, std::int64_t ldy,
                std::int64_t r0, std::int64_t r1) {
  check(w, r0, r1, "matmul_f32");
  float buf[kChunk];
  const auto* base = static_cast<const unsigned char*>(w.data);
  for (std::int64_t r = r0; r < r1; ++r) {
    const unsigned char* row = base + static_cast<std::size_t>(r) * w.row_stride;
    for (std::int64_t b = 0; b < batch; ++b) y[b * ldy + r] = 0.0f;
    for (std::int64_t i0 = 0; i0 < w.k; i0 += kChunk) {
      const std::int64_t n = std::min(kChunk, w.k - i0);
      dequantize_row(w.type, row + row_bytes(w.type, i0), buf, n);
      for (std::int64_t b = 0; b < batch; ++b) {
        const float* xb = x + b * w.k + i0;
        double acc = 0.0;  // the reference favours accuracy over speed
        for (std::int64_t i = 0; i < n; ++i) acc += static_cast<double>(buf[i]) * xb[i];
        y[b * ldy + r] += static_cast<float>(acc);
      }
    }
  }
}

void matmul_q8(const Matrix& w, const void* xq, std::int64_t batch, float* y, std::int64_t ldy,
               std::int64_t r0, std::int64_t r1) {
  check(w, r0, r1, "matmul_q8");
  if (activation_type(w.type) == DType::F32)  // float weights: the "activations" are plain floats
    return matmul_f32(w, static_cast<const float*>(xq), batch, y, ldy, r0, r1);
  const std::size_t act_bytes = act_row_bytes(w.type, w.k);
  const std::int64_t nb = w.k / dtype_info(w.type).block_elems;
  const auto* base = static_cast<const unsigned char*>(w.data);
  const auto* act = static_cast<const unsigned char*>(xq);
  for (std::int64_t r = r0; r < r1; ++r) {
    const void* row = base + static_cast<std::size_t>(r) * w.row_stride;
    for (std::int64_t b = 0; b < batch; ++b) {
      const void* a = act + static_cast<std::size_t>(b) * act_bytes;
      float v = 0.0f;
      switch (w.type) {
        case DType::Q4_0: v = dot_q4_0_q8_0(static_cast<const BlockQ4_0*>(row), static_cast<const BlockQ8_0*>(a), nb); break;
        case DType::Q4_1: v = dot_q4_1_q8_1(static_cast<const BlockQ4_1*>(row), static_cast<const BlockQ8_1*>(a), nb); break;
        case DType::Q5_0: v = dot_q5_0_q8_0(static_cast<const BlockQ5_0*>(row), static_cast<const BlockQ8_0*>(a), nb); break;
        case DType::Q8_0: v = dot_q8_0_q8_0(static_cast<const BlockQ8_0*>(row), static_cast<const BlockQ8_0*>(a), nb); break;
        case DType::Q4_K: v = dot_q4_k_q8_k(static_cast<const BlockQ4_K*>(row), static_cast<const BlockQ8_K*>(a), nb); break;
        case DType::Q5_K: v = dot_q5_k_q8_k(static_cast<const BlockQ5_K*>(row), static_cast<const BlockQ8_K*>(a), nb); break;
        case DType::Q6_K: v = dot_q6_k_q8_k(static_cast<const BlockQ6_K*>(row), static_cast<const BlockQ8_K*>(a), nb); break;
        default:
          throw Error(Error::Kind::Unsupported, "matmul_q8: no integer path for " + std::string(dtype_name(w.type)));
      }
      y[b * ldy + r] = v;
    }
  }
}

void quantize_activations(DType act_type, const float* x, std::int64_t k, void* out) {
  if (act_type != DType::F32 && act_type != DType::Q8_0 && act_type != DType::Q8_1 && act_type != DType::Q8_K)
    throw Error(Error::Kind::Unsupported,
                "quantize_activations: " + std::string(dtype_name(act_type)) + " is not an activation type");
  if (act_type == DType::Q8_0 || act_type == DType::Q8_1) {
    if (k <= 0 || k % 32 != 0)
      throw Error(Error::Kind::Argument, "quantize_activations: " + std::to_string(k) + " elements is not a multiple of 32");
    // llama.cpp's run-time rounding (ties to even), not quantize_row's (see formats/q8_0.hpp)
    if (act_type == DType::Q8_0) return formats::quantize_q8_0_activations(x, static_cast<BlockQ8_0*>(out), k / 32);
    return formats::quantize_q8_1_activations(x, static_cast<BlockQ8_1*>(out), k / 32);
  }
  quantize_row(act_type, x, out, k);
}

}  // namespace slm::kernels::ref
