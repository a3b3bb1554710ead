// slm perplexity — perplexity of a model on a text file by llama.cpp's `llama-perplexity`
// method (slm::perplexity, include/slm/perplexity.hpp; results vs llama.cpp in
// docs/perplexity.md). Progress (chunk i/N, running PPL, ETA) goes to stderr; the result to
// stdout, last line as llama.cpp prints it: "Final estimate: PPL = X +/- Y".
#include <unistd.h>  // isatty

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "args.hpp"
#include "session_args.hpp"
#include "commands.hpp"
#include "interrupt.hpp"
#include "slm/error.hpp"
#include "slm/model.hpp"
#include "slm/perplexity.hpp"

namespace slm::cli {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(Error::Kind::Io, "cannot open the text file", path);
  std::stringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw Error(Error::Kind::Io, "cannot read the text file", path);
  return ss.str();
}

// "[####......] chunk 3/14  PPL 17.6529  2.1 s/chunk  ETA 23 s", rewritten in place on a
// terminal, one line per chunk otherwise (logs keep every running value).
void print_progress(int done, int n_chunks, double ppl, double seconds, bool tty) {
  constexpr int kWidth = 24;
  const int filled = n_chunks > 0 ? done * kWidth / n_chunks : kWidth;
  const double per_chunk = done > 0 ? seconds / done : 0;
  std::string bar(std::size_t(filled), '#');
  bar.append(std::size_t(kWidth - filled), '.');
  std::fprintf(stderr, "%s[%s] chunk %d/%d  PPL %.4f  %.2f s/chunk  ETA %.0f s%s", tty ? "\r" : "", bar.c_str(), done,
               n_chunks, ppl, per_chunk, per_chunk * (n_chunks - done), tty && done < n_chunks ? "" : "\n");
  std::fflush(stderr);
}

}  // namespace

int cmd_perplexity(const Args& args) {
  ArgParser p("perplexity", args);
  p.option({"-m", "--model"}, true, "GGUF model file");
  p.option({"-f", "--file"}, true, "text file to score");
  p.option({"-c", "--ctx-size"}, true, "chunk length in tokens (default 512)");
  p.option({"-b", "--batch-size"}, true, "tokens per forward pass (default: the chunk length)");
  p.option({"-t", "--threads"}, true, "worker threads (default: all cores)");
  p.option({"--chunks"}, true, "evaluate at most this many chunks (default: all)");
  add_kv_type_option(p);
  add_matmul_option(p);
  p.option({"--no-mmap"}, false, "read the model into memory instead of mapping it");
  p.option({"-h", "--help"}, false, "show this help");
  p.parse();
  if (p.has("--help")) {
    std::fputs(("usage: slm perplexity -m MODEL -f TEXT [options]\n" + p.usage()).c_str(), stdout);
    return 0;
  }
  const auto model_path = p.get("--model");
  const auto text_path = p.get("--file");
  if (!model_path || !text_path) throw Error(Error::Kind::Argument, "-m MODEL and -f TEXT are required (see slm perplexity --help)");

  PerplexityOptions o;
  o.n_ctx = int(p.get_int("--ctx-size", 512));
  o.n_batch = int(p.get_int("--batch-size", 0));
  o.threads = int(p.get_int("--threads", 0));
  o.max_chunks = int(p.get_int("--chunks", 0));
  if (o.n_batch < 0 || o.threads < 0 || o.max_chunks < 0)
    throw Error(Error::Kind::Argument, "-b, -t and --chunks must be >= 0");
  o.kv_type = kv_type_option(p);
  o.matmul = matmul_option(p);
  const bool tty = ::isatty(2) != 0;
  o.on_chunk = [tty](int done, int n, double ppl, double secs) { print_progress(done, n, ppl, secs, tty); };

  LoadOptions lo;
  lo.use_mmap = !p.has("--no-mmap");
  const Model model = Model::load(*model_path, lo);
  const std::string text = read_text(*text_path);
  std::fprintf(stderr, "perplexity: %s on %s, ctx %d, kv %s, matmul %s\n", model_path->c_str(), text_path->c_str(),
               o.n_ctx, to_string(o.kv_type), to_string(o.matmul));
  catch_sigint();  // Ctrl-C: stop after the chunk under way and print the estimate so far
  o.cancel = &interrupted();
  const PerplexityResult r = perplexity(model, text, o);
  if (r.cancelled) std::fprintf(stderr, "\n%s after %d chunks\n", kInterrupted, r.n_chunks);
  std::printf("tokens: %lld, chunks: %d of %lld tokens, scored: %lld, %.2f s (%.1f tokens/s)\n",
              static_cast<long long>(r.n_tokens), r.n_chunks, static_cast<long long>(o.n_ctx),
              static_cast<long long>(r.n_scored), r.seconds,
              r.seconds > 0 ? double(r.n_chunks) * o.n_ctx / r.seconds : 0.0);
  std::printf("running PPL:");
  for (std::size_t i = 0; i < r.ppl_after_chunk.size(); ++i) std::printf(" [%zu]%.4f", i + 1, r.ppl_after_chunk[i]);
  std::printf("\nFinal estimate: PPL = %.4f +/- %.5f\n", r.ppl, r.ppl_error);
  return r.cancelled ? 130 : 0;
}

}  // namespace slm::cli
