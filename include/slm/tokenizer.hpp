#pragma once
// slm::Tokenizer — text <-> token ids, with the vocabulary a GGUF file carries.
//
// Two kinds, chosen by the file's `tokenizer.ggml.model`:
//   Spm ("llama"): SentencePiece-style. Spaces become U+2581, adjacent symbols are merged by
//       highest vocabulary score, pieces missing from the vocabulary fall back to <0xNN> byte
//       tokens. Llama 2, Mistral, Gemma 1/2/3.
//   Bpe ("gpt2"): byte-level BPE. Text is split by a pre-tokenizer (tokenizer.ggml.pre), each
//       byte is mapped to a printable character, then pairs are merged by merge rank.
//       Llama 3, Qwen2, SmolLM, GPT-2, deepseek-coder, falcon.
// The results are those of llama.cpp for the same file (docs/tokenizers.md lists the gaps).
//
// A Tokenizer is immutable after loading: copies share the vocabulary, and all methods are
// safe to call from several threads at once. Load one with slm::tokenizer::load_tokenizer()
// (src/tokenizer/load.hpp) or through the engine.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace slm {

namespace tokenizer {
struct VocabData;  // plain vocabulary data, src/tokenizer/vocab_data.hpp
}

enum class TokenizerKind { Spm, Bpe };

// Holds back an incomplete UTF-8 sequence at the end of a byte stream until it completes.
// Invalid bytes are passed through as they are (never held forever).
class Utf8Stream {
 public:
  std::string push(std::string_view bytes);
  std::string flush();

 private:
  std::string pending_;
};

class Tokenizer {
 public:
  // Builds a tokenizer from plain data; validates it (throws slm::Error naming the
  // tokenizer.ggml.* key at fault).
  static Tokenizer from_data(tokenizer::VocabData data);

  // Text -> ids. Never fails on any byte sequence (invalid UTF-8 is tokenized one byte at a
  // time, as llama.cpp does); only text of 2 GiB or more is refused (slm::Error, Argument).
  //   add_special:   add BOS/EOS where the vocabulary asks for them (add_bos()/add_eos()).
  //   parse_special: text of control tokens (e.g. "<start_of_turn>", "<|im_end|>") becomes
  //                  that token; otherwise such text is tokenized as ordinary text.
  //                  User-defined tokens are always recognised (llama.cpp does the same).
  std::vector<std::int32_t> encode(std::string_view text, bool add_special = true,
                                   bool parse_special = false) const;

  struct DecodeOptions {
    bool remove_special = false;  // drop a leading BOS / trailing EOS the vocab would add
    bool render_special = false;  // write control tokens' text (else they decode to nothing)
  };
  // Ids -> text (raw bytes; may end inside a UTF-8 sequence if the ids do). Applies the
  // vocabulary's rules: the SentencePiece leading space is removed from the first piece,
  // and GPT-2-style vocabularies clean " ," -> "," etc. (clean_spaces()).
  // Throws slm::Error (Argument) for an id outside [0, size()).
  std::string decode(std::span<const std::int32_t> ids) const { return decode(ids, {}); }
  std::string decode(std::span<const std::int32_t> ids, const DecodeOptions& options) const;

  // The text one token stands for (llama.cpp's token_to_piece): byte tokens give their byte,
  // U+2581 / byte-level characters are turned back into spaces / bytes. Control and unknown
  // tokens give "" unless render_special. No space stripping, no clean-up.
  // Throws slm::Error (Argument) for an id outside [0, size()).
  std::string token_to_piece(std::int32_t id, bool render_special = true) const;
  // Same as token_to_piece(id, true), precomputed.
  std::string_view piece(std::int32_t id) const;
  // The token's entry as stored in the vocabulary (e.g. "▁the", "Ġthe", "<0x0A>").
  std::string_view text(std::int32_t id) const;
  float score(std::int32_t id) const;
  // The id whose vocabulary text is exactly `text`, or -1.
  std::int32_t find(std::string_view text) const noexcept;

  // A control token (token_type 3, or recognised by name as EOG/FIM like llama.cpp does).
  bool is_control(std::int32_t id) const noexcept;
  bool is_byte(std::int32_t id) const noexcept;     // <0xNN> byte-fallback token
  // True for the ids that end generation: EOS, EOT, EOM and the tokens llama.cpp recognises
  // by name ("<end_of_turn>", "<|im_end|>", "<|eot_id|>", "<|endoftext|>", ...).
  bool is_end_of_generation(std::int32_t id) const noexcept;
  const std::vector<std::int32_t>& end_of_generation_ids() const noexcept;

  // Special ids, -1 when the vocabulary has none.
  std::int32_t bos() const noexcept;
  std::int32_t eos() const noexcept;
  std::int32_t eot() const noexcept;  // end of turn (chat), found by metadata or by name
  std::int32_t unk() const noexcept;
  std::int32_t pad() const noexcept;

  bool add_bos() const noexcept;  // encode(add_special=true) prepends bos()
  bool add_eos() const noexcept;  // encode(add_special=true) appends eos()
  bool add_space_prefix() const noexcept;  // SPM: a space is put before the text
  bool clean_spaces() const noexcept;      // decode() removes spaces before punctuation

  std::size_t size() const noexcept;  // number of tokens
  TokenizerKind kind() const noexcept;
  // The pre-tokenizer name as stored in the file (Bpe), "" if absent.
  const std::string& pre() const noexcept;
  // Notes from loading the caller may want to log (e.g. a missing pre-tokenizer name).
  const std::vector<std::string>& warnings() const noexcept;

  class Impl;  // src/tokenizer/tokenizer_impl.hpp

  // Streaming detokenizer: feed ids one at a time, get text that is always whole UTF-8
  // characters (a character split across tokens, e.g. an emoji made of byte tokens, is held
  // back until complete). Pieces are token_to_piece(id, render_special); clean_spaces is not
  // applied. strip_leading_space: drop one leading space from the first piece when the
  // vocabulary adds a space prefix (set it when decoding a sequence from its start, as
  // decode() does; leave it off for generated text that continues a prompt).
  // The decoder shares the vocabulary (it stays valid after the Tokenizer is gone).
  class Decoder {
   public:
    explicit Decoder(const Tokenizer& tokenizer, bool render_special = false,
                     bool strip_leading_space = false);
    std::string push(std::int32_t id);  // throws slm::Error for an id out of range
    std::string flush();  // whatever is held back (possibly an incomplete sequence)
    void reset();

   private:
    std::shared_ptr<const Impl> impl_;
    bool render_special_;
    bool strip_leading_space_;
    bool first_ = true;
    Utf8Stream stream_;
  };

  const Impl& impl() const noexcept { return *impl_; }

 private:
  explicit Tokenizer(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};


}  // namespace slm
