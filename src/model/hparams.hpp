#pragma once
// Reading HParams from GGUF metadata (keys and defaults documented in include/slm/arch.hpp).

#include "gguf/reader.hpp"
#include "slm/arch.hpp"
#include "slm/model.hpp"

namespace slm::model {

// Throws slm::Error naming the file and key: Format for a missing required key or a value of
// the wrong type, Shape for values that contradict each other (heads that do not divide, zero
// layers, ...), Unsupported for features slm does not implement (RoPE scaling types, ...).
HParams read_hparams(const gguf::File& file, const ArchSpec& spec, const LogCallback& log);

}  // namespace slm::model
