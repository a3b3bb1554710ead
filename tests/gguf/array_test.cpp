// gguf::Array: elements kept in their GGUF wire encoding. The encoding is checked against
// bytes spelled out from the format (gguf/format.hpp), not against our own writer; then
// nested arrays are decoded after a round trip through a file, an array outlives the File
// (and the mapping) it came from, and the typed bulk accessors agree with the iterator.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <limits>

#include "gguf/reader.hpp"
#include "gguf/writer.hpp"
#include "slm/error.hpp"

namespace fs = std::filesystem;
using namespace slm::gguf;
using Bytes = std::vector<std::uint8_t>;

namespace {

static_assert(std::forward_iterator<Array::Iterator>);

// Little-endian bytes of an integer of `n` bytes, as the format spells them.
Bytes le(std::uint64_t v, int n) {
  Bytes b;
  for (int i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  return b;
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes str(std::string_view s) { return cat({le(s.size(), 8), Bytes(s.begin(), s.end())}); }
Bytes bytes_of(std::span<const std::uint8_t> s) { return {s.begin(), s.end()}; }

const Array& array_of(const Value& v) { return std::get<Array>(v.data); }

// [[1, 2], [], [65535]] as u16 arrays inside an array.
Value nested_u16() {
  return Value::array(ValueType::Array, {Value::array(ValueType::U16, {Value::u16(1), Value::u16(2)}),
                                         Value::array(ValueType::U16, {}),
                                         Value::array(ValueType::U16, {Value::u16(65535)})});
}

std::vector<std::vector<std::uint64_t>> decode_nested(const Value& v) {
  std::vector<std::vector<std::uint64_t>> out;
  for (const Value& inner : array_of(v)) {
    EXPECT_EQ(inner.type, ValueType::Array);
    EXPECT_EQ(array_of(inner).elem_type(), ValueType::U16);
    auto& row = out.emplace_back();
    for (const Value& x : array_of(inner)) {
      EXPECT_EQ(x.type, ValueType::U16);
      row.push_back(std::get<std::uint64_t>(x.data));
    }
  }
  return out;
}

const std::vector<std::vector<std::uint64_t>> kNested = {{1, 2}, {}, {65535}};

TEST(Array, EncodingIsTheWireFormat) {
  const Value s = Value::array(ValueType::String, {Value::string("ab"), Value::string("")});
  EXPECT_EQ(array_of(s).size(), 2u);
  EXPECT_EQ(bytes_of(array_of(s).encoded()), cat({str("ab"), str("")}));

  const Value f = Value::array(ValueType::F32, {Value::f32(1.0f), Value::f32(-2.0f)});
  EXPECT_EQ(bytes_of(array_of(f).encoded()), cat({le(0x3F800000, 4), le(0xC0000000, 4)}));

  const Value b = Value::array(ValueType::Bool, {Value::boolean(true), Value::boolean(false)});
  EXPECT_EQ(bytes_of(array_of(b).encoded()), (Bytes{1, 0}));

  // Nested: each inner array is element type, count, elements.
  const Value n = nested_u16();
  EXPECT_EQ(array_of(n).size(), 3u);
  EXPECT_EQ(bytes_of(array_of(n).encoded()),
            cat({le(2, 4), le(2, 8), le(1, 2), le(2, 2), le(2, 4), le(0, 8), le(2, 4), le(1, 8), le(65535, 2)}));

  // The writer puts the element type and count in front of exactly these bytes.
  Writer w;
  w.add("n", n);
  const Layout layout = w.layout();
  const Bytes file = w.to_bytes();
  EXPECT_EQ(Bytes(file.begin() + layout.kvs[0].value, file.begin() + layout.kvs[0].end),
            cat({le(9, 4), le(3, 8), bytes_of(array_of(n).encoded())}));
}

TEST(Array, NestedArraysSurviveARoundTrip) {
  const Value n = nested_u16();
  EXPECT_EQ(decode_nested(n), kNested);
  Writer w;
  w.add("nested", n);
  w.add("after", Value::u32(7));  // the nested array's extent must be right for this to be found
  const File f = File::from_bytes(w.to_bytes());
  ASSERT_NE(f.find("nested"), nullptr);
  EXPECT_EQ(decode_nested(*f.find("nested")), kNested);
  EXPECT_EQ(bytes_of(array_of(*f.find("nested")).encoded()), bytes_of(array_of(n).encoded()));
  EXPECT_EQ(f.get<std::uint32_t>("after"), 7u);

  // Three levels, reached through the iterator's post-increment and std::vector's range constructor.
  const Value deep = Value::array(ValueType::Array, {n, n});
  const std::vector<Value> outer(array_of(deep).begin(), array_of(deep).end());
  ASSERT_EQ(outer.size(), 2u);
  auto it = array_of(deep).begin();
  const Value first = *it++;
  EXPECT_EQ(decode_nested(first), kNested);
  EXPECT_EQ(decode_nested(*it), kNested);
  EXPECT_EQ(++it, array_of(deep).end());
}

TEST(Array, ValueOutlivesItsFile) {
  const fs::path path = fs::temp_directory_path() / ("slm_gguf_array_" + std::to_string(::getpid()) + ".gguf");
  std::vector<Value> tokens;
  for (int i = 0; i < 1000; ++i) tokens.push_back(Value::string("tok" + std::to_string(i)));
  Writer w;
  w.add("tokens", Value::array(ValueType::String, tokens));
  w.add("nested", nested_u16());
  w.write_file(path);

  Value copied_tokens, copied_nested;
  {
    const File f = File::open(path, OpenOptions{.use_mmap = true});
    copied_tokens = *f.find("tokens");
    copied_nested = *f.find("nested");
  }  // the mapping is gone: the copies must not point into it
  fs::remove(path);

  const Array& a = array_of(copied_tokens);
  ASSERT_EQ(a.size(), 1000u);
  const std::vector<std::string> s = a.strings();
  std::size_t i = 0;
  for (const Value& v : a) {
    ASSERT_LT(i, s.size());
    EXPECT_EQ(std::get<std::string>(v.data), "tok" + std::to_string(i));
    EXPECT_EQ(s[i], "tok" + std::to_string(i));
    ++i;
  }
  EXPECT_EQ(i, 1000u);
  EXPECT_EQ(decode_nested(copied_nested), kNested);
}

TEST(Array, TypedBulkAccessMatchesTheElements) {
  const Value i32 = Value::array(ValueType::I32, {Value::i32(-3), Value::i32(std::numeric_limits<std::int32_t>::max())});
  EXPECT_EQ(array_of(i32).numbers<std::int32_t>(), (std::vector<std::int32_t>{-3, 2147483647}));
  const Value u64 = Value::array(ValueType::U64, {Value::u64(~std::uint64_t{0}), Value::u64(5)});
  EXPECT_EQ(array_of(u64).numbers<std::uint64_t>(), (std::vector<std::uint64_t>{~std::uint64_t{0}, 5}));
  const Value f64 = Value::array(ValueType::F64, {Value::f64(1e-300)});
  EXPECT_EQ(array_of(f64).numbers<double>(), (std::vector<double>{1e-300}));
  const Value i8 = Value::array(ValueType::I8, {Value::i8(-128), Value::i8(127)});
  EXPECT_EQ(array_of(i8).numbers<std::int8_t>(), (std::vector<std::int8_t>{-128, 127}));
  EXPECT_TRUE(array_of(Value::array(ValueType::F32, {})).numbers<float>().empty());
  EXPECT_TRUE(Array().empty());
  EXPECT_EQ(Array().begin(), Array().end());

  // Only the exact element type: a u32 array is not read as i32 (File::get converts instead).
  try {
    (void)array_of(i32).numbers<std::uint32_t>();
    FAIL() << "expected an error";
  } catch (const slm::Error& e) {
    EXPECT_EQ(e.kind(), slm::Error::Kind::Argument);
    EXPECT_NE(e.message().find("expected an array of u32, found an array of i32"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)array_of(i32).strings(), slm::Error);
}

TEST(Array, BuildingRejectsItemsOfAnotherType) {
  try {
    (void)Value::array(ValueType::U32, {Value::u32(1), Value::i32(2)});
    FAIL() << "expected an error";
  } catch (const slm::Error& e) {
    EXPECT_EQ(e.kind(), slm::Error::Kind::Argument);
    EXPECT_NE(e.message().find("array of u32 holds a i32"), std::string::npos) << e.what();
  }
  // A value whose representation does not match its type; the writer names the key.
  const Value bad{ValueType::U8, std::string("x")};
  EXPECT_THROW((void)Value::array(ValueType::U8, {bad}), slm::Error);
  Writer w;
  w.add("bad", bad);
  try {
    (void)w.to_bytes();
    FAIL() << "expected an error";
  } catch (const slm::Error& e) {
    EXPECT_EQ(e.kind(), slm::Error::Kind::Argument);
    EXPECT_EQ(e.where(), "bad");
    EXPECT_NE(e.message().find("wrong representation"), std::string::npos) << e.what();
  }
}

}  // namespace
