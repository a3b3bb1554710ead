#pragma once
// Pre-tokenizers of byte-level BPE vocabularies: split text into words before BPE merges.
//
// Each Hugging Face tokenizer splits with one or more regular expressions; llama.cpp
// (llama-vocab.cpp) picks the list from tokenizer.ggml.pre and applies them in sequence, each
// one splitting the pieces the previous left (a match and the text between matches both
// become pieces). The splits here are written by hand, one function per expression,
// reproducing llama.cpp's results, including its simplifications (pretokenizer.cpp says which).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slm::tokenizer {

enum class PreTokenizer {
  Default,        // missing or "default"
  Llama3,         // llama3, llama-bpe, ...
  Qwen2,          // qwen2, stablelm2, ...
  Gpt2,           // gpt-2, phi-2, mpt, olmo, ...
  Smollm,         // smollm, starcoder, refact, command-r, ...
  DeepseekCoder,  // deepseek-coder
  Falcon,         // falcon
};

// What a tokenizer.ggml.pre name selects, with the flags llama.cpp ties to it.
struct PreTokenizerInfo {
  PreTokenizer type;
  bool clean_spaces;   // decode removes " ," style spaces (clean_up_tokenization_spaces)
  bool ignore_merges;  // a word that is itself a token is taken whole (Llama 3)
  bool add_bos;        // default for add_bos when the file does not say
};
// nullopt for a name slm does not know (the caller throws).
std::optional<PreTokenizerInfo> find_pre_tokenizer(std::string_view name);

// Splits `text` into words (UTF-8; invalid bytes come out as U+FFFD, as in llama.cpp).
std::vector<std::string> pre_tokenize(PreTokenizer type, std::string_view text);

}  // namespace slm::tokenizer
