#pragma once
// The GGUF container format, as slm reads and writes it (versions 2 and 3).
//
// All numbers are little-endian and fields are packed: nothing is aligned until the tensor
// data section. A file is, in order:
//
//   header        4 bytes magic "GGUF"; u32 version; u64 tensor count; u64 metadata count.
//                 Version 1 used 32-bit counts and lengths and is not accepted. Version 3 only
//                 added big-endian files, which announce themselves by a version whose low
//                 16 bits are zero when read little-endian; slm does not read those.
//   metadata      `metadata count` records: key string, u32 value type, value.
//                 A string is a u64 byte length followed by that many bytes (UTF-8, no NUL).
//                 Value types 0..12 are u8, i8, u16, i16, u32, i32, f32, bool (one byte),
//                 string, array, u64, i64, f64. An array is u32 element type, u64 count, then
//                 the elements back to back; elements may themselves be arrays.
//   tensor infos  `tensor count` records: name string; u32 n_dims (at most 4); n_dims i64
//                 dimensions, fastest-varying first (ne[0] is the row length, along which
//                 quantization blocks run); u32 ggml type id; u64 offset of the tensor's bytes
//                 relative to the data section, a multiple of the alignment.
//   padding       zero bytes up to the next multiple of the alignment (only when there are
//                 tensors; files without tensors end right after the metadata).
//   data section  the tensors' bytes, each padded with zeros to a multiple of the alignment.
//
// The alignment is the metadata value `general.alignment` (a u32 power of two) or 32.
// A tensor of type T with dimensions ne occupies ne[0]/block_elems(T) * block_bytes(T) *
// ne[1] * ne[2] * ne[3] bytes (kernels/dtype.hpp holds the block geometry).

#include <cstdint>
#include <string_view>

namespace slm::gguf::format {

inline constexpr std::uint8_t kMagic[4] = {'G', 'G', 'U', 'F'};
inline constexpr std::uint64_t kHeaderBytes = 24;
inline constexpr std::uint64_t kDefaultAlignment = 32;
inline constexpr std::string_view kAlignmentKey = "general.alignment";
inline constexpr int kMaxDims = 4;
inline constexpr std::uint32_t kValueTypeCount = 13;

// Limits slm applies on top of "fits in the file", to keep allocations proportionate.
inline constexpr std::uint64_t kMaxAlignment = 1u << 20;
inline constexpr std::uint64_t kMaxKeyBytes = 1u << 16;
inline constexpr std::uint64_t kMaxTensorNameBytes = 63;  // ggml's GGML_MAX_NAME is 64 incl. NUL
inline constexpr int kMaxArrayDepth = 8;

// Smallest encodings, used to bound counts by the bytes that remain before allocating.
// A metadata record: key length + one key byte + type + the smallest value (one byte).
inline constexpr std::uint64_t kMinKvBytes = 8 + 1 + 4 + 1;
// A tensor info: name length + one name byte + n_dims + type + offset (n_dims may be 0).
inline constexpr std::uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 4 + 8;

}  // namespace slm::gguf::format
