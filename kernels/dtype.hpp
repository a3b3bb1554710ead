#pragma once
// Tensor element types as numbered in GGUF (ggml's type ids), and their block geometry.
//
// This header is the single table of ids and sizes; each format's bit layout is documented
// once, in its own file under kernels/formats/. Header-only so the GGUF reader can validate
// tensor sizes without linking the kernels.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace slm::kernels {

enum class DType : std::uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  BF16 = 30,
};

struct DTypeInfo {
  DType type;
  std::string_view name;
  std::int64_t block_elems;  // elements per block (1 for plain floats)
  std::int64_t block_bytes;  // bytes per block
  bool supported;            // slm can dequantize and compute with it
};

// Known ggml types, supported or not (so errors can name them). Ids 4, 5 were removed from
// ggml; 16..29 and 31+ are IQ/TQ/MXFP formats slm does not implement.
inline constexpr DTypeInfo kDTypes[] = {
    {DType::F32, "F32", 1, 4, true},        {DType::F16, "F16", 1, 2, true},
    {DType::Q4_0, "Q4_0", 32, 18, true},    {DType::Q4_1, "Q4_1", 32, 20, true},
    {DType::Q5_0, "Q5_0", 32, 22, true},    {DType::Q5_1, "Q5_1", 32, 24, false},
    {DType::Q8_0, "Q8_0", 32, 34, true},    {DType::Q8_1, "Q8_1", 32, 36, false},
    {DType::Q2_K, "Q2_K", 256, 84, false},  {DType::Q3_K, "Q3_K", 256, 110, false},
    {DType::Q4_K, "Q4_K", 256, 144, true},  {DType::Q5_K, "Q5_K", 256, 176, true},
    {DType::Q6_K, "Q6_K", 256, 210, true},  {DType::Q8_K, "Q8_K", 256, 292, true},
    {DType::BF16, "BF16", 1, 2, true},
};

// nullptr when the id is not a type slm knows at all.
constexpr const DTypeInfo* dtype_info(std::uint32_t id) noexcept {
  for (const auto& t : kDTypes)
    if (static_cast<std::uint32_t>(t.type) == id) return &t;
  return nullptr;
}
constexpr const DTypeInfo& dtype_info(DType t) noexcept { return *dtype_info(static_cast<std::uint32_t>(t)); }
constexpr std::string_view dtype_name(DType t) noexcept { return dtype_info(t).name; }

// Bytes of a row of n elements. The caller guarantees n is a multiple of the block size.
constexpr std::size_t row_bytes(DType t, std::int64_t n) noexcept {
  const auto& i = dtype_info(t);
  return static_cast<std::size_t>(n / i.block_elems * i.block_bytes);
}

}  // namespace slm::kernels
