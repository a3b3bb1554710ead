#pragma once
// Converting a GGUF model file to another file type (`slm quantize`): each tensor the plan
// (quant_plan.hpp) converts is dequantized row by row and quantized to its planned type;
// tensors whose type does not change are copied byte for byte. Metadata is copied in order,
// with general.file_type set to the new type and general.quantization_version to 2.
// The output is streamed: memory use is one block of rows (about 4 MiB) at a time.

#include <filesystem>

#include "gguf/reader.hpp"
#include "model/quant_plan.hpp"
#include "model/synthetic.hpp"

namespace slm::model {

struct RequantizeResult {
  std::size_t n_tensors = 0;
  std::size_t n_converted = 0;  // tensors whose type changed
  std::uint64_t file_size = 0;
};

// Throws slm::Error: Unsupported when a tensor that must be converted has a type slm cannot
// dequantize; Argument for a planned type slm cannot quantize to; Io on write failure.
// `out` must not be the input file. `threads` <= 0: one per hardware thread.
RequantizeResult requantize(const gguf::File& in, FileType file_type, const std::filesystem::path& out,
                            const ProgressCallback& progress = {}, int threads = 0);

}  // namespace slm::model
