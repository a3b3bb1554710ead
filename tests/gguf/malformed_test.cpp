// Malformed GGUF files: each is written by the writer, then one field is damaged (or the
// writer is asked for something invalid). The reader must throw the specific slm::Error
// (kind, a distinctive message, the byte offset where the bad field starts) and never crash
// or allocate in proportion to a lying count. Every case is read from memory and from a
// file on disk through mmap.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <optional>
#include <random>

#include "gguf/reader.hpp"
#include "gguf/writer.hpp"
#include "slm/error.hpp"

namespace fs = std::filesystem;
using namespace slm::gguf;
using slm::Error;
using slm::kernels::DType;
using Bytes = std::vector<std::uint8_t>;
using Kind = Error::Kind;

namespace {

constexpr std::uint64_t kAny = ~std::uint64_t{0} - 1;  // "some offset, not checked"

template <class T>
void poke(Bytes& b, std::uint64_t at, T v) {
  ASSERT_LE(at + sizeof(T), b.size());
  std::memcpy(b.data() + at, &v, sizeof(T));
}

struct Expect {
  Expect(Kind k, std::string t, std::uint64_t off = kAny, std::optional<std::string> w = std::nullopt)
      : kind(k), text(std::move(t)), offset(off), where(std::move(w)) {}
  Kind kind;
  std::string text;                  // distinctive substring of the message
  std::uint64_t offset;              // kAny: not checked
  std::optional<std::string> where;  // the key or tensor named
};

void check(const Error& e, const Expect& x, const std::string& file) {
  EXPECT_EQ(e.kind(), x.kind) << e.what();
  EXPECT_NE(e.message().find(x.text), std::string::npos) << "message: " << e.what() << "\nwanted: " << x.text;
  EXPECT_EQ(e.file(), file);
  if (x.offset != kAny) {
    EXPECT_EQ(e.offset(), x.offset) << e.what();
  }
  if (x.where) {
    EXPECT_EQ(e.where(), *x.where) << e.what();
  }
  // The one-line form names the file and the offset.
  const std::string what = e.what();
  EXPECT_EQ(what.find('\n'), std::string::npos);
  EXPECT_EQ(what.rfind(file, 0), 0u) << what;
}

void expect_rejected(const Bytes& bytes, const Expect& x, const OpenOptions& options = {}) {
  try {
    File::from_bytes(bytes, "bad.gguf", options);
    ADD_FAILURE() << "from_bytes accepted a malformed file (wanted: " << x.text << ")";
  } catch (const Error& e) {
    check(e, x, "bad.gguf");
  }
  const fs::path path =
      fs::temp_directory_path() / ("slm_gguf_malformed_" + std::to_string(::getpid()) + "_" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".gguf");
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  try {
    OpenOptions o = options;
    o.use_mmap = true;
    File::open(path, o);
    ADD_FAILURE() << "open accepted a malformed file (wanted: " << x.text << ")";
  } catch (const Error& e) {
    check(e, x, path.string());
  }
  fs::remove(path);
}

// A small valid file: metadata of several kinds and three tensors.
struct Sample {
  Layout layout;
  Bytes bytes;
};

Sample sample(const std::function<void(Writer&)>& extra = {}) {
  Writer w;
  w.add("general.architecture", Value::string("llama"));
  w.add("llama.block_count", Value::u32(2));
  w.add("tokenizer.ggml.tokens", Value::array(ValueType::String, {Value::string("a"), Value::string("bc")}));
  w.add("tokenizer.ggml.scores", Value::array(ValueType::F32, {Value::f32(0), Value::f32(-1)}));
  const std::int64_t s1[] = {8, 2}, s2[] = {64, 2}, s3[] = {3};
  w.add_tensor("a.weight", DType::F32, s1, Bytes(64, 1));
  w.add_tensor("b.weight", DType::Q8_0, s2, Bytes(136, 2));
  w.add_tensor("c.bias", DType::F32, s3, Bytes(12, 3));
  if (extra) extra(w);
  return {w.layout(), w.to_bytes()};
}

TEST(Malformed, SampleIsValid) {
  const auto s = sample();
  const File f = File::from_bytes(s.bytes);
  EXPECT_EQ(f.tensors().size(), 3u);
  EXPECT_EQ(f.metadata().size(), 4u);
}

// --- header -------------------------------------------------------------------------------

TEST(Malformed, EmptyAndTinyFiles) {
  expect_rejected({}, {Kind::Format, "unexpected end of file reading the magic", 0});
  expect_rejected({'G', 'G', 'U'}, {Kind::Format, "unexpected end of file", 0});
}

TEST(Malformed, BadMagic) {
  auto s = sample();
  s.bytes[0] = 'g';
  expect_rejected(s.bytes, {Kind::Format, "bad magic 67 47 55 46", 0});
}

TEST(Malformed, Versions) {
  for (std::uint32_t v : {0u, 1u, 4u, 99u}) {
    auto s = sample();
    poke(s.bytes, 4, v);
    expect_rejected(s.bytes, {v == 0 ? Kind::Format : Kind::Unsupported,
                              "GGUF version " + std::to_string(v) + " is not supported", 4});
  }
  auto s = sample();
  poke(s.bytes, 4, std::uint32_t{3} << 24);  // version 3 written big-endian
  expect_rejected(s.bytes, {Kind::Unsupported, "byte-swapped (big-endian) file?", 4});
}

TEST(Malformed, CountsNearTwoToTheSixtyFour) {
  for (std::uint64_t n : {~std::uint64_t{0}, std::uint64_t{1} << 63}) {
    auto s = sample();
    poke(s.bytes, 8, n);
    expect_rejected(s.bytes, {Kind::Format, "tensor count " + std::to_string(n) + " is negative", 8});
    s = sample();
    poke(s.bytes, 16, n);
    expect_rejected(s.bytes, {Kind::Format, "metadata count " + std::to_string(n) + " is negative", 16});
  }
  for (std::uint64_t n : {(std::uint64_t{1} << 63) - 1, std::uint64_t{1} << 40}) {
    auto s = sample();
    poke(s.bytes, 8, n);
    expect_rejected(s.bytes, {Kind::Format, "tensor count " + std::to_string(n) + " cannot fit", 8});
    s = sample();
    poke(s.bytes, 16, n);
    expect_rejected(s.bytes, {Kind::Format, "metadata count " + std::to_string(n) + " cannot fit", 16});
  }
}

// --- truncation ---------------------------------------------------------------------------

TEST(Malformed, TruncatedAtEveryByteOfHeaderMetadataAndInfos) {
  const auto s = sample();
  for (std::uint64_t n = 0; n < s.layout.data_offset; ++n) {
    SCOPED_TRACE("truncated to " + std::to_string(n) + " bytes");
    const Bytes b(s.bytes.begin(), s.bytes.begin() + static_cast<std::ptrdiff_t>(n));
    try {
      File::from_bytes(b, "cut.gguf");
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), Kind::Format) << e.what();
      EXPECT_TRUE(e.has_offset()) << e.what();
      EXPECT_LE(e.offset(), n) << e.what();
      const std::string m = e.message();
      EXPECT_TRUE(m.find("unexpected end of file") != std::string::npos || m.find("cannot fit") != std::string::npos ||
                  m.find("truncated file?") != std::string::npos || m.find("runs past the end") != std::string::npos)
          << m;
    }
  }
}

TEST(Malformed, TruncatedAtEverySectionBoundary) {
  const auto s = sample();
  std::vector<std::uint64_t> cuts = {4, 8, 16, 24};
  for (const auto& k : s.layout.kvs) cuts.insert(cuts.end(), {k.record, k.type, k.value, k.end});
  for (const auto& t : s.layout.tensor_infos)
    cuts.insert(cuts.end(), {t.record, t.n_dims, t.dims, t.type, t.offset, t.end});
  cuts.push_back(s.layout.data_offset);
  for (auto d : s.layout.tensor_data) cuts.insert(cuts.end(), {d, d + 1});
  cuts.push_back(s.layout.tensor_data[2] + 11);  // the last tensor's last byte (its padding may be absent)
  for (std::uint64_t n : cuts) {
    SCOPED_TRACE("truncated to " + std::to_string(n) + " bytes");
    Bytes b(s.bytes.begin(), s.bytes.begin() + static_cast<std::ptrdiff_t>(n));
    try {
      File::from_bytes(std::move(b));
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), Kind::Format) << e.what();
    }
  }
}

TEST(Malformed, MissingPaddingAfterTheLastTensorIsAccepted) {
  auto s = sample();
  s.bytes.resize(s.layout.tensor_data[2] + 12);
  const File f = File::from_bytes(s.bytes);
  EXPECT_EQ(f.tensor_data(*f.find_tensor("c.bias")).size(), 12u);
}

TEST(Malformed, DataSectionShortByOneByte) {
  auto s = sample();
  s.bytes.resize(s.layout.tensor_data[2] + 11);  // c.bias needs 12 bytes
  expect_rejected(s.bytes, {Kind::Format, "runs past the end of the file", s.layout.tensor_infos[2].offset, "c.bias"});
}

// --- metadata -----------------------------------------------------------------------------

TEST(Malformed, KeyLengthPastEndOfFile) {
  auto s = sample();
  poke(s.bytes, s.layout.kvs[1].record, std::uint64_t{1} << 12);
  expect_rejected(s.bytes, {Kind::Format, "key length 4096 runs past the end", s.layout.kvs[1].record});
  poke(s.bytes, s.layout.kvs[1].record, ~std::uint64_t{0});
  expect_rejected(s.bytes, {Kind::Format, "exceeds the limit", s.layout.kvs[1].record});
}

TEST(Malformed, StringValueLengthPastEndOfFile) {
  auto s = sample();
  poke(s.bytes, s.layout.kvs[0].value, ~std::uint64_t{0} - 5);
  expect_rejected(s.bytes, {Kind::Format, "string value length", s.layout.kvs[0].value, "general.architecture"});
}

TEST(Malformed, StringInArrayLengthPastEndOfFile) {
  auto s = sample();
  const std::uint64_t first_string = s.layout.kvs[2].value + 4 + 8;
  poke(s.bytes, first_string, std::uint64_t{1} << 40);
  expect_rejected(s.bytes, {Kind::Format, "runs past the end", first_string, "tokenizer.ggml.tokens"});
}

TEST(Malformed, ArrayLengthOverflow) {
  // count * 4 bytes wraps around 2^64: the check must divide, not multiply.
  for (std::uint64_t n : {std::uint64_t{1} << 62, ~std::uint64_t{0}, std::uint64_t{3}}) {
    auto s = sample();
    poke(s.bytes, s.layout.kvs[3].value + 4, n);
    if (n == 3) {  // one more element than written: the next key's bytes are misread, not a crash
      EXPECT_THROW(File::from_bytes(s.bytes), Error);
      continue;
    }
    expect_rejected(s.bytes, {Kind::Format, "array of " + std::to_string(n) + " f32 elements cannot fit",
                              s.layout.kvs[3].value, "tokenizer.ggml.scores"});
  }
}

Value nest(int depth, Value leaf) {
  Value v = std::move(leaf);
  for (int i = 0; i < depth; ++i) {
    const ValueType t = v.type;
    v = Value::array(t, {std::move(v)});
  }
  return v;
}

TEST(Malformed, NestedArrayDepth) {
  // Eight levels are accepted, nine are not.
  const auto ok = sample([](Writer& w) { w.add("deep", nest(8, Value::u8(1))); });
  const File f = File::from_bytes(ok.bytes);
  EXPECT_NE(f.find("deep"), nullptr);
  const auto bad = sample([](Writer& w) { w.add("deeper", nest(9, Value::u8(1))); });
  const std::uint64_t ninth = bad.layout.kvs[4].value + 8 * (4 + 8);
  expect_rejected(bad.bytes, {Kind::Format, "arrays nested deeper than 8", ninth, "deeper"});
}

TEST(Malformed, ArrayBombHitsTheElementBudget) {
  // 2000 empty arrays inside one array: 24 KB of file, within the budget by default...
  std::vector<Value> empties(2000, Value::array(ValueType::U8, {}));
  auto s = sample([&](Writer& w) { w.add("bomb", Value::array(ValueType::Array, empties)); });
  EXPECT_NO_THROW(File::from_bytes(s.bytes));
  // ...but not within a budget of 1000 elements, which is checked before allocating.
  OpenOptions o;
  o.max_array_elements = 1000;
  expect_rejected(s.bytes,
                  {Kind::Resource, "metadata arrays hold more than 1000 elements", s.layout.kvs[4].value, "bomb"}, o);
  // The budget counts elements of all arrays together: the two vocab arrays hold 4.
  o.max_array_elements = 3;
  expect_rejected(sample().bytes, {Kind::Resource, "more than 3 elements", sample().layout.kvs[3].value}, o);
}

TEST(Malformed, DefaultBudgetStopsAFiveMillionElementArray) {
  // A u8 array claiming 5M elements, with 5M bytes after it so that the count fits the file:
  // the default budget (2^22) rejects it (decoded, it would be ~240 MB of Values).
  auto s = sample([](Writer& w) { w.add("big", Value::array(ValueType::U8, {Value::u8(1)})); });
  const std::uint64_t n = 5'000'000;
  poke(s.bytes, s.layout.kvs[4].value + 4, n);
  s.bytes.resize(s.bytes.size() + n);
  expect_rejected(s.bytes,
                  {Kind::Resource, "metadata arrays hold more than 4194304 elements", s.layout.kvs[4].value, "big"});
}

TEST(Malformed, BoolInsideAnArrayThatIsNeitherZeroNorOne) {
  // Nested too: every element is checked, not only a top-level bool.
  auto s = sample([](Writer& w) {
    w.add("flags", Value::array(ValueType::Array, {Value::array(ValueType::Bool, {Value::boolean(false),
                                                                                   Value::boolean(true)})}));
  });
  const std::uint64_t second = s.layout.kvs[4].value + 12 + 12 + 1;
  s.bytes[second] = 7;
  expect_rejected(s.bytes, {Kind::Format, "bool value 7 is neither 0 nor 1", second, "flags"});
}

TEST(Malformed, UnknownValueType) {
  auto s = sample();
  poke(s.bytes, s.layout.kvs[1].type, std::uint32_t{13});
  expect_rejected(s.bytes, {Kind::Format, "unknown value type 13", s.layout.kvs[1].type, "llama.block_count"});
  s = sample();
  poke(s.bytes, s.layout.kvs[3].value, std::uint32_t{0xFFFFFFFF});
  expect_rejected(s.bytes, {Kind::Format, "unknown array element type 4294967295", s.layout.kvs[3].value});
}

TEST(Malformed, BoolThatIsNeitherZeroNorOne) {
  auto s = sample([](Writer& w) { w.add("flag", Value::boolean(true)); });
  s.bytes[s.layout.kvs[4].value] = 2;
  expect_rejected(s.bytes, {Kind::Format, "bool value 2", s.layout.kvs[4].value, "flag"});
}

TEST(Malformed, DuplicateKey) {
  auto s = sample([](Writer& w) { w.add("llama.block_count", Value::u32(3)); });
  expect_rejected(
      s.bytes, {Kind::Format, "duplicate metadata key (first at offset " + std::to_string(s.layout.kvs[1].record) + ")",
                s.layout.kvs[4].record, "llama.block_count"});
}

TEST(Malformed, EmptyKey) {
  auto s = sample([](Writer& w) { w.add("", Value::u32(3)); });
  expect_rejected(s.bytes, {Kind::Format, "empty metadata key", s.layout.kvs[4].record});
}

TEST(Malformed, Alignment) {
  struct Case {
    Value v;
    const char* text;
  };
  const Case cases[] = {{Value::u32(0), "alignment 0 is invalid"},
                        {Value::u32(48), "alignment 48 is not a power of two"},
                        {Value::u32(1u << 21), "exceeds the limit"},
                        {Value::u64(32), "alignment must be a u32, found u64"},
                        {Value::i32(32), "alignment must be a u32, found i32"},
                        {Value::string("32"), "found string"}};
  for (const auto& c : cases) {
    auto s = sample([&](Writer& w) { w.add("general.alignment", c.v); });
    expect_rejected(s.bytes, {Kind::Format, c.text, s.layout.kvs[4].record, "general.alignment"});
  }
}

// --- tensor infos -------------------------------------------------------------------------

TEST(Malformed, TensorNames) {
  auto s = sample([](Writer& w) { w.add_tensor("", DType::F32, std::vector<std::int64_t>{1}, Bytes(4)); });
  expect_rejected(s.bytes, {Kind::Format, "empty tensor name", s.layout.tensor_infos[3].record});
  const std::string long_name(64, 'n');
  s = sample([&](Writer& w) { w.add_tensor(long_name, DType::F32, std::vector<std::int64_t>{1}, Bytes(4)); });
  expect_rejected(s.bytes,
                  {Kind::Format, "tensor name length 64 exceeds the limit of 63", s.layout.tensor_infos[3].record});
  // 63 bytes is the longest name allowed.
  s = sample([&](Writer& w) { w.add_tensor(long_name.substr(1), DType::F32, std::vector<std::int64_t>{1}, Bytes(4)); });
  EXPECT_NO_THROW(File::from_bytes(s.bytes));
}

TEST(Malformed, NamesThatAreNotUtf8) {
  auto s = sample([](Writer& w) { w.add_tensor("bad\xff", DType::F32, std::vector<std::int64_t>{1}, Bytes(4)); });
  expect_rejected(s.bytes, {Kind::Format, "tensor name is not valid UTF-8", s.layout.tensor_infos[3].record});
  s = sample([](Writer& w) { w.add_tensor("overlong\xc0\xaf", DType::F32, std::vector<std::int64_t>{1}, Bytes(4)); });
  expect_rejected(s.bytes, {Kind::Format, "tensor name is not valid UTF-8", s.layout.tensor_infos[3].record});
  s = sample([](Writer& w) { w.add("key\xe2\x82", Value::u8(1)); });
  expect_rejected(s.bytes, {Kind::Format, "metadata key is not valid UTF-8", s.layout.kvs[4].record});
  // Multi-byte UTF-8 is fine.
  s = sample([](Writer& w) {
    w.add_tensor("poids.\xc3\xa9t\xc3\xa9.\xf0\x9f\x98\x80", DType::F32, std::vector<std::int64_t>{1}, Bytes(4));
  });
  EXPECT_NO_THROW(File::from_bytes(s.bytes));
}

TEST(Malformed, DuplicateTensorName) {
  auto s = sample([](Writer& w) { w.add_tensor("b.weight", DType::F32, std::vector<std::int64_t>{1}, Bytes(4)); });
  expect_rejected(s.bytes, {Kind::Format, "duplicate tensor name (first is tensor #1)", s.layout.tensor_infos[3].record,
                            "b.weight"});
}

TEST(Malformed, TooManyDims) {
  auto s = sample();
  poke(s.bytes, s.layout.tensor_infos[1].n_dims, std::uint32_t{5});
  expect_rejected(s.bytes, {Kind::Format, "n_dims 5 exceeds 4", s.layout.tensor_infos[1].n_dims, "b.weight"});
  poke(s.bytes, s.layout.tensor_infos[1].n_dims, std::uint32_t{0xFFFFFFFF});
  expect_rejected(s.bytes, {Kind::Format, "n_dims 4294967295 exceeds 4", s.layout.tensor_infos[1].n_dims});
}

TEST(Malformed, ZeroAndNegativeDims) {
  auto s = sample();
  poke(s.bytes, s.layout.tensor_infos[0].dims + 8, std::int64_t{0});
  expect_rejected(s.bytes, {Kind::Format, "dimension 1 is zero", s.layout.tensor_infos[0].dims + 8, "a.weight"});
  s = sample();
  poke(s.bytes, s.layout.tensor_infos[0].dims, std::int64_t{-1});
  expect_rejected(s.bytes, {Kind::Format, "dimension 0 is negative (-1)", s.layout.tensor_infos[0].dims});
}

TEST(Malformed, HugeDimsRunPastTheFile) {
  auto s = sample();
  poke(s.bytes, s.layout.tensor_infos[0].dims + 8, std::int64_t{1} << 40);
  expect_rejected(s.bytes,
                  {Kind::Format, "runs past the end of the file", s.layout.tensor_infos[0].offset, "a.weight"});
}

TEST(Malformed, DimsWhoseProductOverflows) {
  auto s = sample([](Writer& w) { w.add_tensor("d4", DType::F32, std::vector<std::int64_t>{1, 1, 1, 1}, Bytes(4)); });
  const auto& t = s.layout.tensor_infos[3];
  for (int d = 0; d < 4; ++d) poke(s.bytes, t.dims + 8 * d, std::int64_t{1} << 20);
  expect_rejected(s.bytes, {Kind::Format, "element count overflows at dimension 3", t.dims + 24, "d4"});
}

TEST(Malformed, ByteSizeOverflows) {
  // 2^62 F32 elements is a valid count, but 2^64 bytes.
  auto s = sample();
  poke(s.bytes, s.layout.tensor_infos[2].dims, std::int64_t{1} << 62);
  expect_rejected(s.bytes, {Kind::Format, "tensor byte size overflows", s.layout.tensor_infos[2].type, "c.bias"});
}

TEST(Malformed, RowLengthNotAMultipleOfTheBlock) {
  auto s = sample();
  poke(s.bytes, s.layout.tensor_infos[1].dims, std::int64_t{48});
  expect_rejected(s.bytes, {Kind::Format, "row length 48 is not a multiple of the Q8_0 block size 32",
                            s.layout.tensor_infos[1].dims, "b.weight"});
}

TEST(Malformed, UnknownTensorType) {
  auto s = sample();
  poke(s.bytes, s.layout.tensor_infos[1].type, std::uint32_t{99});
  expect_rejected(s.bytes, {Kind::Format, "unknown tensor type 99", s.layout.tensor_infos[1].type, "b.weight"});
  poke(s.bytes, s.layout.tensor_infos[1].type, std::uint32_t{4});  // removed from ggml (Q4_2)
  expect_rejected(s.bytes, {Kind::Unsupported, "unknown tensor type 4", s.layout.tensor_infos[1].type});
  poke(s.bytes, s.layout.tensor_infos[1].type, std::uint32_t{23});  // IQ4_XS
  expect_rejected(s.bytes, {Kind::Unsupported, "unknown tensor type 23", s.layout.tensor_infos[1].type});
}

// The first type slm knows but cannot compute with (the set shrinks as kernels are added).
const slm::kernels::DTypeInfo* unsupported_type() {
  for (const auto& t : slm::kernels::kDTypes)
    if (!t.supported) return &t;
  return nullptr;
}

TEST(Malformed, UnsupportedTensorType) {
  const auto* u = unsupported_type();
  if (!u) GTEST_SKIP() << "every known type is supported";
  auto s = sample([&](Writer& w) {
    w.add_tensor("odd", u->type, std::vector<std::int64_t>{u->block_elems},
                 Bytes(static_cast<std::size_t>(u->block_bytes)));
  });
  expect_rejected(s.bytes, {Kind::Unsupported, "tensor type " + std::string(u->name) + " is not supported",
                            s.layout.tensor_infos[3].type, "odd"});
  OpenOptions o;
  o.allow_unsupported_types = true;
  const File f = File::from_bytes(s.bytes, "odd.gguf", o);
  EXPECT_EQ(f.find_tensor("odd")->type, u->type);
}

TEST(Malformed, OffsetPastEndOfFile) {
  for (std::uint64_t off :
       {std::uint64_t{1} << 20, ~std::uint64_t{0} - 31}) {  // the second overflows data_offset + off
    auto s = sample();
    poke(s.bytes, s.layout.tensor_infos[0].offset, off);
    expect_rejected(s.bytes,
                    {Kind::Format, "runs past the end of the file", s.layout.tensor_infos[0].offset, "a.weight"});
  }
}

TEST(Malformed, MisalignedOffset) {
  auto s = sample();
  poke(s.bytes, s.layout.tensor_infos[2].offset, s.layout.tensor_offsets[2] + 4);
  expect_rejected(s.bytes,
                  {Kind::Format, "is not a multiple of the alignment 32", s.layout.tensor_infos[2].offset, "c.bias"});
}

TEST(Malformed, OverlappingTensors) {
  auto s = sample();
  poke(s.bytes, s.layout.tensor_infos[2].offset, s.layout.tensor_offsets[1] + 128);  // inside b.weight (136 bytes)
  expect_rejected(s.bytes,
                  {Kind::Format, "tensor data overlaps tensor 'b.weight'", s.layout.tensor_infos[2].offset, "c.bias"});
  s = sample();
  poke(s.bytes, s.layout.tensor_infos[0].offset, s.layout.tensor_offsets[1]);  // a.weight onto b.weight
  expect_rejected(
      s.bytes, {Kind::Format, "tensor data overlaps tensor 'a.weight'", s.layout.tensor_infos[1].offset, "b.weight"});
}

// --- random damage ----------------------------------------------------------------------

TEST(Malformed, RandomByteDamageNeverCrashes) {
  // Deterministic: a fixed seed. Any outcome but slm::Error or a valid, in-bounds file fails
  // (under -DSLM_SANITIZE=ON, so does any out-of-bounds read).
  const auto s = sample([](Writer& w) {
    w.add("nested", Value::array(ValueType::Array, {Value::array(ValueType::I16, {Value::i16(-2)})}));
  });
  std::mt19937_64 rng(20261123);
  int accepted = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    Bytes b = s.bytes;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) {
      // Mostly inside the header, metadata and tensor infos, where the structure is.
      const std::uint64_t range = rng() % 4 ? s.layout.infos_end : b.size();
      b[rng() % range] = static_cast<std::uint8_t>(rng());
    }
    try {
      const File f = File::from_bytes(std::move(b));
      ++accepted;
      std::uint64_t sum = 0;
      // Decoding trusts what the reader validated: walk every array (ASan checks the reads).
      const std::function<void(const Value&)> walk = [&](const Value& v) {
        if (const auto* a = std::get_if<Array>(&v.data))
          for (const Value& item : *a) walk(item);
        else if (const auto* str = std::get_if<std::string>(&v.data))
          sum += str->size();
      };
      for (const auto& kv : f.metadata()) walk(kv.value);
      for (const auto& t : f.tensors())
        for (auto x : f.tensor_data(t)) sum += x;
      EXPECT_LE(f.data_offset(), f.file_size() + f.alignment());
      (void)sum;
    } catch (const Error& e) {
      EXPECT_TRUE(e.kind() == Kind::Format || e.kind() == Kind::Unsupported || e.kind() == Kind::Resource) << e.what();
    }
  }
  EXPECT_GT(accepted, 0);  // some damage lands in values or data and is harmless
}

// --- files --------------------------------------------------------------------------------

TEST(Malformed, IoErrors) {
  try {
    File::open("/nonexistent/dir/x.gguf");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Kind::Io);
    EXPECT_NE(e.message().find("cannot open"), std::string::npos);
    EXPECT_EQ(e.file(), "/nonexistent/dir/x.gguf");
  }
  try {
    File::open(fs::temp_directory_path());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), Kind::Io);
    EXPECT_NE(e.message().find("not a regular file"), std::string::npos);
  }
}

}  // namespace
