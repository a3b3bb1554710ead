// slm quantize (src/model/requantize.cpp): converting the tiny golden models (llama-quantize
// Q4_K_M outputs) to Q8_0 / F16 and back.
//  - Q8_0: every converted tensor's values within Q8_0's error bound of the input's values
//    (half a step of max|x|/127 per 32-block, plus the fp16 rounding of the stored scale);
//    kept tensors byte-identical; metadata identical except general.file_type.
//  - Q8_0 -> Q4_K_M gives exactly the types llama-quantize chose for the original.
//  - the streaming writer rejects a producer that writes the wrong byte count.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "gguf/reader.hpp"
#include "gguf/writer.hpp"
#include "kernels/kernels.hpp"
#include "model/requantize.hpp"
#include "slm/error.hpp"

namespace slm::model {
namespace {

namespace fs = std::filesystem;
using kernels::DType;

const std::string kGolden = SLM_TEST_DATA_DIR "/golden/models/";

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("slm_mmq_" + std::to_string(::getpid()) + "_" + name);
}

bool same_value(const gguf::Value& a, const gguf::Value& b) {
  if (a.type != b.type) return false;
  if (a.type != gguf::ValueType::Array) {
    if (a.type == gguf::ValueType::String) return std::get<std::string>(a.data) == std::get<std::string>(b.data);
    if (a.type == gguf::ValueType::Bool) return std::get<bool>(a.data) == std::get<bool>(b.data);
    if (a.type == gguf::ValueType::F32 || a.type == gguf::ValueType::F64)
      return std::get<double>(a.data) == std::get<double>(b.data);
    if (auto u = std::get_if<std::uint64_t>(&a.data)) return *u == std::get<std::uint64_t>(b.data);
    return std::get<std::int64_t>(a.data) == std::get<std::int64_t>(b.data);
  }
  const auto& x = std::get<gguf::Array>(a.data);
  const auto& y = std::get<gguf::Array>(b.data);
  if (x.elem_type() != y.elem_type() || x.size() != y.size()) return false;
  return std::equal(x.begin(), x.end(), y.begin(), y.end(), same_value);
}

std::vector<float> values(const gguf::File& f, const gguf::TensorInfo& t) {
  std::vector<float> v(std::size_t(t.n_elements()));
  kernels::dequantize_row(t.type, f.tensor_data(t).data(), v.data(), t.n_elements());
  return v;
}

TEST(Quantize, ToQ8_0WithinTheErrorBound) {
  for (const char* fam : {"llama", "qwen2", "gemma3"}) {
    SCOPED_TRACE(fam);
    const gguf::File in = gguf::File::open(kGolden + "tiny-" + fam + "-Q4_K_M.gguf");
    const fs::path out = temp_file(std::string(fam) + "-q8.gguf");
    const RequantizeResult r = requantize(in, FileType::Q8_0, out);
    const gguf::File q = gguf::File::open(out);
    ASSERT_EQ(q.tensors().size(), in.tensors().size());
    EXPECT_EQ(r.file_size, fs::file_size(out));
    std::size_t converted = 0;
    for (std::size_t i = 0; i < in.tensors().size(); ++i) {
      const auto& a = in.tensors()[i];
      const auto& b = q.tensors()[i];
      ASSERT_EQ(a.name, b.name);
      ASSERT_EQ(std::vector<std::int64_t>(a.ne, a.ne + 4), std::vector<std::int64_t>(b.ne, b.ne + 4)) << a.name;
      if (a.n_dims < 2) {  // norms and biases: kept as they were
        EXPECT_EQ(b.type, a.type) << a.name;
        const auto da = in.tensor_data(a), db = q.tensor_data(b);
        EXPECT_TRUE(da.size() == db.size() && std::memcmp(da.data(), db.data(), da.size()) == 0) << a.name;
        continue;
      }
      ASSERT_EQ(b.type, DType::Q8_0) << a.name;
      ++converted;
      const auto x = values(in, a), y = values(q, b);
      int bad = 0;
      for (std::size_t blk = 0; blk < x.size() / 32; ++blk) {
        float amax = 0;
        for (int j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(x[blk * 32 + j]));
        const float d = amax / 127;
        const float tol = 0.5f * d + 127 * d / 2048 + 1e-30f;
        for (int j = 0; j < 32; ++j)
          if (!(std::fabs(x[blk * 32 + j] - y[blk * 32 + j]) <= tol) && ++bad <= 3)
            ADD_FAILURE() << a.name << " element " << blk * 32 + j << ": " << x[blk * 32 + j] << " -> "
                          << y[blk * 32 + j];
      }
      EXPECT_EQ(bad, 0) << a.name;
    }
    EXPECT_EQ(r.n_converted, converted);
    EXPECT_GT(converted, 0u);
    // metadata: same keys, same order, same values except the file type
    ASSERT_EQ(q.metadata().size(), in.metadata().size());
    for (std::size_t i = 0; i < in.metadata().size(); ++i) {
      const auto& ka = in.metadata()[i];
      const auto& kb = q.metadata()[i];
      ASSERT_EQ(ka.key, kb.key);
      if (ka.key == "general.file_type") {
        EXPECT_EQ(q.get<std::uint32_t>(kb.key), 7u);
      } else {
        EXPECT_TRUE(same_value(ka.value, kb.value)) << ka.key;
      }
    }
    fs::remove(out);
  }
}

// Round trip through Q8_0 back to Q4_K_M: the tool's plan gives llama-quantize's types again.
TEST(Quantize, BackToQ4_K_MGivesLlamaQuantizeTypes) {
  for (const char* fam : {"gemma2", "qwen2"}) {
    SCOPED_TRACE(fam);
    const gguf::File orig = gguf::File::open(kGolden + "tiny-" + fam + "-Q4_K_M.gguf");
    const fs::path q8 = temp_file("rt-q8.gguf"), q4 = temp_file("rt-q4.gguf");
    requantize(orig, FileType::Q8_0, q8);
    requantize(gguf::File::open(q8), FileType::Q4_K_M, q4);
    const gguf::File back = gguf::File::open(q4);
    EXPECT_EQ(back.get<std::uint32_t>("general.file_type"), 15u);
    ASSERT_EQ(back.tensors().size(), orig.tensors().size());
    for (std::size_t i = 0; i < orig.tensors().size(); ++i)
      EXPECT_EQ(kernels::dtype_name(back.tensors()[i].type), kernels::dtype_name(orig.tensors()[i].type))
          << orig.tensors()[i].name;
    fs::remove(q8);
    fs::remove(q4);
  }
}

// F16: every converted value is the input value rounded to binary16 (relative error <= 2^-11).
TEST(Quantize, ToF16) {
  const gguf::File in = gguf::File::open(kGolden + "tiny-llama-Q4_K_M.gguf");
  const fs::path out = temp_file("f16.gguf");
  requantize(in, FileType::F16, out);
  const gguf::File h = gguf::File::open(out);
  for (std::size_t i = 0; i < in.tensors().size(); ++i) {
    const auto& a = in.tensors()[i];
    const auto& b = h.tensors()[i];
    EXPECT_EQ(b.type, a.n_dims >= 2 ? DType::F16 : a.type) << a.name;
    const auto x = values(in, a), y = values(h, b);
    for (std::size_t j = 0; j < x.size(); ++j)
      ASSERT_LE(std::fabs(x[j] - y[j]), std::fabs(x[j]) / 2048 + 3e-8f) << a.name << " " << j;
  }
  fs::remove(out);
}

// Rows are split between threads; the bytes must not depend on how many.
TEST(Quantize, ThreadCountDoesNotChangeTheOutput) {
  const gguf::File in = gguf::File::open(kGolden + "tiny-gemma3-Q4_K_M.gguf");
  const fs::path one = temp_file("t1.gguf"), three = temp_file("t3.gguf");
  requantize(in, FileType::Q8_0, one, {}, 1);
  requantize(in, FileType::Q8_0, three, {}, 3);
  auto bytes = [](const fs::path& p) {
    std::vector<char> v(fs::file_size(p));
    std::FILE* f = std::fopen(p.c_str(), "rb");
    EXPECT_EQ(std::fread(v.data(), 1, v.size(), f), v.size());
    std::fclose(f);
    return v;
  };
  EXPECT_TRUE(bytes(one) == bytes(three));
  fs::remove(one);
  fs::remove(three);
}

TEST(Quantize, CommandLine) {
  const std::string slm = SLM_BINARY_DIR "/tools/slm";
  const fs::path out = temp_file("cli-q8.gguf");
  auto run = [](const std::string& cmd) {
    const int rc = std::system((cmd + " > /dev/null 2>&1").c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  };
  const std::string in = kGolden + "tiny-qwen2-Q4_K_M.gguf";
  ASSERT_EQ(run(slm + " quantize " + in + " " + out.string() + " q8_0"), 0);
  EXPECT_EQ(gguf::File::open(out).get<std::uint32_t>("general.file_type"), 7u);
  fs::remove(out);
  EXPECT_EQ(run(slm + " quantize " + in + " " + out.string() + " Q2_K"), 1);  // unknown type
  EXPECT_EQ(run(slm + " quantize " + in + " " + in + " Q8_0"), 1);            // onto its input
  EXPECT_EQ(run(slm + " quantize " + in), 1);
  EXPECT_FALSE(fs::exists(out));
}

// The writer's streamed tensors: the producer must write exactly the tensor's size.
TEST(Quantize, StreamedTensorWithWrongSizeIsRejected) {
  const std::int64_t shape[] = {32, 2};  // Q8_0: 2 rows of 34 bytes
  for (std::size_t n : {std::size_t{67}, std::size_t{69}}) {
    gguf::Writer w;
    w.add_tensor("t", DType::Q8_0, shape, [n](const gguf::Writer::Sink& sink) {
      const std::vector<std::uint8_t> bytes(n, 0);
      sink(bytes);
    });
    try {
      w.to_bytes();
      ADD_FAILURE() << n << " bytes accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), Error::Kind::Argument);
    }
  }
  gguf::Writer ok;
  ok.add_tensor("t", DType::Q8_0, shape, [](const gguf::Writer::Sink& sink) {
    const std::vector<std::uint8_t> row(34, 1);
    sink(row);
    sink(row);
  });
  const gguf::File f = gguf::File::from_bytes(ok.to_bytes());
  ASSERT_EQ(f.tensors().size(), 1u);
  EXPECT_EQ(f.tensor_data(f.tensors()[0])[67], 1);
}

}  // namespace
}  // namespace slm::model
