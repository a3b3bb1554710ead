// slm compare MODEL... : architecture cards side by side, plus the same greedy prompts run on
// every model (load time, prompt and generation speed, words/s, answer length) and optionally
// perplexity on a text. Output: terminal table, Markdown, JSON or a self-contained HTML report.
//
// Prompts go through the model's declared chat template when it has one (instruction-tuned
// files); a file without one (a base model) gets a "Question: ...\nAnswer:" frame and stops at
// the end of the answer line, as `slm run` does.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "args.hpp"
#include "card_args.hpp"
#include "card_json.hpp"
#include "commands.hpp"
#include "text.hpp"
#include "compare.hpp"
#include "json.hpp"
#include "slm/chat.hpp"
#include "slm/model.hpp"
#include "slm/session.hpp"
#include "slm/tokenizer.hpp"

namespace slm::cli {
namespace {

const std::vector<std::string> kDefaultPrompts = {
    "What is the capital of France?",
    "Write one sentence about the sea.",
};

PromptRun run_prompt(const Model& model, Session& session, const std::string& prompt, int max_tokens) {
  const ChatFormat format = chat_format_of(model);
  PromptRun run;
  run.prompt = prompt;
  GenerateOptions options;
  options.max_tokens = max_tokens;
  options.sampler.temperature = 0;  // greedy: the same answer on every run
  std::string text;
  if (format.declared) {
    const std::vector<ChatMessage> msgs = {{"user", prompt}};
    text = render_chat(format, msgs, true);
    run.style = std::string("chat (") + to_string(format.kind) + ")";
  } else {
    text = "Question: " + prompt + "\nAnswer:";
    options.stop.push_back("\n");
    run.style = "question/answer frame";
  }
  session.reset();
  const auto tokens = model.tokenizer().encode(text, true, true);
  run.stats = generate(session, model.tokenizer(), tokens, options, [](std::string_view) { return true; });
  return run;
}

ModelResult measure(const std::string& path, const CompareReport& r, const model::CardOptions& card_options,
                    int ppl_chunks, const std::string& ppl_text, bool quiet) {
  ModelResult m;
  const auto t0 = std::chrono::steady_clock::now();
  LoadOptions load_options;
  load_options.threads = r.threads;
  load_options.populate = !r.prompts.empty() || !ppl_text.empty();  // only a model that runs needs its weights read
  const Model model = Model::load(path, load_options);
  m.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.card = model::make_card(model.file(), card_options);
  if (!r.prompts.empty()) {
    const int n_ctx = int(std::min<std::int64_t>(model.hparams().n_ctx_train, 2048));
    Session session(model, {.n_ctx = n_ctx, .threads = r.threads});
    for (const auto& p : r.prompts) {
      if (!quiet) std::fprintf(stderr, "compare: %s: prompt \"%s\"\n", file_name(path).c_str(), p.c_str());
      m.runs.push_back(run_prompt(model, session, p, r.max_tokens));
      const auto& s = m.runs.back().stats;
      m.prompt_tokens += s.prompt_tokens;
      m.prompt_seconds += s.prompt_seconds;
      m.generated_tokens += s.generated_tokens;
      m.generation_seconds += s.generation_seconds;
      m.words += s.words;
    }
  }
  if (!ppl_text.empty()) {
    if (!quiet) std::fprintf(stderr, "compare: %s: perplexity\n", file_name(path).c_str());
    PerplexityOptions po;
    po.n_ctx = r.ppl_ctx;
    po.max_chunks = ppl_chunks;
    po.threads = r.threads;
    m.ppl = perplexity(model, ppl_text, po);
  }
  return m;
}

// ---- text and Markdown ---------------------------------------------------------------------

struct Table {
  std::vector<std::string> head;
  std::vector<std::vector<std::string>> rows;
};

Table measurements(const CompareReport& r) {
  Table t{{"model", "params", "weights", "load s", "prompt tok/s", "gen tok/s", "words/s", "ceiling tok/s",
           "answer tokens", "answer words"},
          {}};
  const bool ppl = !r.ppl_file.empty();
  if (ppl) t.head.push_back("PPL (ctx " + std::to_string(r.ppl_ctx) + ")");
  for (const auto& m : r.models) {
    std::vector<std::string> row = {file_name(m.card.path),
                                    model::si(double(m.card.params_total), ""),
                                    model::binary_bytes(m.card.weight_bytes),
                                    fmt("%.2f", m.load_seconds),
                                    m.runs.empty() ? "-" : fmt("%.1f", m.prompt_tps()),
                                    m.runs.empty() ? "-" : fmt("%.1f", m.gen_tps()),
                                    m.runs.empty() ? "-" : fmt("%.1f", m.words_ps()),
                                    m.card.tokens_per_s_ceiling > 0 ? fmt("%.0f", m.card.tokens_per_s_ceiling) : "-",
                                    std::to_string(m.generated_tokens),
                                    std::to_string(m.words)};
    if (ppl) row.push_back(m.ppl ? fmt("%.4f", m.ppl->ppl) + " ± " + fmt("%.4f", m.ppl->ppl_error) : "-");
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::string table_text(const Table& t) {
  std::vector<std::size_t> w(t.head.size());
  auto width = [](const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  for (std::size_t i = 0; i < w.size(); ++i) {
    w[i] = width(t.head[i]);
    for (const auto& r : t.rows) w[i] = std::max(w[i], width(r[i]));
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i)
      out += (i ? "  " : "") + cells[i] + std::string(w[i] - width(cells[i]), ' ');
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
  };
  line(t.head);
  for (const auto& r : t.rows) line(r);
  return out;
}

std::string md_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += "<br>";
    else
      out += c;
  }
  return out;
}

std::string table_markdown(const Table& t) {
  std::string out = "|";
  for (const auto& h : t.head) out.append(" ").append(md_escape(h)).append(" |");
  out += "\n|";
  for (std::size_t i = 0; i < t.head.size(); ++i) out += "---|";
  out += "\n";
  for (const auto& r : t.rows) {
    out += "|";
    for (const auto& c : r) out.append(" ").append(md_escape(c)).append(" |");
    out += "\n";
  }
  return out;
}

std::string answers(const CompareReport& r, bool markdown) {
  std::string out;
  for (std::size_t p = 0; p < r.prompts.size(); ++p) {
    out += markdown ? "\n**Prompt:** " + md_escape(r.prompts[p]) + "\n\n" : "\nprompt: " + r.prompts[p] + "\n";
    for (const auto& m : r.models) {
      const PromptRun& run = m.runs[p];
      const std::string head = file_name(m.card.path) + " [" + run.style + ", " +
                               std::to_string(run.stats.generated_tokens) + " tokens, " +
                               to_string(run.stats.stop_reason) + "]";
      out += markdown ? "- " + md_escape(head) + ": " + md_escape(run.stats.text) + "\n"
                      : "  " + head + ": " + run.stats.text + "\n";
    }
  }
  return out;
}

std::string settings_line(const CompareReport& r) {
  std::string s = "greedy, -n " + std::to_string(r.max_tokens) + ", threads " +
                  (r.threads ? std::to_string(r.threads) : std::string("all"));
  if (!r.ppl_file.empty()) s += ", perplexity on " + r.ppl_file + " at ctx " + std::to_string(r.ppl_ctx);
  return s;
}

std::string render_text(const CompareReport& r, bool markdown) {
  std::vector<model::ArchCard> cards;
  for (const auto& m : r.models) cards.push_back(m.card);
  std::string out;
  if (markdown) {
    out += "## Architecture cards\n\n" + model::cards_markdown(cards);
    out += "\n## Measurements\n\n" + settings_line(r) + "\n\n" + table_markdown(measurements(r));
    if (!r.prompts.empty()) out += "\n## Answers\n" + answers(r, true);
  } else {
    out += model::cards_text(cards);
    out += "\nmeasurements (" + settings_line(r) + "):\n" + table_text(measurements(r));
    if (!r.prompts.empty()) out += answers(r, false);
  }
  return out;
}

std::string render_json(const CompareReport& r) {
  std::string out;
  JsonWriter j(out);
  j.begin_object();
  j.key("prompts");
  j.begin_array();
  for (const auto& p : r.prompts) j.value(p);
  j.end_array();
  j.member("max_tokens", r.max_tokens);
  j.member("threads", r.threads);
  j.member("ppl_file", r.ppl_file);
  j.member("ppl_ctx", r.ppl_ctx);
  j.key("models");
  j.begin_array();
  for (const auto& m : r.models) {
    j.begin_object();
    j.member("path", m.card.path);
    j.key("card");
    card_json(j, m.card);
    j.member("load_seconds", m.load_seconds);
    j.member("prompt_tokens_per_second", m.prompt_tps());
    j.member("tokens_per_second", m.gen_tps());
    j.member("words_per_second", m.words_ps());
    j.member("generated_tokens", m.generated_tokens);
    j.member("words", m.words);
    j.key("runs");
    j.begin_array();
    for (const auto& run : m.runs) {
      j.begin_object();
      j.member("prompt", run.prompt);
      j.member("style", run.style);
      j.member("prompt_tokens", run.stats.prompt_tokens);
      j.member("prompt_tokens_per_second", run.stats.prompt_tokens_per_second);
      j.member("generated_tokens", run.stats.generated_tokens);
      j.member("tokens_per_second", run.stats.tokens_per_second);
      j.member("words", run.stats.words);
      j.member("words_per_second", run.stats.words_per_second);
      j.member("stop_reason", to_string(run.stats.stop_reason));
      j.member("text", run.stats.text);
      j.end_object();
    }
    j.end_array();
    j.key("perplexity");
    if (m.ppl) {
      j.begin_object();
      j.member("ppl", m.ppl->ppl);
      j.member("ppl_error", m.ppl->ppl_error);
      j.member("mean_nll", m.ppl->mean_nll);
      j.member("n_tokens", std::int64_t(m.ppl->n_tokens));
      j.member("n_chunks", m.ppl->n_chunks);
      j.member("n_scored", std::int64_t(m.ppl->n_scored));
      j.member("seconds", m.ppl->seconds);
      j.end_object();
    } else {
      j.null();
    }
    j.end_object();
  }
  j.end_array();
  j.end_object();
  return out;
}

// Pulls every "-p TEXT" / "--prompt TEXT" / "--prompt=TEXT" out of args (the parser keeps one
// value per option; prompts repeat).
std::vector<std::string> take_prompts(Args& args) {
  std::vector<std::string> prompts;
  Args rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-p" || a == "--prompt") {
      if (i + 1 >= args.size()) throw Error(Error::Kind::Argument, a + " needs a value");
      prompts.push_back(args[++i]);
    } else if (a.rfind("--prompt=", 0) == 0) {
      prompts.push_back(a.substr(9));
    } else {
      rest.push_back(a);
    }
  }
  args = std::move(rest);
  return prompts;
}

}  // namespace

int cmd_compare(const Args& raw_args) {
  Args args = raw_args;
  std::vector<std::string> prompts = take_prompts(args);
  ArgParser p("compare", args);
  p.option({"-n", "--max-tokens"}, true, "tokens to generate per prompt (default 32)");
  p.option({"-t", "--threads"}, true, "threads (default: all)");
  p.option({"--ppl-file"}, true, "measure perplexity on this text file (e.g. /usr/share/common-licenses/GPL-3)");
  p.option({"--ppl-ctx"}, true, "perplexity chunk length (default 512)");
  p.option({"--ppl-chunks"}, true, "evaluate at most this many perplexity chunks (default: all)");
  p.option({"--format"}, true, "table (default), markdown, json or html");
  p.option({"-o", "--output"}, true, "write to FILE instead of stdout");
  p.option({"--no-run"}, false, "cards only: run no prompts");
  p.option({"--families"}, false, "print the structure of every supported family as Markdown (no MODEL)");
  p.option({"-q", "--quiet"}, false, "no progress lines on stderr");
  declare_card_options(p);
  p.option({"-h", "--help"}, false, "show this help");
  p.parse();
  if (p.has("--help")) {
    std::fputs(("slm compare MODEL... [-p TEXT]... [-n N] [-t T] [--ppl-file TEXT --ppl-ctx N] "
                "[--format table|markdown|json|html] [-o FILE]\n"
                "  architecture cards side by side; the same greedy prompts on every model; optional perplexity\n"
                "  -p, --prompt TEXT   a prompt (repeatable; default: two short questions)\n" +
                p.usage())
                   .c_str(),
               stdout);
    return 0;
  }
  if (p.has("--families")) {
    std::fputs(model::families_markdown().c_str(), stdout);
    return 0;
  }
  if (p.positional().empty()) throw Error(Error::Kind::Argument, "expected one or more MODEL files (see --help)");
  const std::string format = p.get_or("--format", "table");
  if (format != "table" && format != "markdown" && format != "json" && format != "html")
    throw Error(Error::Kind::Argument, "--format must be table, markdown, json or html, got '" + format + "'");

  CompareReport r;
  r.max_tokens = static_cast<int>(p.get_int("--max-tokens", 32));
  if (r.max_tokens < 1) throw Error(Error::Kind::Argument, "-n must be >= 1");
  r.threads = static_cast<int>(p.get_int("--threads", 0));
  if (r.threads < 0) throw Error(Error::Kind::Argument, "--threads must be >= 0");
  if (!p.has("--no-run")) r.prompts = prompts.empty() ? kDefaultPrompts : prompts;
  std::string ppl_text;
  if (auto f = p.get("--ppl-file")) {
    std::ifstream in(*f, std::ios::binary);
    if (!in) throw Error(Error::Kind::Io, "cannot read the perplexity text", *f);
    std::stringstream ss;
    ss << in.rdbuf();
    ppl_text = ss.str();
    r.ppl_file = *f;
    r.ppl_ctx = static_cast<int>(p.get_int("--ppl-ctx", 512));
  }
  const int ppl_chunks = static_cast<int>(p.get_int("--ppl-chunks", 0));
  const model::CardOptions card_options = cli::card_options(p, r.threads);
  const bool quiet = p.has("--quiet");
  for (const auto& path : p.positional())
    r.models.push_back(measure(path, r, card_options, ppl_chunks, ppl_text, quiet));

  std::string out;
  if (format == "json")
    out = render_json(r);
  else if (format == "html")
    out = render_html(r);
  else
    out = render_text(r, format == "markdown");
  if (auto o = p.get("--output")) {
    std::ofstream f(*o, std::ios::binary);
    f << out;
    if (!f) throw Error(Error::Kind::Io, "cannot write the report", *o);
  } else {
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  return 0;
}

}  // namespace slm::cli
