// Row-level dequantize/quantize over DType: the one switch that maps a type id to the block
// functions in kernels/formats/. Shared by every ISA level (scalar and exact).

#include <string>

#include "kernels/formats/float.hpp"
#include "kernels/formats/q4_0.hpp"
#include "kernels/formats/q4_1.hpp"
#include "kernels/formats/q4_k.hpp"
#include "kernels/formats/q5_0.hpp"
#include "kernels/formats/q5_k.hpp"
#include "kernels/formats/q6_k.hpp"
#include "kernels/formats/q8_0.hpp"
#include "kernels/formats/q8_1.hpp"
#include "kernels/formats/q8_k.hpp"
#include "kernels/kernels.hpp"
#include "slm/error.hpp"

namespace slm::kernels {
namespace {

std::int64_t blocks_of(DType t, std::int64_t n, const char* what) {
  const std::int64_t be = dtype_info(t).block_elems;
  if (n < 0 || n % be != 0)
    throw Error(Error::Kind::Argument, std::string(what) + ": " + std::to_string(n) + " elements is not a multiple of " +
                                           std::string(dtype_name(t)) + "'s block size " + std::to_string(be));
  return n / be;
}

}  // namespace

void dequantize_row(DType t, const void* src, float* dst, std::int64_t n) {
  namespace f = formats;
  const std::int64_t nb = blocks_of(t, n, "dequantize_row");
  switch (t) {
    case DType::F32: return f::dequantize_f32(src, dst, n);
    case DType::F16: return f::dequantize_f16(src, dst, n);
    case DType::BF16: return f::dequantize_bf16(src, dst, n);
    case DType::Q4_0: return f::dequantize_q4_0(static_cast<const f::BlockQ4_0*>(src), dst, nb);
    case DType::Q4_1: return f::dequantize_q4_1(static_cast<const f::BlockQ4_1*>(src), dst, nb);
    case DType::Q5_0: return f::dequantize_q5_0(static_cast<const f::BlockQ5_0*>(src), dst, nb);
    case DType::Q8_0: return f::dequantize_q8_0(static_cast<const f::BlockQ8_0*>(src), dst, nb);
    case DType::Q8_1: return f::dequantize_q8_1(static_cast<const f::BlockQ8_1*>(src), dst, nb);
    case DType::Q4_K: return f::dequantize_q4_k(static_cast<const f::BlockQ4_K*>(src), dst, nb);
    case DType::Q5_K: return f::dequantize_q5_k(static_cast<const f::BlockQ5_K*>(src), dst, nb);
    case DType::Q6_K: return f::dequantize_q6_k(static_cast<const f::BlockQ6_K*>(src), dst, nb);
    case DType::Q8_K: return f::dequantize_q8_k(static_cast<const f::BlockQ8_K*>(src), dst, nb);
    default: break;
  }
  throw Error(Error::Kind::Unsupported, "dequantize_row: type " + std::string(dtype_name(t)) + " is not supported");
}

bool can_quantize(DType t) noexcept {
  switch (t) {
    case DType::F32: case DType::F16: case DType::BF16:
    case DType::Q5_0: case DType::Q8_0: case DType::Q8_1: case DType::Q4_K: case DType::Q6_K: case DType::Q8_K:
      return true;
    default: return false;
  }
}

void quantize_row(DType t, const float* src, void* dst, std::int64_t n) {
  namespace f = formats;
  const std::int64_t nb = blocks_of(t, n, "quantize_row");
  switch (t) {
    case DType::F32: return f::dequantize_f32(src, static_cast<float*>(dst), n);  // a plain copy
    case DType::F16: return f::quantize_f16(src, dst, n);
    case DType::BF16: return f::quantize_bf16(src, dst, n);
    case DType::Q5_0: return f::quantize_q5_0(src, static_cast<f::BlockQ5_0*>(dst), nb);
    case DType::Q8_0: return f::quantize_q8_0(src, static_cast<f::BlockQ8_0*>(dst), nb);
    case DType::Q8_1: return f::quantize_q8_1(src, static_cast<f::BlockQ8_1*>(dst), nb);
    case DType::Q4_K: return f::quantize_q4_k(src, static_cast<f::BlockQ4_K*>(dst), nb);
    case DType::Q6_K: return f::quantize_q6_k(src, static_cast<f::BlockQ6_K*>(dst), nb);
    case DType::Q8_K: return f::quantize_q8_k(src, static_cast<f::BlockQ8_K*>(dst), nb);
    default: break;
  }
  throw Error(Error::Kind::Unsupported, "quantize_row: cannot quantize to " + std::string(dtype_name(t)));
}

DType activation_type(DType weight_type) noexcept {
  switch (weight_type) {
    case DType::Q4_0: case DType::Q5_0: case DType::Q8_0: return DType::Q8_0;
    case DType::Q4_1: return DType::Q8_1;
    case DType::Q4_K: case DType::Q5_K: case DType::Q6_K: return DType::Q8_K;
    default: return DType::F32;
  }
}

std::size_t act_row_bytes(DType weight_type, std::int64_t k) noexcept {
  return row_bytes(activation_type(weight_type), k);
}

}  // namespace slm::kernels
