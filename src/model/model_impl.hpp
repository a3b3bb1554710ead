#pragma once
// The immutable state behind slm::Model, shared by every copy of the handle and every session.

#include <memory>
#include <mutex>
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
  // Built on first use (Model::tokenizer()): a 262k-entry vocabulary costs tens of MiB that
  // callers which never tokenize (slm bench, a server that receives token ids) should not pay.
  mutable std::once_flag tokenizer_once;
  mutable std::shared_ptr<const Tokenizer> tokenizer;  // null when the file has none usable
  mutable std::string tokenizer_error;                 // why, when null
};

}  // namespace slm
