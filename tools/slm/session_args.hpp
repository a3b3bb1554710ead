#pragma once
// Options shared by the subcommands that run a model (run, bench, perplexity, trace): the KV
// cache element type and the matmul path. Their names, help text and checks live here once.

#include <string>

#include "args.hpp"
#include "slm/error.hpp"
#include "slm/session.hpp"

namespace slm::cli {

inline void add_kv_type_option(ArgParser& p) {
  p.option({"--kv-type"}, true, "KV cache element type: f32 (default) or f16");
}

inline KvType kv_type_option(const ArgParser& p) {
  const std::string v = p.get_or("--kv-type", "f32");
  if (v != "f32" && v != "f16") throw Error(Error::Kind::Argument, "--kv-type must be f32 or f16, got '" + v + "'");
  return v == "f16" ? KvType::F16 : KvType::F32;
}

inline void add_matmul_option(ArgParser& p) {
  p.option({"--matmul"}, true, "integer (default: Q8 activations, llama.cpp's rounding) or float");
}

inline MatmulPath matmul_option(const ArgParser& p) {
  const std::string v = p.get_or("--matmul", "integer");
  if (v != "integer" && v != "float")
    throw Error(Error::Kind::Argument, "--matmul must be integer or float, got '" + v + "'");
  return v == "float" ? MatmulPath::Float : MatmulPath::Integer;
}

}  // namespace slm::cli
