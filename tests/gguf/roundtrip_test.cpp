// Writer -> reader round trips with random metadata of every value type (nested arrays and
// string arrays included) and random tensors of several types, from memory and from disk
// (mmap and read), plus the reverse direction: reader -> writer gives the same bytes.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>

#include "gguf/reader.hpp"
#include "gguf/writer.hpp"
#include "slm/error.hpp"

namespace fs = std::filesystem;
using namespace slm::gguf;
using slm::kernels::DType;

namespace {

class Random {
 public:
  explicit Random(std::uint64_t seed) : rng_(seed) {}
  std::uint64_t bits() { return rng_(); }
  std::uint64_t below(std::uint64_t n) { return rng_() % n; }
  std::string text(std::size_t max_len) {
    std::string s(below(max_len + 1), '\0');
    for (char& c : s) c = static_cast<char>(below(256));  // any byte, NUL included
    return s;
  }

  Value value(ValueType t, int depth) {
    switch (t) {
      case ValueType::U8: return Value::u8(static_cast<std::uint8_t>(bits()));
      case ValueType::I8: return Value::i8(static_cast<std::int8_t>(bits()));
      case ValueType::U16: return Value::u16(static_cast<std::uint16_t>(bits()));
      case ValueType::I16: return Value::i16(static_cast<std::int16_t>(bits()));
      case ValueType::U32: return Value::u32(static_cast<std::uint32_t>(bits()));
      case ValueType::I32: return Value::i32(static_cast<std::int32_t>(bits()));
      case ValueType::U64: return Value::u64(bits());
      case ValueType::I64: return Value::i64(static_cast<std::int64_t>(bits()));
      case ValueType::F32: {  // any bit pattern, NaNs and infinities included
        const auto b = static_cast<std::uint32_t>(bits());
        float f;
        std::memcpy(&f, &b, 4);
        return Value::f32(f);
      }
      case ValueType::F64: {
        const auto b = bits();
        double d;
        std::memcpy(&d, &b, 8);
        return Value::f64(d);
      }
      case ValueType::Bool: return Value::boolean(bits() & 1);
      case ValueType::String: return Value::string(text(40));
      case ValueType::Array: {
        // Nesting stops at three levels so arrays stay small.
        ValueType e = static_cast<ValueType>(below(13));
        if (e == ValueType::Array && depth >= 2) e = ValueType::U8;
        std::vector<Value> items(below(depth == 0 ? 20 : 5));
        for (auto& v : items) v = value(e, depth + 1);
        return Value::array(e, std::move(items));
      }
    }
    return {};
  }

 private:
  std::mt19937_64 rng_;
};

bool same(const Value& a, const Value& b) {
  if (a.type != b.type) return false;
  if (a.type == ValueType::F32 || a.type == ValueType::F64) {  // bitwise, so NaNs compare
    const double x = std::get<double>(a.data), y = std::get<double>(b.data);
    if (a.type == ValueType::F32) {
      const float fx = static_cast<float>(x), fy = static_cast<float>(y);
      return std::memcmp(&fx, &fy, 4) == 0;
    }
    return std::memcmp(&x, &y, 8) == 0;
  }
  if (a.data.index() != b.data.index()) return false;
  if (const auto* u = std::get_if<std::uint64_t>(&a.data)) return *u == std::get<std::uint64_t>(b.data);
  if (const auto* i = std::get_if<std::int64_t>(&a.data)) return *i == std::get<std::int64_t>(b.data);
  if (const auto* x = std::get_if<bool>(&a.data)) return *x == std::get<bool>(b.data);
  if (const auto* s = std::get_if<std::string>(&a.data)) return *s == std::get<std::string>(b.data);
  const Array &x = std::get<Array>(a.data), &y = std::get<Array>(b.data);
  if (x.elem_type() != y.elem_type() || x.size() != y.size()) return false;
  return std::equal(x.begin(), x.end(), y.begin(), y.end(), same);
}

struct Expected {
  std::vector<std::pair<std::string, Value>> kvs;
  struct Tensor {
    std::string name;
    DType type;
    std::vector<std::int64_t> shape;
    std::vector<std::uint8_t> data;
  };
  std::vector<Tensor> tensors;
};

Expected random_content(std::uint64_t seed, std::optional<std::uint32_t> alignment) {
  Random r(seed);
  Expected e;
  if (alignment) e.kvs.emplace_back("general.alignment", Value::u32(*alignment));
  for (int round = 0; round < 3; ++round)
    for (std::uint32_t t = 0; t < 13; ++t)
      e.kvs.emplace_back("k" + std::to_string(round) + ".type" + std::to_string(t),
                         r.value(static_cast<ValueType>(t), 0));
  std::vector<Value> strings;
  for (int i = 0; i < 50; ++i) strings.push_back(Value::string(r.text(12)));
  e.kvs.emplace_back("tokenizer.ggml.tokens", Value::array(ValueType::String, std::move(strings)));
  e.kvs.emplace_back("empty.array", Value::array(ValueType::F32, {}));
  e.kvs.emplace_back("empty.string", Value::string(""));
  // A three-level nested array: [[[u16...]...]...]
  std::vector<Value> outer;
  for (int i = 0; i < 3; ++i) {
    std::vector<Value> mid;
    for (int j = 0; j < 2; ++j) {
      std::vector<Value> inner;
      for (int k = 0; k < i + j; ++k) inner.push_back(Value::u16(static_cast<std::uint16_t>(r.bits())));
      mid.push_back(Value::array(ValueType::U16, std::move(inner)));
    }
    outer.push_back(Value::array(ValueType::Array, std::move(mid)));
  }
  e.kvs.emplace_back("nested", Value::array(ValueType::Array, std::move(outer)));

  const DType types[] = {DType::F32, DType::F16, DType::BF16, DType::Q4_0, DType::Q8_0, DType::Q4_K, DType::Q6_K};
  for (int i = 0; i < 12; ++i) {
    const DType t = types[r.below(std::size(types))];
    const auto& info = slm::kernels::dtype_info(t);
    std::vector<std::int64_t> shape{info.block_elems * static_cast<std::int64_t>(1 + r.below(3))};
    for (std::uint64_t d = r.below(4); d > 0; --d) shape.push_back(static_cast<std::int64_t>(1 + r.below(3)));
    std::int64_t n = shape[0] / info.block_elems * info.block_bytes;
    for (std::size_t d = 1; d < shape.size(); ++d) n *= shape[d];
    std::vector<std::uint8_t> data(static_cast<std::size_t>(n));
    for (auto& b : data) b = static_cast<std::uint8_t>(r.bits());
    e.tensors.push_back({"blk." + std::to_string(i) + ".w", t, shape, std::move(data)});
  }
  return e;
}

Writer make_writer(const Expected& e, std::uint32_t version = 3) {
  Writer w(version);
  for (const auto& [k, v] : e.kvs) w.add(k, v);
  for (const auto& t : e.tensors) w.add_tensor(t.name, t.type, t.shape, std::span<const std::uint8_t>(t.data));
  return w;
}

void check_file(const File& f, const Expected& e, const Layout& layout, std::uint64_t alignment) {
  ASSERT_EQ(f.alignment(), alignment);
  ASSERT_EQ(f.metadata().size(), e.kvs.size());
  for (std::size_t i = 0; i < e.kvs.size(); ++i) {
    EXPECT_EQ(f.metadata()[i].key, e.kvs[i].first);
    EXPECT_EQ(f.metadata()[i].offset, layout.kvs[i].record);
    EXPECT_TRUE(same(f.metadata()[i].value, e.kvs[i].second)) << e.kvs[i].first;
    ASSERT_NE(f.find(e.kvs[i].first), nullptr);
  }
  EXPECT_EQ(f.data_offset(), layout.data_offset);
  EXPECT_EQ(f.data_offset() % alignment, 0u);
  EXPECT_EQ(f.file_size(), layout.file_size);
  ASSERT_EQ(f.tensors().size(), e.tensors.size());
  for (std::size_t i = 0; i < e.tensors.size(); ++i) {
    const TensorInfo& t = f.tensors()[i];
    const auto& x = e.tensors[i];
    EXPECT_EQ(t.name, x.name);
    EXPECT_EQ(t.type, x.type);
    ASSERT_EQ(t.n_dims, static_cast<int>(x.shape.size()));
    for (int d = 0; d < 4; ++d) EXPECT_EQ(t.ne[d], d < t.n_dims ? x.shape[d] : 1);
    EXPECT_EQ(t.offset, layout.tensor_offsets[i]);
    EXPECT_EQ(t.offset % alignment, 0u);
    EXPECT_EQ(f.find_tensor(x.name), &t);
    const auto data = f.tensor_data(t);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), x.data.begin(), x.data.end())) << x.name;
  }
}

fs::path temp_file(const std::string& tag) {
  return fs::temp_directory_path() / ("slm_gguf_roundtrip_" + std::to_string(::getpid()) + "_" + tag + ".gguf");
}

class RoundTrip
    : public ::testing::TestWithParam<std::tuple<std::uint64_t, std::optional<std::uint32_t>, std::uint32_t>> {};

TEST_P(RoundTrip, WriteThenReadGivesTheSameContentAndBytes) {
  const auto [seed, alignment, version] = GetParam();
  const Expected e = random_content(seed, alignment);
  const Writer w = make_writer(e, version);
  const Layout layout = w.layout();
  const std::vector<std::uint8_t> bytes = w.to_bytes();
  ASSERT_EQ(bytes.size(), layout.file_size);
  const std::uint64_t align = alignment.value_or(32);

  const File mem = File::from_bytes(bytes, "mem");
  EXPECT_EQ(mem.version(), version);
  check_file(mem, e, layout, align);
  EXPECT_EQ(Writer::copy_of(mem).to_bytes(), bytes);

  const fs::path path = temp_file(std::to_string(seed) + "_" + std::to_string(align));
  w.write_file(path);
  for (bool mmap : {true, false}) {
    const File disk = File::open(path, OpenOptions{.use_mmap = mmap});
    EXPECT_EQ(disk.path(), path.string());
    check_file(disk, e, layout, align);
    EXPECT_EQ(Writer::copy_of(disk).to_bytes(), bytes);
  }
  fs::remove(path);
}

INSTANTIATE_TEST_SUITE_P(Seeds, RoundTrip,
                         ::testing::Values(std::make_tuple(1u, std::nullopt, 3u), std::make_tuple(2u, 64u, 3u),
                                           std::make_tuple(3u, 8u, 3u), std::make_tuple(4u, 1u, 2u),
                                           std::make_tuple(5u, 4096u, 3u), std::make_tuple(6u, std::nullopt, 2u)));

TEST(RoundTrip, FileWithoutTensorsEndsAfterMetadata) {
  Writer w;
  w.add("general.architecture", Value::string("llama"));
  const auto bytes = w.to_bytes();
  EXPECT_EQ(bytes.size(), 24u + 8 + 20 + 4 + 8 + 5);
  const File f = File::from_bytes(bytes);
  EXPECT_TRUE(f.tensors().empty());
  EXPECT_EQ(f.get<std::string>("general.architecture"), "llama");
}

TEST(RoundTrip, ScalarTensorHasNoDimensions) {
  Writer w;
  w.add_tensor("scale", DType::F32, std::span<const std::int64_t>{}, std::vector<std::uint8_t>{0, 0, 128, 63});
  const auto bytes = w.to_bytes();
  const File f = File::from_bytes(bytes);
  const TensorInfo& t = f.tensors().at(0);
  EXPECT_EQ(t.n_dims, 0);
  EXPECT_EQ(t.n_elements(), 1);
  EXPECT_EQ(t.n_bytes, 4u);
  float v;
  std::memcpy(&v, f.tensor_data(t).data(), 4);
  EXPECT_EQ(v, 1.0f);
  EXPECT_EQ(Writer::copy_of(f).to_bytes(), bytes);
}

TEST(RoundTrip, WriterRejectsDataOfTheWrongSize) {
  Writer w;
  const std::int64_t shape[] = {32, 2};
  std::vector<std::uint8_t> data(34);  // one Q8_0 block, the shape needs two
  try {
    w.add_tensor("x", DType::Q8_0, shape, data);
    FAIL() << "expected an error";
  } catch (const slm::Error& err) {
    EXPECT_EQ(err.kind(), slm::Error::Kind::Argument);
    EXPECT_EQ(err.where(), "x");
  }
}

}  // namespace
