// slm quantize IN OUT TYPE: convert a GGUF model to Q4_K_M, Q8_0, F16, BF16 or F32 with the
// per-tensor rules of src/model/quant_plan.hpp (llama-quantize's, without imatrix).

#include <cstdio>
#include <string>

#include "args.hpp"
#include "commands.hpp"
#include "gguf/reader.hpp"
#include "model/quant_plan.hpp"
#include "model/requantize.hpp"
#include "progress.hpp"
#include "slm/error.hpp"

namespace slm::cli {

int cmd_quantize(const Args& args) {
  ArgParser p("quantize", args);
  p.option({"-t", "--threads"}, true, "worker threads (default: all cores)");
  p.option({"-h", "--help"}, false, "show this help");
  p.parse();
  if (p.has("--help")) {
    std::fputs(("slm quantize IN OUT TYPE [-t N]: convert a model file; TYPE is one of " + model::file_type_names() + "\n" +
                p.usage()).c_str(), stdout);
    return 0;
  }
  const auto& pos = p.positional();
  if (pos.size() != 3) throw Error(Error::Kind::Argument, "expected IN OUT TYPE (see slm quantize --help)");
  const auto ft = model::parse_file_type(pos[2]);
  if (!ft) throw Error(Error::Kind::Argument, "unknown TYPE '" + pos[2] + "' (known: " + model::file_type_names() + ")");
  const gguf::File in = gguf::File::open(pos[0]);
  std::fprintf(stderr, "quantize: %s -> %s (%s)\n", pos[0].c_str(), pos[1].c_str(),
               std::string(model::file_type_name(*ft)).c_str());
  ProgressLine progress;
  const auto r = model::requantize(in, *ft, pos[1], [&](const model::WriteProgress& w) { progress(w); },
                                    int(p.get_int("--threads", 0)));
  std::printf("wrote %s: %zu tensors (%zu converted), %llu bytes (%.2f GiB), %.1f s\n", pos[1].c_str(), r.n_tensors,
              r.n_converted, (unsigned long long)r.file_size, double(r.file_size) / (1 << 30), progress.seconds());
  return 0;
}

}  // namespace slm::cli
