// Model facade: open the GGUF file, pick the ArchSpec, read HParams, bind weights.
#include "slm/model.hpp"

#include <string>

#include "model/hparams.hpp"
#include "model/model_impl.hpp"
#include "slm/error.hpp"
#include "slm/tokenizer.hpp"
#include "tokenizer/load.hpp"
#include "tokenizer/load.hpp"

namespace slm {

Model Model::load(const std::filesystem::path& path, const LoadOptions& options) {
  gguf::OpenOptions open;
  open.use_mmap = options.use_mmap;
  auto impl = std::make_shared<Impl>(gguf::File::open(path, open));
  const gguf::File& f = impl->file;
  impl->options = options;

  const gguf::Value* arch = f.find("general.architecture");
  if (!arch) throw Error(Error::Kind::Format, "missing metadata key", f.path(), "general.architecture");
  const auto* arch_name = std::get_if<std::string>(&arch->data);
  if (!arch_name) throw Error(Error::Kind::Format, "expected a string", f.path(), "general.architecture");
  impl->spec = find_arch(*arch_name);
  if (!impl->spec)
    throw Error(Error::Kind::Unsupported, "unknown architecture '" + *arch_name + "'", f.path(),
                "general.architecture");

  impl->hparams = model::read_hparams(f, *impl->spec, options.log);
  impl->weights = model::bind_weights(f, *impl->spec, impl->hparams);
  for (const auto& t : f.tensors()) impl->n_params += t.n_elements();
  try {
    impl->tokenizer = std::make_shared<const Tokenizer>(tokenizer::load_tokenizer(f));
  } catch (const Error& e) {
    // Reported by Model::tokenizer() (which adds the path); the weights stay usable.
    impl->tokenizer_error = e.where().empty() ? e.message() : "'" + e.where() + "': " + e.message();
  }
  return Model(std::move(impl));
}

const ArchSpec& Model::arch() const noexcept { return *impl_->spec; }
const HParams& Model::hparams() const noexcept { return impl_->hparams; }
const LoadOptions& Model::load_options() const noexcept { return impl_->options; }
const gguf::File& Model::file() const noexcept { return impl_->file; }

ModelInfo Model::info() const {
  ModelInfo i;
  i.architecture = std::string(impl_->spec->gguf_arch);
  if (const gguf::Value* n = impl_->file.find("general.name"))
    if (const auto* s = std::get_if<std::string>(&n->data)) i.name = *s;
  i.path = impl_->file.path();
  i.file_size = impl_->file.file_size();
  i.n_params = impl_->n_params;
  i.n_tensors = std::int64_t(impl_->file.tensors().size());
  i.tied_output = impl_->weights.tied_output;
  return i;
}

const Tokenizer& Model::tokenizer() const {
  if (!impl_->tokenizer)
    throw Error(Error::Kind::Unsupported,
                impl_->tokenizer_error.empty() ? "no tokenizer available" : impl_->tokenizer_error,
                impl_->file.path());
  return *impl_->tokenizer;
}

}  // namespace slm
