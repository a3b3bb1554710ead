#pragma once
// Results of `slm compare`, shared by its renderers (compare.cpp: table, Markdown, JSON;
// report_html.cpp: the self-contained HTML report).

#include <optional>
#include <string>
#include <vector>

#include "model/card.hpp"
#include "slm/generate.hpp"
#include "slm/perplexity.hpp"

namespace slm::cli {

struct PromptRun {
  std::string prompt;        // as given
  std::string style;         // "chat (chatml)", "question/answer frame"
  GenerateStats stats;       // greedy
};

struct ModelResult {
  model::ArchCard card;
  double load_seconds = 0;
  std::vector<PromptRun> runs;
  std::optional<PerplexityResult> ppl;
  // Totals over the runs (token-weighted rates).
  int prompt_tokens = 0, generated_tokens = 0, words = 0;
  double prompt_seconds = 0, generation_seconds = 0;
  double prompt_tps() const { return prompt_seconds > 0 ? prompt_tokens / prompt_seconds : 0; }
  double gen_tps() const { return generation_seconds > 0 ? generated_tokens / generation_seconds : 0; }
  double words_ps() const { return generation_seconds > 0 ? words / generation_seconds : 0; }
};

struct CompareReport {
  std::vector<ModelResult> models;
  std::vector<std::string> prompts;
  int max_tokens = 0, threads = 0;
  std::string ppl_file;
  int ppl_ctx = 0;
};

// The report as one HTML document: inline CSS and SVG charts, no scripts, no external resources.
std::string render_html(const CompareReport& report);

}  // namespace slm::cli
