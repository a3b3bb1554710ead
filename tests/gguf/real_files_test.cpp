// Real GGUF files (the tiny golden models, the llama.cpp vocab files, and the real models
// under models/ when present) against two independent checks:
//  - the Python `gguf` package (tests/gguf/dump_gguf.py) must report the same header,
//    metadata and tensor table as slm's reader;
//  - reading a file and writing it back with slm's writer must give the same bytes.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "gguf/mapping.hpp"
#include "gguf/reader.hpp"
#include "gguf/writer.hpp"

namespace fs = std::filesystem;
using namespace slm::gguf;

namespace {

std::vector<std::string> files_under_test() {
  std::vector<std::string> out;
  for (const char* dir : {SLM_TEST_DATA_DIR "/golden/models", SLM_TEST_DATA_DIR "/vocab"}) {
    std::vector<std::string> found;
    if (fs::is_directory(dir))
      for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".gguf") found.push_back(e.path().string());
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  // Listed by name so that their absence shows as a skip, not as a smaller list.
  out.push_back(SLM_MODELS_DIR "/gemma-3-270m-q4_k_m.gguf");
  out.push_back(SLM_MODELS_DIR "/SmolLM2-135M-Instruct.Q4_1.gguf");
  return out;
}

std::string hex_bits(const void* p, std::size_t n) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, p, n);
  char buf[24];
  std::snprintf(buf, sizeof buf, n == 4 ? "%08llx" : "%016llx", static_cast<unsigned long long>(bits));
  return buf;
}

std::string scalar(const Value& v) {
  switch (v.type) {
    case ValueType::String: {
      std::string s = "x";
      char b[3];
      for (unsigned char c : std::get<std::string>(v.data)) {
        std::snprintf(b, sizeof b, "%02x", c);
        s += b;
      }
      return s;
    }
    case ValueType::F32: {
      const float f = static_cast<float>(std::get<double>(v.data));
      return hex_bits(&f, 4);
    }
    case ValueType::F64: {
      const double d = std::get<double>(v.data);
      return hex_bits(&d, 8);
    }
    case ValueType::Bool: return std::get<bool>(v.data) ? "1" : "0";
    case ValueType::Array: return "nested";
    default:
      if (const auto* u = std::get_if<std::uint64_t>(&v.data)) return std::to_string(*u);
      return std::to_string(std::get<std::int64_t>(v.data));
  }
}

// The dump_gguf.py format, from slm's reader.
std::string dump(const File& f) {
  std::ostringstream o;
  o << "version " << f.version() << "\nalignment " << f.alignment() << "\n";
  if (!f.tensors().empty()) o << "data_offset " << f.data_offset() << "\n";
  for (const KeyValue& kv : f.metadata()) {
    o << "kv " << kv.key << " ";
    if (kv.value.type == ValueType::Array) {
      const Array& a = std::get<Array>(kv.value.data);
      o << "array:" << value_type_name(a.elem_type()) << ":" << a.size();
      for (const Value& item : a) o << " " << scalar(item);
    } else {
      o << value_type_name(kv.value.type) << " " << scalar(kv.value);
    }
    o << "\n";
  }
  for (const TensorInfo& t : f.tensors()) {
    o << "tensor " << t.name << " " << static_cast<std::uint32_t>(t.type) << " ";
    for (int d = 0; d < t.n_dims; ++d) o << (d ? "," : "") << t.ne[d];
    o << " " << t.offset << " " << t.n_bytes << "\n";
  }
  return o.str();
}

// Runs the Python oracle; nullopt (with a reason) when Python or the gguf package is missing.
std::optional<std::string> python_dump(const std::string& path, std::string& why) {
  const char* py = std::getenv("SLM_PYTHON");
  const std::string cmd =
      std::string(py && *py ? py : "python3") + " '" SLM_SOURCE_DIR "/tests/gguf/dump_gguf.py' '" + path + "'";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    why = "cannot run " + cmd;
    return std::nullopt;
  }
  std::string out;
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    why = "'" + cmd + "' exited with status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    if (WIFEXITED(status) && (WEXITSTATUS(status) == 3 || WEXITSTATUS(status) == 127)) return std::nullopt;
    ADD_FAILURE() << why;
    return std::nullopt;
  }
  return out;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string clip(const std::string& s) { return s.size() > 300 ? s.substr(0, 300) + "..." : s; }

class RealFile : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!fs::exists(GetParam())) GTEST_SKIP() << GetParam() << " not present (scripts/models fetches it)";
  }
};

TEST_P(RealFile, MatchesPythonGguf) {
  std::string why;
  auto expected = python_dump(GetParam(), why);
  if (!expected) {
    if (HasFailure()) return;
    GTEST_SKIP() << why << " (set SLM_PYTHON to a Python with the gguf package)";
  }
  const File f = File::open(GetParam());
  const auto want = lines(*expected), got = lines(dump(f));
  const std::size_t n = std::min(want.size(), got.size());
  for (std::size_t i = 0; i < n; ++i)
    ASSERT_EQ(want[i], got[i]) << "line " << i << " differs (python first)\npython: " << clip(want[i])
                               << "\nslm:    " << clip(got[i]);
  EXPECT_EQ(want.size(), got.size());
  EXPECT_GT(want.size(), 3u);
}

// Reading with mmap and reading into memory give the same tables and tensor bytes.
TEST_P(RealFile, MmapAndReadAgree) {
  const File a = File::open(GetParam());
  const File b = File::open(GetParam(), OpenOptions{.use_mmap = false});
  ASSERT_EQ(dump(a), dump(b));
  for (const TensorInfo& t : a.tensors()) {
    const auto x = a.tensor_data(t), y = b.tensor_data(*b.find_tensor(t.name));
    ASSERT_EQ(x.size(), t.n_bytes);
    ASSERT_TRUE(std::equal(x.begin(), x.end(), y.begin(), y.end())) << t.name;
  }
}

// File::copy (pread from a mapped file, memcpy from memory) gives the bytes the mapping holds.
TEST_P(RealFile, CopyReadsTheMappedBytes) {
  for (const bool use_mmap : {true, false}) {
    const File f = File::open(GetParam(), OpenOptions{.use_mmap = use_mmap});
    for (const TensorInfo& t : f.tensors()) {
      const auto x = f.tensor_data(t);
      const std::size_t from = x.size() / 3, n = std::min<std::size_t>(x.size() - from, 5000);
      std::vector<std::uint8_t> got(n);
      f.copy(x.data() + from, n, got.data());
      ASSERT_TRUE(std::equal(got.begin(), got.end(), x.begin() + std::ptrdiff_t(from))) << t.name;
    }
  }
}

TEST_P(RealFile, WriterReproducesTheFileByteForByte) {
  const File f = File::open(GetParam());
  const Mapping original = Mapping::open(GetParam(), /*use_mmap=*/true);
  const auto want = original.bytes();
  std::uint64_t pos = 0, first_diff = ~std::uint64_t{0};
  Writer::copy_of(f).write([&](std::span<const std::uint8_t> piece) {
    if (first_diff == ~std::uint64_t{0} &&
        (pos + piece.size() > want.size() || std::memcmp(want.data() + pos, piece.data(), piece.size()) != 0)) {
      std::size_t i = 0;
      while (pos + i < want.size() && want[pos + i] == piece[i]) ++i;
      first_diff = pos + i;
    }
    pos += piece.size();
  });
  EXPECT_EQ(first_diff, ~std::uint64_t{0}) << "first differing byte at offset " << first_diff;
  EXPECT_EQ(pos, want.size());
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = fs::path(info.param).stem().string();
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Files, RealFile, ::testing::ValuesIn(files_under_test()), test_name);

}  // namespace
