// Fuzz target: token ids -> text, whole (decode) and streamed (Tokenizer::Decoder).
//
// Input: one control byte (which tokenizer, decode options), then ids as 3-byte little-endian
// numbers offset by -16, so ids just below 0 and just above the vocabulary occur as often as
// valid ones. An id outside [0, size()) must be refused with slm::Error(Argument); valid ids
// always decode, and the streamed text (flushed) equals the concatenation of the pieces.
#include "fuzz_targets.hpp"
#include "slm/error.hpp"

namespace slm::fuzz {

int tokenizer_decode(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto& all = tokenizers();
  const Tokenizer& t = all[data[0] % all.size()];
  const bool remove_special = (data[0] >> 4) & 1, render_special = (data[0] >> 5) & 1;
  std::vector<std::int32_t> ids;
  bool all_valid = true;
  for (std::size_t i = 1; i + 3 <= size; i += 3) {
    const std::int32_t id = std::int32_t(data[i] | data[i + 1] << 8 | data[i + 2] << 16) - 16;
    all_valid = all_valid && id >= 0 && std::size_t(id) < t.size();
    ids.push_back(id);
  }
  try {
    (void)t.decode(ids, {.remove_special = remove_special, .render_special = render_special});
    check(all_valid, "decode accepted an id out of range");
  } catch (const Error& e) {
    check(!all_valid, std::string("decode refused valid ids: ") + e.what());
    check(e.kind() == Error::Kind::Argument, "out-of-range id is not an Argument error");
  }
  Tokenizer::Decoder stream(t, render_special, remove_special);
  std::string streamed, pieces;
  for (std::int32_t id : ids) {
    try {
      streamed += stream.push(id);
      pieces += t.token_to_piece(id, render_special);
    } catch (const Error& e) {
      check(id < 0 || std::size_t(id) >= t.size(), "push refused a valid id");
      check(e.kind() == Error::Kind::Argument, "out-of-range id is not an Argument error");
    }
  }
  streamed += stream.flush();
  if (!remove_special) check(streamed == pieces, "streamed text differs from the pieces");
  return 0;
}

}  // namespace slm::fuzz

SLM_FUZZ_ENTRY(tokenizer_decode)
