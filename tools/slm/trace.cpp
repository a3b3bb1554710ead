// slm trace — one forward pass over a prompt, seen from inside (slm::trace, docs/trace.md):
// per layer the RMS and max |x| (with its token position and channel) of the attention output,
// the FFN output and the residual stream after the layer, and the attention entropy of each
// head (mean over query positions, in nats; at most ln(keys seen)). --dump DIR writes the
// chosen tensors as .npy files named like layer03.attn_out.npy, shape [n_tokens, dim].
#include <cstdio>
#include <filesystem>
#include <string>

#include "args.hpp"
#include "session_args.hpp"
#include "commands.hpp"
#include "json.hpp"
#include "slm/error.hpp"
#include "slm/model.hpp"
#include "slm/tokenizer.hpp"
#include "slm/trace.hpp"
#include "util/npy.hpp"

namespace slm::cli {
namespace {

std::string where(const TensorStats& s) {
  return std::to_string(s.max_token) + ":" + std::to_string(s.max_channel);
}

void print_stats_cells(const TensorStats& s) {
  std::printf(" %10.4g %10.4g %-9s", s.rms, s.max_abs, where(s).c_str());
}

void print_text(const TraceReport& r, const Model& model, const std::string& path) {
  const HParams& hp = model.hparams();
  std::printf("trace: %s (%s), %lld tokens, %lld layers, %lld heads\n", path.c_str(), std::string(model.arch().gguf_arch).c_str(),
              static_cast<long long>(r.n_tokens), static_cast<long long>(hp.n_layer),
              static_cast<long long>(hp.n_head));
  std::printf("columns: RMS, max |x|, and where the max is (token position:channel); entropy per head in nats\n");
  std::printf("%-12s %-6s | %-31s | %-31s | %-31s | %s\n", "layer", "attn", "residual (after layer)", "attn_out",
              "ffn_out", "attention entropy per head");
  std::printf("%-12s %-6s |", "embd", "");
  print_stats_cells(r.embedding);
  std::printf(" |\n");
  for (const LayerTrace& l : r.layers) {
    std::printf("layer%02d      %-6s |", l.layer, l.sliding_window ? "window" : "global");
    print_stats_cells(l.residual);
    std::printf(" |");
    print_stats_cells(l.attn_out);
    std::printf(" |");
    print_stats_cells(l.ffn_out);
    std::printf(" |");
    for (const double h : l.head_entropy) std::printf(" %.3f", h);
    std::printf("\n");
  }
  std::printf("%-12s %-6s |", "output_norm", "");
  print_stats_cells(r.output_norm);
  std::printf(" |\n");
}

void stats_json(JsonWriter& j, std::string_view key, const TensorStats& s) {
  j.key(key);
  j.begin_object();
  j.member("rms", s.rms);
  j.member("max_abs", s.max_abs);
  j.member("max_token", s.max_token);
  j.member("max_channel", s.max_channel);
  j.end_object();
}

void print_json(const TraceReport& r, const Model& model, const std::string& path, const std::vector<TokenId>& tokens,
                MatmulPath matmul) {
  std::string out;
  JsonWriter j(out);
  j.begin_object();
  j.member("model", path);
  j.member("arch", std::string(model.arch().gguf_arch));
  j.member("matmul", to_string(matmul));
  j.member("n_tokens", r.n_tokens);
  j.key("tokens");
  j.begin_array();
  for (const TokenId t : tokens) j.value(int(t));
  j.end_array();
  stats_json(j, "embd", r.embedding);
  j.key("layers");
  j.begin_array();
  for (const LayerTrace& l : r.layers) {
    j.begin_object();
    j.member("layer", l.layer);
    j.member("sliding_window", l.sliding_window);
    stats_json(j, "residual", l.residual);
    stats_json(j, "attn_out", l.attn_out);
    stats_json(j, "ffn_out", l.ffn_out);
    j.key("head_entropy");
    j.begin_array();
    for (const double h : l.head_entropy) j.value(h);
    j.end_array();
    j.end_object();
  }
  j.end_array();
  stats_json(j, "output_norm", r.output_norm);
  j.end_object();
  std::printf("%s\n", out.c_str());
}

}  // namespace

int cmd_trace(const Args& args) {
  ArgParser p("trace", args);
  p.option({"-m", "--model"}, true, "GGUF model file");
  p.option({"-p", "--prompt"}, true, "text to evaluate (tokenized with BOS as the model asks)");
  p.option({"--json"}, false, "print the statistics as JSON");
  p.option({"--dump"}, true, "write the tensors chosen by --tensors to DIR as .npy (float32, [n_tokens, dim])");
  p.option({"--tensors"}, true,
           "comma-separated glob patterns over embd, layerNN.attn_out, layerNN.ffn_out, layerNN.residual, "
           "output_norm, logits (default '*')");
  p.option({"-t", "--threads"}, true, "worker threads (default: all cores)");
  add_kv_type_option(p);
  add_matmul_option(p);
  p.option({"-h", "--help"}, false, "show this help");
  p.parse();
  if (p.has("--help")) {
    std::fputs(("usage: slm trace -m MODEL -p PROMPT [options]\n" + p.usage()).c_str(), stdout);
    return 0;
  }
  const auto model_path = p.get("--model");
  const auto prompt = p.get("--prompt");
  if (!model_path || !prompt) throw Error(Error::Kind::Argument, "-m MODEL and -p PROMPT are required (see slm trace --help)");
  TraceOptions o;
  o.threads = int(p.get_int("--threads", 0));
  o.kv_type = kv_type_option(p);
  o.matmul = matmul_option(p);
  const auto dump = p.get("--dump");
  if (dump) o.keep = p.get_or("--tensors", "*");

  const Model model = Model::load(*model_path);
  const std::vector<TokenId> tokens = model.tokenizer().encode(*prompt, /*add_special=*/true, /*parse_special=*/false);
  if (tokens.empty()) throw Error(Error::Kind::Argument, "the prompt gives no tokens");
  const TraceReport r = trace(model, tokens, o);
  if (p.has("--json"))
    print_json(r, model, *model_path, tokens, o.matmul);
  else
    print_text(r, model, *model_path);
  if (dump) {
    std::filesystem::create_directories(*dump);
    for (const TraceTensor& t : r.tensors)
      util::write_npy(std::filesystem::path(*dump) / (t.name + ".npy"), t.data, {t.n_tokens, t.dim});
    std::fprintf(stderr, "trace: wrote %zu tensors to %s\n", r.tensors.size(), dump->c_str());
  }
  return 0;
}

}  // namespace slm::cli
