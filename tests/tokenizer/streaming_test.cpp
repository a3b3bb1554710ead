// The streaming decoder holds back partial UTF-8 until it completes, and its output
// concatenates to what decode() gives.

#include <gtest/gtest.h>

#include "tokenizer/unicode.hpp"
#include "tokenizer/vocab_files.hpp"

namespace slm {
namespace {

TEST(Utf8Stream, HoldsBackIncompleteSequences) {
  Utf8Stream s;
  EXPECT_EQ(s.push("a\xF0"), "a");
  EXPECT_EQ(s.push("\x9F"), "");
  EXPECT_EQ(s.push("\x9A"), "");
  EXPECT_EQ(s.push("\x80!"), "\xF0\x9F\x9A\x80!");
  EXPECT_EQ(s.push("\xED\x95"), "");
  EXPECT_EQ(s.push("\x9C"), "\xED\x95\x9C");
  // Bytes that cannot start or continue a sequence are passed on, not held.
  EXPECT_EQ(s.push("\xFF"), "\xFF");
  EXPECT_EQ(s.push("\x80"), "\x80");
  EXPECT_EQ(s.push("x\xC3"), "x");
  EXPECT_EQ(s.flush(), "\xC3");
  EXPECT_EQ(s.flush(), "");
}

TEST(Decoder, StreamsWholeCharactersOnly) {
  const Tokenizer tok = test::load_vocab(test::data_dir() / "vocab" / "ggml-vocab-llama-spm.gguf");
  // Korean and the rocket fall back to byte tokens in this vocabulary.
  const std::string text = "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4 \xF0\x9F\x9A\x80 ok";
  const auto ids = tok.encode(text, /*add_special=*/false);
  int byte_tokens = 0;
  for (std::int32_t id : ids) byte_tokens += tok.is_byte(id);
  ASSERT_GE(byte_tokens, 4);  // the rocket at least

  Tokenizer::Decoder dec(tok, false, /*strip_leading_space=*/true);
  std::string streamed;
  for (std::int32_t id : ids) {
    const std::string part = dec.push(id);
    EXPECT_TRUE(tokenizer::is_valid_utf8(part)) << test::printable(part);
    streamed += part;
  }
  streamed += dec.flush();
  EXPECT_EQ(streamed, tok.decode(ids));
  EXPECT_EQ(streamed, text);  // the space prefix SPM added is gone again

  // With BOS first, llama.cpp's rule spends the space removal on BOS (which writes nothing):
  // the text keeps its leading space. The decoder follows decode().
  std::vector<std::int32_t> with_bos = {tok.bos()};
  with_bos.insert(with_bos.end(), ids.begin(), ids.end());
  Tokenizer::Decoder dec2(tok, false, true);
  std::string streamed2;
  for (std::int32_t id : with_bos) streamed2 += dec2.push(id);
  streamed2 += dec2.flush();
  EXPECT_EQ(streamed2, tok.decode(with_bos));
  EXPECT_EQ(streamed2, " " + text);
}

}  // namespace
}  // namespace slm
