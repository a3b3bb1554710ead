// slm run — load a model and generate: one prompt, or an interactive chat.
//
// How -p is turned into the model's input (--chat-template, default "auto"):
//   auto   the file declares a chat template (tokenizer.chat_template: an instruction-tuned
//          model) → -p becomes one user turn in that format, so the model answers it.
//          The file declares none (a base model, e.g. the default gemma-3-270m) → the
//          question/answer frame below: base models do not follow chat turns (llama.cpp's own
//          greedy output for gemma-3-270m in Gemma turns repeats the question,
//          tests/data/real/gemma-3-270m-q4_k_m/d_chat), but they do continue "Answer:".
//   qa     "Question: PROMPT\nAnswer:", stopping at the end of the line; greedy unless --temp.
//   NAME   force a chat format (chatml, gemma, llama3, llama2, llama2-sys, mistral, mistral-v3).
//   none   (or --raw) plain completion of the raw prompt, which is echoed first.
// --chat keeps a conversation in one session: each turn appends only its new tokens. It uses
// the declared format, else the one inferred from the architecture (gemma* → Gemma turns).
// Text goes to stdout as it is generated; timings go to stderr at the end.
// Ctrl-C stops the generation under way and still prints its timings (exit status 130); in a
// chat it ends the reply and returns to the prompt, and at the prompt it ends the chat. A second
// Ctrl-C during a generation, or one during the load, ends the program at once.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>  // isatty

#include "args.hpp"
#include "session_args.hpp"
#include "commands.hpp"
#include "interrupt.hpp"
#include "slm/chat.hpp"
#include "slm/error.hpp"
#include "slm/generate.hpp"
#include "slm/model.hpp"
#include "slm/session.hpp"
#include "slm/tokenizer.hpp"

namespace slm::cli {
namespace {

namespace fs = std::filesystem;
constexpr const char* kDefaultModel = "gemma-3-270m-q4_k_m.gguf";

// The default model: ./models/, then <exe>/../../models (build-*/tools/slm → repo/models), then
// the source tree this file was compiled from.
fs::path find_default_model() {
  std::vector<fs::path> tried;
  tried.push_back(fs::path("models") / kDefaultModel);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) tried.push_back(exe.parent_path() / ".." / ".." / "models" / kDefaultModel);
  tried.push_back(fs::path(__FILE__).parent_path() / ".." / ".." / "models" / kDefaultModel);
  for (const auto& p : tried)
    if (fs::exists(p, ec)) return p.lexically_normal();
  std::string list;
  for (const auto& p : tried) list += "\n  " + p.lexically_normal().string();
  throw Error(Error::Kind::Io, "no -m given and the default model " + std::string(kDefaultModel) +
                                   " was not found; looked at:" + list + "\nrun scripts/setup to download it");
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool print_piece(std::string_view piece) {
  std::fwrite(piece.data(), 1, piece.size(), stdout);
  std::fflush(stdout);
  return true;
}

std::string stop_text(StopReason r) {
  return r == StopReason::Cancelled ? kInterrupted : std::string(to_string(r));
}

void print_stats(double load_seconds, const GenerateStats& s, const std::string& stop_reason) {
  std::fprintf(stderr, "\nload:       %.2f s\n", load_seconds);
  std::fprintf(stderr, "prompt:     %d tokens in %.3f s (%.1f tokens/s)\n", s.prompt_tokens, s.prompt_seconds,
               s.prompt_tokens_per_second);
  std::fprintf(stderr, "generation: %d tokens in %.3f s (%.1f tokens/s, %.1f words/s), stopped: %s\n",
               s.generated_tokens, s.generation_seconds, s.tokens_per_second, s.words_per_second, stop_reason.c_str());
}

struct RunConfig {
  fs::path model_path;
  std::optional<std::string> prompt;
  std::string system;
  std::string template_name;  // "auto", "none" or a ChatTemplate name
  bool chat = false;
  bool temperature_given = false;
  GenerateOptions gen;
  SessionOptions session;
  int threads = 0;
  bool use_mmap = true;
};

RunConfig parse_args(const Args& args, bool& help) {
  ArgParser p("run", args);
  p.option({"-m", "--model"}, true, "GGUF model file (default: models/" + std::string(kDefaultModel) + ")");
  p.option({"-p", "--prompt"}, true, "prompt text (with --chat: the first user message)");
  p.option({"--chat"}, false, "interactive chat: one user message per stdin line, EOF ends");
  p.option({"--system"}, true, "system message for chat formats");
  p.option({"--chat-template"}, true,
           "auto (default), qa, none, chatml, gemma, llama3, llama2, llama2-sys, mistral, mistral-v3");
  p.option({"--raw"}, false, "plain completion of -p: same as --chat-template none");
  p.option({"-n", "--n-predict"}, true, "tokens to generate at most (default 256; -1 = until the context is full)");
  p.option({"-t", "--threads"}, true, "worker threads (default: all cores)");
  p.option({"-c", "--ctx-size"}, true, "context size in tokens (default: min(model's, 4096))");
  add_kv_type_option(p);
  p.option({"--no-mmap"}, false, "read the model into memory instead of mapping it (safe if the file changes)");
  p.option({"--temp"}, true, "temperature (default 0.8, 0 in the question/answer frame; 0 = greedy)");
  p.option({"--top-k"}, true, "top-k (default 40; 0 = off)");
  p.option({"--top-p"}, true, "top-p (default 0.95; 1 = off)");
  p.option({"--min-p"}, true, "min-p (default 0.05; 0 = off)");
  p.option({"--repeat-penalty"}, true, "repetition penalty (default 1.0 = off)");
  p.option({"--repeat-last-n"}, true, "tokens the penalty looks back at (default 64; -1 = all)");
  p.option({"--seed"}, true, "random seed (default: random; the header line shows it)");
  p.option({"--stop"}, true, "stop when this text is generated");
  p.option({"--ignore-eos"}, false, "go on after end-of-generation tokens (until -n or the context is full)");
  p.option({"-h", "--help"}, false, "show this help");
  p.parse();
  help = p.has("--help");
  if (help) {
    std::fputs(p.usage().c_str(), stdout);
    return {};
  }
  if (!p.positional().empty())
    throw Error(Error::Kind::Argument, "unexpected argument '" + p.positional().front() + "' (prompt goes after -p)");

  RunConfig c;
  c.model_path = p.has("--model") ? fs::path(*p.get("--model")) : find_default_model();
  c.prompt = p.get("--prompt");
  c.chat = p.has("--chat");
  c.use_mmap = !p.has("--no-mmap");
  c.system = p.get_or("--system", "");
  c.template_name = p.has("--raw") ? "none" : p.get_or("--chat-template", "auto");
  if (c.template_name != "auto" && c.template_name != "qa")
    chat_template_from_name(c.template_name);  // validate early ("none" is a valid name)
  if (!c.prompt && !c.chat) throw Error(Error::Kind::Argument, "give a prompt with -p TEXT, or use --chat");

  c.gen.max_tokens = static_cast<int>(p.get_int("--n-predict", 256));
  auto& s = c.gen.sampler;
  c.temperature_given = p.has("--temp");
  s.temperature = static_cast<float>(p.get_double("--temp", s.temperature));
  s.top_k = static_cast<int>(p.get_int("--top-k", s.top_k));
  s.top_p = static_cast<float>(p.get_double("--top-p", s.top_p));
  s.min_p = static_cast<float>(p.get_double("--min-p", s.min_p));
  s.repeat_penalty = static_cast<float>(p.get_double("--repeat-penalty", s.repeat_penalty));
  s.repeat_last_n = static_cast<int>(p.get_int("--repeat-last-n", s.repeat_last_n));
  s.seed = p.has("--seed") ? static_cast<std::uint64_t>(p.get_int("--seed", 0)) : std::random_device{}();
  if (auto stop = p.get("--stop")) c.gen.stop.push_back(*stop);
  c.gen.stop_at_end_of_generation = !p.has("--ignore-eos");

  c.threads = static_cast<int>(p.get_int("--threads", 0));
  if (c.threads < 0) throw Error(Error::Kind::Argument, "--threads must be >= 0");
  c.session.threads = c.threads;
  c.session.n_ctx = static_cast<int>(p.get_int("--ctx-size", 0));
  c.session.kv_type = kv_type_option(p);
  return c;
}

enum class PromptStyle { Raw, QuestionAnswer, Chat };

struct PromptPlan {
  PromptStyle style = PromptStyle::Raw;
  ChatFormat format;
};

PromptPlan plan_prompt(const RunConfig& c, const Model& model) {
  const ChatFormat detected = chat_format_of(model);
  const std::string& name = c.template_name;
  if (name == "none" || name == "qa") {
    if (c.chat) throw Error(Error::Kind::Argument, "--chat needs a chat format, not --chat-template " + name);
    return {name == "qa" ? PromptStyle::QuestionAnswer : PromptStyle::Raw, {}};
  }
  if (name == "auto") {
    if (c.chat) {
      if (detected.kind == ChatTemplate::None)
        throw Error(Error::Kind::Argument, "--chat: the model declares no chat template; pass --chat-template NAME",
                    c.model_path.string(), "tokenizer.chat_template");
      return {PromptStyle::Chat, detected};
    }
    if (detected.declared) return {PromptStyle::Chat, detected};
    return {PromptStyle::QuestionAnswer, {}};
  }
  const ChatTemplate forced = chat_template_from_name(name);
  if (forced == detected.kind) return {PromptStyle::Chat, detected};  // keeps a declared default system prompt
  return {PromptStyle::Chat, ChatFormat{forced, {}, false}};
}

std::string describe(const PromptPlan& plan) {
  switch (plan.style) {
    case PromptStyle::Raw: return "raw completion";
    case PromptStyle::QuestionAnswer: return "question/answer frame (no chat template declared: base model)";
    case PromptStyle::Chat:
      return std::string("chat format ") + to_string(plan.format.kind) +
             (plan.format.declared ? " (declared by the file)" : " (inferred, the file declares none)");
  }
  return "?";
}

// Streams pieces to stdout, dropping the whitespace an answer usually starts with (" Paris").
// With one_line it stops at the first line break after the answer has begun (a base model in
// the question/answer frame goes on with more "Question:" lines; a line break before any text
// is not the end of the answer).
class AnswerPrinter {
 public:
  AnswerPrinter(bool skip_leading_space, bool one_line) : skipping_(skip_leading_space), one_line_(one_line) {}
  bool operator()(std::string_view piece) {
    if (skipping_) {
      const auto first = piece.find_first_not_of(" \t\r\n");
      if (first == std::string_view::npos) return true;
      piece.remove_prefix(first);
      skipping_ = false;
    }
    if (one_line_) {
      if (const auto nl = piece.find('\n'); nl != std::string_view::npos) {
        print_piece(piece.substr(0, nl));
        line_ended_ = true;
        return false;
      }
    }
    return print_piece(piece);
  }
  bool line_ended() const noexcept { return line_ended_; }

 private:
  bool skipping_;
  bool one_line_;
  bool line_ended_ = false;
};

int run_once(const RunConfig& c, Session& session, const Tokenizer& tok, const PromptPlan& plan,
             double load_seconds) {
  std::string text;
  GenerateOptions options = c.gen;
  options.cancel = &interrupted();
  switch (plan.style) {
    case PromptStyle::Raw:
      text = *c.prompt;
      print_piece(text);  // completion: the continuation reads on from the prompt
      break;
    case PromptStyle::QuestionAnswer:
      text = "Question: " + *c.prompt + "\nAnswer:";
      // Sampling a small base model at 0.8 gives a wrong or off-topic line too often; its most
      // likely answer is the useful one. --temp still overrides.
      if (!c.temperature_given) options.sampler.temperature = 0.0f;
      break;
    case PromptStyle::Chat: {
      std::vector<ChatMessage> msgs;
      if (!c.system.empty()) msgs.push_back({"system", c.system});
      msgs.push_back({"user", *c.prompt});
      text = render_chat(plan.format, msgs, true);
      break;
    }
  }
  // Special-token text is parsed: chat formats need it, and a raw prompt may spell turns itself.
  const auto prompt = tok.encode(text, true, true);
  AnswerPrinter printer(plan.style != PromptStyle::Raw, plan.style == PromptStyle::QuestionAnswer);
  const GenerateStats stats = generate(session, tok, prompt, options, std::ref(printer));
  print_piece("\n");
  print_stats(load_seconds, stats, printer.line_ended() ? "end of the answer line" : stop_text(stats.stop_reason));
  return stats.stop_reason == StopReason::Cancelled ? 130 : 0;
}

int run_chat(const RunConfig& c, Session& session, const Tokenizer& tok, const ChatFormat& format,
             double load_seconds) {
  Conversation conv(format, c.system);
  Sampler sampler(c.gen.sampler);
  GenerateOptions options = c.gen;
  options.cancel = &interrupted();
  GenerateStats total;
  std::optional<std::string> pending = c.prompt;
  std::fprintf(stderr, "one message per line, Ctrl-D to end; Ctrl-C stops a reply\n");
  for (;;) {
    interrupted().store(false);
    std::string line;
    if (pending) {
      line = *pending;
      pending.reset();
      std::printf("> %s\n", line.c_str());
    } else {
      std::fputs("> ", stdout);
      std::fflush(stdout);
      if (!std::getline(std::cin, line)) {
        print_piece("\n");
        break;
      }
      if (!isatty(fileno(stdin))) std::printf("%s\n", line.c_str());  // piped input: keep the transcript readable
    }
    if (line.empty()) continue;
    const std::string delta = conv.add_user(line);
    // BOS only at the very start of the session.
    const auto tokens = tok.encode(delta, session.position() == 0, true);
    if (session.position() + static_cast<int>(tokens.size()) >= session.n_ctx()) {
      std::fprintf(stderr, "\n[context full: %d of %d tokens used]\n", session.position(), session.n_ctx());
      break;
    }
    AnswerPrinter printer(true, false);
    const GenerateStats s = generate(session, tok, tokens, options, sampler, std::ref(printer));
    conv.add_assistant(s.text);
    print_piece("\n");
    std::fprintf(stderr, "[%d tokens, %.1f tokens/s%s]\n", s.generated_tokens, s.tokens_per_second,
                 s.stop_reason == StopReason::Cancelled ? ", interrupted" : "");
    total.prompt_tokens += s.prompt_tokens;
    total.prompt_seconds += s.prompt_seconds;
    total.generated_tokens += s.generated_tokens;
    total.generation_seconds += s.generation_seconds;
    total.words += s.words;
    total.stop_reason = s.stop_reason;
    if (s.stop_reason == StopReason::ContextFull) {
      std::fprintf(stderr, "[context full]\n");
      break;
    }
  }
  if (total.prompt_seconds > 0) total.prompt_tokens_per_second = total.prompt_tokens / total.prompt_seconds;
  if (total.generation_seconds > 0) {
    total.tokens_per_second = total.generated_tokens / total.generation_seconds;
    total.words_per_second = total.words / total.generation_seconds;
  }
  print_stats(load_seconds, total, stop_text(total.stop_reason));
  return 0;
}

}  // namespace

int cmd_run(const Args& args) {
  bool help = false;
  RunConfig c = parse_args(args, help);
  if (help) return 0;

  const auto t0 = std::chrono::steady_clock::now();
  LoadOptions lo;
  lo.threads = c.threads;
  lo.use_mmap = c.use_mmap;
  Model model = Model::load(c.model_path, lo);
  const Tokenizer& tok = model.tokenizer();
  Session session(model, c.session);
  const double load_seconds = seconds_since(t0);
  const PromptPlan plan = plan_prompt(c, model);

  const ModelInfo info = model.info();
  std::fprintf(stderr, "slm run: %s (%s, %.0fM params), %s, context %d, seed %llu\n",
               c.model_path.filename().string().c_str(), info.architecture.c_str(), info.n_params / 1e6,
               describe(plan).c_str(), session.n_ctx(), static_cast<unsigned long long>(c.gen.sampler.seed));

  catch_sigint();  // from here: during the load, Ctrl-C ends the program as usual
  return c.chat ? run_chat(c, session, tok, plan.format, load_seconds) : run_once(c, session, tok, plan, load_seconds);
}

}  // namespace slm::cli
