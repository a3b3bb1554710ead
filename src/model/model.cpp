// Model facade: open the GGUF file, pick the ArchSpec, read HParams, bind weights.
#include "slm/model.hpp"

#include <string>

#include "model/hparams.hpp"
#include "model/model_impl.hpp"
#include "slm/error.hpp"
#include "slm/tokenizer.hpp"
#include "tokenizer/load.hpp"
#include "util/memory.hpp"

namespace slm {

Model Model::load(const std::filesystem::path& path, const LoadOptions& options) {
  gguf::OpenOptions open;
  open.use_mmap = options.use_mmap;
  if (!options.use_mmap) {  // refuse before reading the whole file into memory
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    if (!ec)
      util::check_memory(size, options.max_memory_bytes, "reading the file into memory (use_mmap=false)",
                         "LoadOptions::max_memory_bytes", path.string());
  }
  auto impl = std::make_shared<Impl>(gguf::File::open(path, open));
  const gguf::File& f = impl->file;
  impl->options = options;
  // Mapped too: a model larger than memory would be read from disk again for every token.
  std::uint64_t tensor_bytes = 0;
  for (const auto& t : f.tensors()) tensor_bytes += t.n_bytes;  // no overflow: each lies inside the file
  util::check_memory(tensor_bytes, options.max_memory_bytes, "the model's tensors", "LoadOptions::max_memory_bytes",
                     f.path());

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
  if (options.use_mmap && options.populate)
    for (const auto& range : model::decode_read_ranges(impl->weights)) f.populate(range);
  for (const auto& t : f.tensors()) impl->n_params += t.n_elements();
  if (options.log) {
    const HParams& hp = impl->hparams;
    options.log(LogLevel::Info, "loaded " + f.path() + ": " + *arch_name + ", " + std::to_string(hp.n_layer) +
                                    " layers, n_embd " + std::to_string(hp.n_embd) + ", " +
                                    std::to_string(hp.n_head) + "/" + std::to_string(hp.n_head_kv) +
                                    " heads, vocab " + std::to_string(hp.n_vocab) + ", " +
                                    std::to_string(impl->n_params) + " parameters");
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
  std::call_once(impl_->tokenizer_once, [&] {
    try {
      impl_->tokenizer = std::make_shared<const Tokenizer>(tokenizer::load_tokenizer(impl_->file));
    } catch (const Error& e) {
      // A file with unusable tokenizer metadata still has usable weights: only tokenizing fails.
      impl_->tokenizer_error = e.where().empty() ? e.message() : "'" + e.where() + "': " + e.message();
    }
  });
  if (!impl_->tokenizer)
    throw Error(Error::Kind::Unsupported,
                impl_->tokenizer_error.empty() ? "no tokenizer available" : impl_->tokenizer_error,
                impl_->file.path());
  return *impl_->tokenizer;
}

}  // namespace slm
