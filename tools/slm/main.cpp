// slm — one program, one subcommand per concern (see commands.hpp).
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string_view>

#include <unistd.h>

#include "commands.hpp"
#include "slm/error.hpp"

namespace {

struct Command {
  const char* name;
  int (*fn)(const slm::cli::Args&);
  const char* help;
};

constexpr Command kCommands[] = {
    {"inspect", slm::cli::cmd_inspect, "show a GGUF file's metadata, tensors and architecture"},
    {"run", slm::cli::cmd_run, "generate text from a prompt, or chat (--chat)"},
    {"make-model", slm::cli::cmd_make_model, "write a synthetic random-weight model at a real model's shape"},
    {"compare", slm::cli::cmd_compare, "architecture cards side by side, speed and perplexity of several models"},
    {"perplexity", slm::cli::cmd_perplexity, "perplexity of a model on a text file (llama.cpp's method)"},
    {"trace", slm::cli::cmd_trace, "per-layer statistics of a forward pass; tensors as .npy"},
    {"quantize", slm::cli::cmd_quantize, "convert a model file to Q4_K_M, Q8_0, F16, BF16 or F32"},
    {"bench", slm::cli::cmd_bench, "prompt and generation tokens/s, llama-bench style (pp512, tg128)"},
};

// A mapped model file that shrinks on disk (truncated, rewritten in place) makes the next
// access to a lost page raise SIGBUS. Say so in one line instead of dying silently; only
// async-signal-safe calls here. --no-mmap avoids it (docs/robustness.md).
void on_sigbus(int) {
  static const char kMessage[] =
      "slm: error: a mapped file changed on disk while in use (SIGBUS): use --no-mmap to read it into memory\n";
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  ::_exit(3);
}

void print_usage() {
  std::fprintf(stderr, "usage: slm COMMAND [options]   (slm COMMAND --help for its options)\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(stderr, "  %-12s %s\n", c.name, c.help);
}

}  // namespace

int main(int argc, char** argv) {
  struct sigaction bus = {};
  bus.sa_handler = on_sigbus;
  sigemptyset(&bus.sa_mask);
  sigaction(SIGBUS, &bus, nullptr);
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  for (const auto& c : kCommands) {
    if (std::string_view(argv[1]) != c.name) continue;
    try {
      return c.fn(slm::cli::Args(argv + 2, argv + argc));
    } catch (const slm::Error& e) {
      std::fprintf(stderr, "slm %s: error: %s\n", c.name, e.what());
      return 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "slm %s: internal error: %s\n", c.name, e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "slm: unknown command '%s'\n", argv[1]);
  print_usage();
  return 2;
}
