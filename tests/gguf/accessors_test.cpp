// File::get<T> / get_optional<T>: which stored types convert to which requested types, and
// that a failure names the key (and the record's offset when the key exists).

#include <gtest/gtest.h>

#include <limits>

#include "gguf/reader.hpp"
#include "gguf/writer.hpp"
#include "slm/error.hpp"

using namespace slm::gguf;
using slm::Error;

namespace {

struct Fixture {
  Layout layout;
  File file;
};

Fixture make() {
  Writer w;
  w.add("u32", Value::u32(300));
  w.add("i32.neg", Value::i32(-1));
  w.add("u64.big", Value::u64(std::numeric_limits<std::uint64_t>::max()));
  w.add("i8", Value::i8(-128));
  w.add("f32", Value::f32(0.25f));
  w.add("f64", Value::f64(1e-300));
  w.add("bool", Value::boolean(true));
  w.add("str", Value::string("llama"));
  w.add("strs", Value::array(ValueType::String, {Value::string("a"), Value::string("")}));
  w.add("f32s", Value::array(ValueType::F32, {Value::f32(1.5f), Value::f32(-2)}));
  w.add("u32s", Value::array(ValueType::U32, {Value::u32(7), Value::u32(0xFFFFFFFFu)}));
  w.add("i32s", Value::array(ValueType::I32, {Value::i32(-3), Value::i32(4)}));
  return {w.layout(), File::from_bytes(w.to_bytes(), "acc.gguf")};
}

template <class T, class F>
void expect_error(const Fixture& fx, const char* key, F&& get, const char* substr, bool with_offset = true) {
  try {
    get();
    FAIL() << key << ": expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Error::Kind::Format) << e.what();
    EXPECT_EQ(e.where(), key);
    EXPECT_EQ(e.file(), "acc.gguf");
    EXPECT_NE(e.message().find(substr), std::string::npos) << e.what();
    if (with_offset) {
      const KeyValue* kv = fx.file.find_kv(key);
      ASSERT_NE(kv, nullptr);
      EXPECT_EQ(e.offset(), kv->offset);
    } else {
      EXPECT_FALSE(e.has_offset());
    }
  }
}

TEST(Accessors, IntegersConvertWhenTheValueFits) {
  const auto fx = make();
  const File& f = fx.file;
  EXPECT_EQ(f.get<std::uint32_t>("u32"), 300u);
  EXPECT_EQ(f.get<std::int64_t>("u32"), 300);
  EXPECT_EQ(f.get<std::uint16_t>("u32"), 300u);
  EXPECT_EQ(f.get<std::int32_t>("i32.neg"), -1);
  EXPECT_EQ(f.get<std::int8_t>("i8"), -128);
  EXPECT_EQ(f.get<std::int64_t>("i8"), -128);
  EXPECT_EQ(f.get<std::uint64_t>("u64.big"), std::numeric_limits<std::uint64_t>::max());
  expect_error<std::uint8_t>(
      fx, "u32", [&] { (void)f.get<std::uint8_t>("u32"); }, "does not fit in u8");
  expect_error<std::uint32_t>(
      fx, "i32.neg", [&] { (void)f.get<std::uint32_t>("i32.neg"); }, "does not fit in u32");
  expect_error<std::int64_t>(
      fx, "u64.big", [&] { (void)f.get<std::int64_t>("u64.big"); }, "does not fit in i64");
  expect_error<std::uint64_t>(
      fx, "i8", [&] { (void)f.get<std::uint64_t>("i8"); }, "-128 does not fit");
}

TEST(Accessors, NoConversionBetweenKinds) {
  const auto fx = make();
  const File& f = fx.file;
  EXPECT_FLOAT_EQ(f.get<float>("f32"), 0.25f);
  EXPECT_DOUBLE_EQ(f.get<double>("f32"), 0.25);
  EXPECT_DOUBLE_EQ(f.get<double>("f64"), 1e-300);
  EXPECT_TRUE(f.get<bool>("bool"));
  EXPECT_EQ(f.get<std::string>("str"), "llama");
  expect_error<float>(
      fx, "u32", [&] { (void)f.get<float>("u32"); }, "expected f32, found u32");
  expect_error<std::uint32_t>(
      fx, "f32", [&] { (void)f.get<std::uint32_t>("f32"); }, "expected u32, found f32");
  expect_error<bool>(
      fx, "u32", [&] { (void)f.get<bool>("u32"); }, "expected bool");
  expect_error<std::string>(
      fx, "strs", [&] { (void)f.get<std::string>("strs"); }, "found array of string");
  expect_error<std::int32_t>(
      fx, "str", [&] { (void)f.get<std::int32_t>("str"); }, "expected i32, found string");
}

TEST(Accessors, Arrays) {
  const auto fx = make();
  const File& f = fx.file;
  EXPECT_EQ(f.get<std::vector<std::string>>("strs"), (std::vector<std::string>{"a", ""}));
  EXPECT_EQ(f.get<std::vector<float>>("f32s"), (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(f.get<std::vector<std::int32_t>>("i32s"), (std::vector<std::int32_t>{-3, 4}));
  EXPECT_EQ(f.get<std::vector<std::uint32_t>>("u32s"), (std::vector<std::uint32_t>{7, 0xFFFFFFFFu}));
  expect_error<std::vector<std::int32_t>>(
      fx, "u32s", [&] { (void)f.get<std::vector<std::int32_t>>("u32s"); },
      "element 1: value 4294967295 does not fit in i32");
  expect_error<std::vector<std::uint32_t>>(
      fx, "i32s", [&] { (void)f.get<std::vector<std::uint32_t>>("i32s"); }, "element 0");
  expect_error<std::vector<float>>(
      fx, "i32s", [&] { (void)f.get<std::vector<float>>("i32s"); }, "expected f32, found i32");
  expect_error<std::vector<std::string>>(
      fx, "str", [&] { (void)f.get<std::vector<std::string>>("str"); }, "expected array of strings, found string");
}

TEST(Accessors, MissingKeys) {
  const auto fx = make();
  const File& f = fx.file;
  EXPECT_EQ(f.find("nope"), nullptr);
  EXPECT_FALSE(f.get_optional<std::uint32_t>("nope").has_value());
  EXPECT_EQ(f.get_optional<std::uint32_t>("u32"), 300u);
  expect_error<std::uint32_t>(
      fx, "nope", [&] { (void)f.get<std::uint32_t>("nope"); }, "missing", false);
  // get_optional still rejects a present key of the wrong type.
  expect_error<std::string>(
      fx, "u32", [&] { (void)f.get_optional<std::string>("u32"); }, "expected string");
}

}  // namespace
