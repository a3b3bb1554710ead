// Fuzz target: GGUF metadata and the code that interprets it.
//
// The reader has no metadata-only entry point, so the input is wrapped in a header that
// declares no tensors: "GGUF", version 3, n_tensors 0, n_kv = the first input byte, followed
// by the rest of the input as key/value records. The fuzzer's effort therefore goes into the
// records (strings, nested arrays, counts) instead of rediscovering the header. A metadata
// table that parses is then read by the tokenizer loader and by every architecture's
// hyper-parameter reader, which must accept it or throw slm::Error.
#include "fuzz_targets.hpp"
#include "gguf/reader.hpp"
#include "model/hparams.hpp"
#include "slm/arch.hpp"
#include "slm/error.hpp"
#include "tokenizer/load.hpp"

namespace slm::fuzz {
namespace {

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(std::uint8_t(v >> (8 * i)));
}
void put_u64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(std::uint8_t(v >> (8 * i)));
}

}  // namespace

int gguf_metadata(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::vector<std::uint8_t> image = {'G', 'G', 'U', 'F'};
  put_u32(image, 3);
  put_u64(image, 0);        // n_tensors
  put_u64(image, data[0]);  // n_kv
  image.insert(image.end(), data + 1, data + size);

  gguf::OpenOptions o;
  o.max_array_elements = std::uint64_t{1} << 16;
  try {
    const gguf::File f = gguf::File::from_bytes(std::move(image), "<fuzz-metadata>", o);
    check(f.tensors().empty(), "tensors in a file that declares none");
    check(f.metadata().size() == data[0], "metadata count");
    try {
      const Tokenizer t = tokenizer::load_tokenizer(f);
      // A vocabulary that loads must encode and decode without failing.
      const auto ids = t.encode("Hello, world! <s> 123 \xE2\x96\x81 \xF0\x9F\x98\x80", true, true);
      for (std::int32_t id : ids) check(id >= 0 && std::size_t(id) < t.size(), "encode produced an id out of range");
      (void)t.decode(ids);
    } catch (const Error&) {
    }
    for (const ArchSpec* spec : all_archs()) {
      try {
        (void)model::read_hparams(f, *spec, {});
      } catch (const Error&) {
      }
    }
  } catch (const Error&) {
  }
  return 0;
}

}  // namespace slm::fuzz

SLM_FUZZ_ENTRY(gguf_metadata)
