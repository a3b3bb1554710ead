// slm make-model: a synthetic random-weight GGUF at a seed model's real shape (or custom dims),
// for speed studies. The weights, vocabulary and shapes are described in src/model/synthetic.hpp
// and src/model/shapes.cpp; docs/make-model.md has the table and the llama.cpp check.

#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"
#include "model/quant_plan.hpp"
#include "model/shapes.hpp"
#include "model/synthetic.hpp"
#include "progress.hpp"
#include "slm/error.hpp"

namespace slm::cli {
namespace {

std::vector<std::int64_t> parse_dims(const std::string& s) {
  std::vector<std::int64_t> v;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    const std::size_t end = std::min(s.find(',', pos), s.size());
    std::int64_t x = 0;
    const auto r = std::from_chars(s.data() + pos, s.data() + end, x);
    if (r.ec != std::errc() || r.ptr != s.data() + end)
      throw Error(Error::Kind::Argument, "--dims: '" + s.substr(pos, end - pos) + "' is not an integer", {}, "make-model");
    v.push_back(x);
    pos = end + 1;
  }
  if (v.size() != 7)
    throw Error(Error::Kind::Argument, "--dims needs 7 numbers: n_layer,n_embd,n_head,n_head_kv,head_dim,n_ff,n_vocab",
                {}, "make-model");
  return v;
}

std::string shape_names() {
  std::string s;
  for (const auto& m : model::seed_shapes()) s += (s.empty() ? "" : ", ") + m.name;
  return s;
}

}  // namespace

int cmd_make_model(const Args& args) {
  ArgParser p("make-model", args);
  p.option({"--arch"}, true, "family: llama, qwen2, gemma, gemma2, gemma3 (implied by --shape)");
  p.option({"--shape"}, true, "a seed model's shape (--list shows them)");
  p.option({"--dims"}, true, "n_layer,n_embd,n_head,n_head_kv,head_dim,n_ff,n_vocab (custom shape)");
  p.option({"--quant"}, true, "file type: " + model::file_type_names() + " (default Q4_K_M)");
  p.option({"--seed"}, true, "random seed (default 1)");
  p.option({"--ctx"}, true, "context_length to record (default: the model's)");
  p.option({"-o", "--output"}, true, "output file");
  p.option({"--list"}, false, "list the seed shapes and exit");
  p.option({"-h", "--help"}, false, "show this help");
  p.parse();
  if (p.has("--help")) {
    std::fputs(("slm make-model --shape NAME | --arch FAMILY --dims ... [--quant TYPE] -o FILE:\n"
                "write a synthetic random-weight model file\n" + p.usage()).c_str(), stdout);
    return 0;
  }
  if (p.has("--list")) {
    std::printf("%-13s %-7s %6s %6s %5s %5s %5s %6s %7s %14s  %s\n", "shape", "arch", "layers", "d", "heads", "kv",
                "hd", "ffn", "vocab", "published", "source");
    for (const auto& m : model::seed_shapes())
      std::printf("%-13s %-7s %6lld %6lld %5lld %5lld %5lld %6lld %7lld %14lld  %.*s\n", m.name.c_str(), m.arch.c_str(),
                  (long long)m.n_layer, (long long)m.n_embd, (long long)m.n_head, (long long)m.n_head_kv,
                  (long long)m.head_dim, (long long)m.n_ff, (long long)m.n_vocab, (long long)m.published_params,
                  int(m.source.size()), m.source.data());
    return 0;
  }
  if (!p.positional().empty())
    throw Error(Error::Kind::Argument, "unexpected argument '" + p.positional()[0] + "' (see slm make-model --help)");
  const auto out = p.get("--output");
  if (!out) throw Error(Error::Kind::Argument, "-o FILE is required (see slm make-model --help)");

  model::ModelShape shape;
  if (auto name = p.get("--shape")) {
    if (p.has("--dims")) throw Error(Error::Kind::Argument, "give --shape or --dims, not both");
    const model::ModelShape* s = model::find_shape(*name);
    if (!s) throw Error(Error::Kind::Argument, "unknown shape '" + *name + "' (known: " + shape_names() + ")");
    if (auto arch = p.get("--arch"); arch && *arch != s->arch)
      throw Error(Error::Kind::Argument, "shape " + *name + " is arch " + s->arch + ", not " + *arch);
    shape = *s;
  } else if (auto dims = p.get("--dims")) {
    const auto arch = p.get("--arch");
    if (!arch) throw Error(Error::Kind::Argument, "--dims needs --arch");
    const auto d = parse_dims(*dims);
    shape = model::custom_shape(*arch, d[0], d[1], d[2], d[3], d[4], d[5], d[6]);
  } else {
    throw Error(Error::Kind::Argument, "give --shape NAME or --arch FAMILY --dims ... (see slm make-model --help)");
  }
  if (p.has("--ctx")) {
    shape.n_ctx = p.get_int("--ctx", 0);
    if (shape.n_ctx < 1) throw Error(Error::Kind::Argument, "--ctx must be positive");
  }
  const std::string quant = p.get_or("--quant", "Q4_K_M");
  const auto ft = model::parse_file_type(quant);
  if (!ft) throw Error(Error::Kind::Argument, "unknown --quant '" + quant + "' (known: " + model::file_type_names() + ")");
  const std::int64_t seed = p.get_int("--seed", 1);

  std::fprintf(stderr, "make-model: %s (%s) %lld layers, d %lld, %s -> %s\n", shape.name.c_str(), shape.arch.c_str(),
               (long long)shape.n_layer, (long long)shape.n_embd, std::string(model::file_type_name(*ft)).c_str(),
               out->c_str());
  ProgressLine progress;
  const auto r = model::write_synthetic_model(shape, *ft, std::uint64_t(seed), *out,
                                              [&](const model::WriteProgress& w) { progress(w); });
  std::printf("wrote %s: %zu tensors, %lld parameters (%.3f B), %llu bytes (%.2f GiB), %.1f s\n", out->c_str(),
              r.n_tensors, (long long)r.n_params, double(r.n_params) / 1e9, (unsigned long long)r.file_size,
              double(r.file_size) / (1 << 30), progress.seconds());
  if (shape.published_params > 0)
    std::printf("published parameter count: %lld (%+.3f%%)\n", (long long)shape.published_params,
                100.0 * double(r.n_params - shape.published_params) / double(shape.published_params));
  return 0;
}

}  // namespace slm::cli
