// .npy writer (format in npy.hpp).
#include "util/npy.hpp"

#include <bit>
#include <cstring>
#include <fstream>

#include "slm/error.hpp"

namespace slm::util {

std::string npy_bytes(std::span<const float> data, const std::vector<std::int64_t>& shape) {
  static_assert(std::endian::native == std::endian::little, "the .npy data is written as '<f4' from memory");
  std::int64_t count = 1;
  for (const std::int64_t d : shape) {
    if (d < 0) throw Error(Error::Kind::Argument, "npy: negative dimension " + std::to_string(d));
    count *= d;
  }
  if (std::uint64_t(count) != data.size())
    throw Error(Error::Kind::Argument, "npy: shape holds " + std::to_string(count) + " elements, data has " +
                                           std::to_string(data.size()));
  // Built by append only: GCC 12 reports a false -Wrestrict for operator+ on strings here.
  std::string header;
  header.append("{'descr': '<f4', 'fortran_order': False, 'shape': (");
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) header.append(", ");
    header.append(std::to_string(shape[i]));
  }
  if (shape.size() == 1) header.push_back(',');  // a 1-tuple: "(a,)"
  header.append("), }");
  const std::size_t fixed = 6 + 2 + 2;  // magic, version, header length
  const std::size_t total = (fixed + header.size() + 1 + 63) / 64 * 64;
  header.append(total - fixed - header.size() - 1, ' ');
  header.push_back('\n');

  std::string out;
  out.reserve(total + data.size_bytes());
  out.append("\x93NUMPY\x01", 7);
  out.push_back('\0');
  out.push_back(char(header.size() & 0xff));
  out.push_back(char(header.size() >> 8));
  out.append(header);
  const std::size_t at = out.size();
  out.resize(at + data.size_bytes());
  if (!data.empty()) std::memcpy(out.data() + at, data.data(), data.size_bytes());
  return out;
}

void write_npy(const std::filesystem::path& path, std::span<const float> data, const std::vector<std::int64_t>& shape) {
  const std::string bytes = npy_bytes(data, shape);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw Error(Error::Kind::Io, "cannot create the .npy file", path.string());
  f.write(bytes.data(), std::streamsize(bytes.size()));
  if (!f) throw Error(Error::Kind::Io, "cannot write the .npy file", path.string());
}

}  // namespace slm::util
