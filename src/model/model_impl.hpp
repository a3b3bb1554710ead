#pragma once
// The immutable state behind slm::Model, shared by every copy of the handle and every session.

#include <memory>
#include <string>

#include "gguf/reader.hpp"
#include "model/weights.hpp"
#include "slm/model.hpp"

namespace slm {

struct Model::Impl {
  explicit Impl(gguf::File f) : file(std::move(f)) {}

  gguf::File file;            // owns the mapping the weights point into
  const ArchSpec* spec = nullptr;
  HParams hparams;
  model::Weights weights;
  LoadOptions options;
  std::int64_t n_params = 0;
  std::shared_ptr<const Tokenizer> tokenizer;  // null when the file has none usable
  std::string tokenizer_error;                 // why, when null
};

}  // namespace slm
