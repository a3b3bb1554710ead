// tokenizer.ggml.* keys read here (written by llama.cpp's converters):
//   model (string, required)     "llama" | "gpt2"
//   pre (string)                 pre-tokenizer name, BPE only
//   tokens (string[], required)  the vocabulary, id = index
//   scores (f32[])               SPM merge priorities
//   token_type (i32[])           see vocab_data.hpp TokenType
//   merges (string[])            BPE merges "left right", rank = index
//   bos/eos/eot/eom/unknown/seperator/padding_token_id (integer)
//   add_bos_token, add_eos_token, add_space_prefix (bool)

#include "tokenizer/load.hpp"

#include "slm/error.hpp"

namespace slm::tokenizer {
namespace {

const gguf::Array* find_array(const gguf::File& file, const char* key, gguf::ValueType elem,
                              bool required) {
  const gguf::Value* v = file.find(key);
  if (!v) {
    if (required) throw Error(Error::Kind::Format, "missing key", file.path(), key);
    return nullptr;
  }
  const auto* arr = std::get_if<gguf::Array>(&v->data);
  if (v->type != gguf::ValueType::Array || !arr) {
    throw Error(Error::Kind::Format,
                "expected an array of " + std::string(gguf::value_type_name(elem)) + ", found " +
                    std::string(gguf::value_type_name(v->type)),
                file.path(), key);
  }
  if (arr->elem_type() != elem) {
    throw Error(Error::Kind::Format,
                "expected an array of " + std::string(gguf::value_type_name(elem)) +
                    ", found an array of " + std::string(gguf::value_type_name(arr->elem_type())),
                file.path(), key);
  }
  return arr;
}

StringTable string_array(const gguf::File& file, const char* key, bool required) {
  StringTable out;
  const gguf::Array* arr = find_array(file, key, gguf::ValueType::String, required);
  if (!arr) return out;
  // The encoding is each string's 8-byte length, then its bytes: the text is smaller.
  if (arr->encoded().size() > UINT32_MAX) throw Error(Error::Kind::Format, "more than 4 GiB of strings", file.path(), key);
  out.reserve(arr->size(), arr->encoded().size() - 8 * arr->size());
  for (const std::string_view s : arr->string_views()) out.push_back(s);
  return out;
}

template <class T>
std::vector<T> number_array(const gguf::File& file, const char* key) {
  const gguf::Array* arr = find_array(file, key, gguf::value_type_of<T>(), false);
  return arr ? arr->numbers<T>() : std::vector<T>{};
}

}  // namespace

VocabData read_vocab_data(const gguf::File& file) {
  VocabData d;
  d.source = file.path();
  d.model = file.get<std::string>("tokenizer.ggml.model");
  d.pre = file.get_optional<std::string>("tokenizer.ggml.pre").value_or("");
  d.tokens = string_array(file, "tokenizer.ggml.tokens", true);
  d.scores = number_array<float>(file, "tokenizer.ggml.scores");
  d.token_types = number_array<std::int32_t>(file, "tokenizer.ggml.token_type");
  d.merges = string_array(file, "tokenizer.ggml.merges", false);
  d.bos_id = file.get_optional<std::uint32_t>("tokenizer.ggml.bos_token_id");
  d.eos_id = file.get_optional<std::uint32_t>("tokenizer.ggml.eos_token_id");
  d.eot_id = file.get_optional<std::uint32_t>("tokenizer.ggml.eot_token_id");
  d.eom_id = file.get_optional<std::uint32_t>("tokenizer.ggml.eom_token_id");
  d.unk_id = file.get_optional<std::uint32_t>("tokenizer.ggml.unknown_token_id");
  d.sep_id = file.get_optional<std::uint32_t>("tokenizer.ggml.seperator_token_id");
  d.pad_id = file.get_optional<std::uint32_t>("tokenizer.ggml.padding_token_id");
  d.add_bos = file.get_optional<bool>("tokenizer.ggml.add_bos_token");
  d.add_eos = file.get_optional<bool>("tokenizer.ggml.add_eos_token");
  d.add_space_prefix = file.get_optional<bool>("tokenizer.ggml.add_space_prefix");
  return d;
}

Tokenizer load_tokenizer(const gguf::File& file) { return Tokenizer::from_data(read_vocab_data(file)); }

}  // namespace slm::tokenizer
