#pragma once
// slm::Model — one GGUF model file, loaded and validated, immutable.
//
//   slm::Model m = slm::Model::load("models/gemma-3-270m-q4_k_m.gguf");
//   slm::Session s(m);                        // see session.hpp
//
// Loading maps the file (weights are used in place, never copied), reads the hyper-parameters,
// finds the family's ArchSpec and checks every tensor's presence, type and shape. Anything
// wrong throws slm::Error naming the file and the key or tensor. After that the model cannot
// fail: sessions only validate their own arguments.
//
// A Model is a handle: copying it is cheap (shared ownership of the immutable loaded file) and
// every copy may be used from any thread. Sessions keep their Model alive.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "slm/arch.hpp"

namespace slm {

namespace gguf { class File; }
class Tokenizer;

enum class LogLevel { Debug, Info, Warning, Error };
using LogCallback = std::function<void(LogLevel, std::string_view)>;

struct LoadOptions {
  // false: read the whole file into memory. Slower to start and uses RAM for the weights, but
  // the model keeps working if the file is changed or truncated on disk while loaded (a mapped
  // file that shrinks makes the next access to a lost page raise SIGBUS: docs/robustness.md).
  bool use_mmap = true;
  // Mapped files: read the weights every evaluation uses (all but a separate token-embedding
  // table, whose rows are copied as needed) into memory during load, as llama.cpp does, so that
  // load time includes the disk and the first prompt runs at the engine's speed. false: each
  // page is read from disk when first used (quicker to load a model that will not be run).
  bool populate = true;
  // Refuse (slm::Error Resource, before using any weight) to load more than this many bytes of
  // tensors; 0 = no cap, and then the tensors (mapped or read) must fit in the memory available
  // (/proc/meminfo MemAvailable + SwapFree, which counts the file's pages already cached).
  std::uint64_t max_memory_bytes = 0;
  int threads = 0;       // default thread count for sessions; 0 = hardware concurrency
  LogCallback log;       // optional; receives load-time notes (defaults applied, ...)
};

struct ModelInfo {
  std::string architecture;   // general.architecture
  std::string name;           // general.name (may be empty)
  std::string path;
  std::uint64_t file_size = 0;
  std::int64_t n_params = 0;  // total elements over all tensors
  std::int64_t n_tensors = 0;
  bool tied_output = false;   // LM head is token_embd (no output.weight)
};

class Model {
 public:
  // Throws slm::Error: Io, Format (not a GGUF), Unsupported (unknown architecture, tensor type),
  // Shape (tensor/hparam mismatch), Format (missing key or tensor).
  static Model load(const std::filesystem::path& path, const LoadOptions& options = {});

  const ArchSpec& arch() const noexcept;
  const HParams& hparams() const noexcept;
  ModelInfo info() const;
  const LoadOptions& load_options() const noexcept;

  // The tokenizer read from the same file's tokenizer.* keys, built on the first call (safe from
  // several threads): programs that only evaluate token ids never pay for the vocabulary. A model
  // whose tokenizer metadata is absent or unusable still loads; this then throws slm::Error
  // (Unsupported) with the tokenizer's own error, which names the key.
  const Tokenizer& tokenizer() const;

  // The parsed file (metadata and tensor table) for tools such as `slm inspect`.
  const gguf::File& file() const noexcept;

  struct Impl;  // defined in src/model/model_impl.hpp
  const Impl& impl() const noexcept { return *impl_; }

 private:
  explicit Model(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace slm
