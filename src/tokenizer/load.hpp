#pragma once
// Reading a tokenizer from a GGUF file's tokenizer.ggml.* metadata.

#include "gguf/reader.hpp"
#include "slm/tokenizer.hpp"
#include "tokenizer/vocab_data.hpp"

namespace slm::tokenizer {

// Reads and validates the vocabulary (keys and types listed in load.cpp). Throws slm::Error
// naming the file and the key: missing tokens/model, arrays of the wrong element type or
// shorter than the vocabulary, ids out of range, malformed merges, unknown model or
// pre-tokenizer, token text over 64 KiB or not UTF-8.
VocabData read_vocab_data(const gguf::File& file);
Tokenizer load_tokenizer(const gguf::File& file);

}  // namespace slm::tokenizer
