// Fuzz target: a whole GGUF file, parsed from memory by gguf::File::from_bytes.
//
// A file that parses must be safe to use: every tensor's bytes lie inside the image and have
// the size the tensor table declares, typed accessors either convert or throw slm::Error,
// and writing the parsed file back with the GGUF writer gives a file that parses to the same
// tables (the writer and the reader agree on the layout).
#include <cstring>

#include "fuzz_targets.hpp"
#include "gguf/reader.hpp"
#include "gguf/writer.hpp"
#include "slm/error.hpp"

namespace slm::fuzz {
namespace {

template <class T>
void try_get(const gguf::File& f, const std::string& key) {
  try {
    (void)f.get<T>(key);
  } catch (const Error&) {
  }
}

void exercise_accessors(const gguf::File& f) {
  for (const auto& kv : f.metadata()) {
    check(f.find(kv.key) != nullptr, "find() misses key " + kv.key);
    try_get<bool>(f, kv.key);
    try_get<std::uint8_t>(f, kv.key);
    try_get<std::int32_t>(f, kv.key);
    try_get<std::uint32_t>(f, kv.key);
    try_get<std::int64_t>(f, kv.key);
    try_get<std::uint64_t>(f, kv.key);
    try_get<float>(f, kv.key);
    try_get<double>(f, kv.key);
    try_get<std::string>(f, kv.key);
    try_get<std::vector<std::string>>(f, kv.key);
    try_get<std::vector<float>>(f, kv.key);
    try_get<std::vector<std::int32_t>>(f, kv.key);
    try_get<std::vector<std::uint32_t>>(f, kv.key);
  }
}

// Reads every tensor's first and last byte (ASan reports any byte outside the image).
unsigned touch_tensors(const gguf::File& f) {
  unsigned sum = 0;
  for (const auto& t : f.tensors()) {
    const auto bytes = f.tensor_data(t);
    check(bytes.size() == t.n_bytes, "tensor_data size of " + t.name);
    // (The data section may start past the end of a file whose tensors are all empty.)
    if (t.n_bytes > 0)
      check(f.data_offset() + t.offset + t.n_bytes <= f.file_size(), "tensor outside the file: " + t.name);
    check(f.find_tensor(t.name) != nullptr, "find_tensor misses " + t.name);
    if (!bytes.empty()) sum += bytes.front() + bytes.back();
  }
  return sum;
}

void round_trip(const gguf::File& f, bool allow_unsupported) {
  const std::vector<std::uint8_t> again = gguf::Writer::copy_of(f).to_bytes();
  gguf::OpenOptions o;
  o.allow_unsupported_types = allow_unsupported;
  const gguf::File g = gguf::File::from_bytes(again, "<rewritten>", o);
  check(g.metadata().size() == f.metadata().size(), "rewritten file: metadata count");
  check(g.tensors().size() == f.tensors().size(), "rewritten file: tensor count");
  for (std::size_t i = 0; i < f.tensors().size(); ++i) {
    const auto& a = f.tensors()[i];
    const auto& b = g.tensors()[i];
    check(a.name == b.name && a.type == b.type && a.n_dims == b.n_dims && a.n_bytes == b.n_bytes,
          "rewritten file: tensor " + a.name);
    const auto da = f.tensor_data(a), db = g.tensor_data(b);
    check(da.size() == db.size() && (da.empty() || std::memcmp(da.data(), db.data(), da.size()) == 0),
          "rewritten file: bytes of " + a.name);
  }
}

}  // namespace

int gguf_file(const std::uint8_t* data, std::size_t size) {
  // Both reader modes: the strict one the engine uses, and the one `slm inspect` uses.
  for (const bool allow_unsupported : {false, true}) {
    gguf::OpenOptions o;
    o.allow_unsupported_types = allow_unsupported;
    o.max_array_elements = std::uint64_t{1} << 16;  // keeps each run fast; the limit itself is tested
    try {
      const gguf::File f = gguf::File::from_bytes(std::vector<std::uint8_t>(data, data + size), "<fuzz>", o);
      check(f.file_size() == size, "file_size");
      exercise_accessors(f);
      (void)touch_tensors(f);
      round_trip(f, allow_unsupported);
    } catch (const Error&) {
    }
  }
  return 0;
}

}  // namespace slm::fuzz

SLM_FUZZ_ENTRY(gguf_file)
