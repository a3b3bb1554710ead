#pragma once
// Writing NumPy .npy files (format version 1.0), float32 little-endian, C order:
//
//   "\x93NUMPY" 0x01 0x00 <uint16 LE header length> <header> <data>
//
// The header is a Python dict literal, {'descr': '<f4', 'fortran_order': False, 'shape': (a, b), }
// padded with spaces and ended by '\n' so that magic + length + header is a multiple of 64
// bytes (what numpy itself writes, so the data is aligned when mapped).

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace slm::util {

// The bytes of a .npy file holding `data` with `shape` (product of shape == data.size()).
std::string npy_bytes(std::span<const float> data, const std::vector<std::int64_t>& shape);

// Writes npy_bytes to `path`; throws slm::Error(Io) naming the path if it cannot.
void write_npy(const std::filesystem::path& path, std::span<const float> data, const std::vector<std::int64_t>& shape);

}  // namespace slm::util
