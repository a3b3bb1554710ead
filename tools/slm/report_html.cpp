// render_html(): the `slm compare` report as one self-contained HTML document. Charts are
// inline SVG drawn here (scatter: speed vs size, perplexity vs size; bars: KV bytes per token),
// styles are inline CSS; no scripts, fonts or images are loaded from anywhere.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "compare.hpp"
#include "text.hpp"

namespace slm::cli {
namespace {

std::string esc(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(double v, const char* f = "%.4g") { return fmt(f, v); }

// A "nice" axis maximum and tick step covering [0, v].
void axis(double v, double& top, double& step) {
  if (!(v > 0)) v = 1;
  const double mag = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = m * mag / 5;
    if (m * mag >= v) break;
  }
  top = std::ceil(v / step) * step;
}

const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};
constexpr int kW = 520, kH = 320, kL = 70, kR = 20, kT = 34, kB = 50;

struct Point {
  std::string label;
  double x, y;
};

std::string scatter(const std::string& id, const std::string& title, const std::string& xl, const std::string& yl,
                    const std::vector<Point>& pts) {
  double xmax = 0, ymax = 0, xs, ys;
  for (const auto& p : pts) xmax = std::max(xmax, p.x), ymax = std::max(ymax, p.y);
  axis(xmax * 1.1, xmax, xs);
  axis(ymax * 1.1, ymax, ys);
  const double pw = kW - kL - kR, ph = kH - kT - kB;
  auto X = [&](double x) { return kL + x / xmax * pw; };
  auto Y = [&](double y) { return kT + ph - y / ymax * ph; };
  std::string s = "<svg id=\"" + id + "\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                  std::to_string(kW) + "\" height=\"" + std::to_string(kH) + "\" viewBox=\"0 0 " +
                  std::to_string(kW) + " " + std::to_string(kH) + "\" role=\"img\">";
  s += "<title>" + esc(title) + "</title>";
  s += "<text x=\"" + std::to_string(kW / 2) + "\" y=\"20\" text-anchor=\"middle\" class=\"t\">" + esc(title) +
       "</text>";
  for (double v = 0; v <= xmax + xs / 2; v += xs)
    s += "<line x1=\"" + num(X(v)) + "\" y1=\"" + num(kT) + "\" x2=\"" + num(X(v)) + "\" y2=\"" + num(kT + ph) +
         "\" class=\"g\"/><text x=\"" + num(X(v)) + "\" y=\"" + num(kT + ph + 16) +
         "\" text-anchor=\"middle\">" + num(v, "%g") + "</text>";
  for (double v = 0; v <= ymax + ys / 2; v += ys)
    s += "<line x1=\"" + num(kL) + "\" y1=\"" + num(Y(v)) + "\" x2=\"" + num(kL + pw) + "\" y2=\"" + num(Y(v)) +
         "\" class=\"g\"/><text x=\"" + num(kL - 6) + "\" y=\"" + num(Y(v) + 4) + "\" text-anchor=\"end\">" +
         num(v, "%g") + "</text>";
  s += "<text x=\"" + num(kL + pw / 2) + "\" y=\"" + num(kH - 10) + "\" text-anchor=\"middle\">" + esc(xl) + "</text>";
  s += "<text transform=\"translate(16 " + num(kT + ph / 2) + ") rotate(-90)\" text-anchor=\"middle\">" + esc(yl) +
       "</text>";
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const auto& p = pts[i];
    const char* c = kColors[i % std::size(kColors)];
    s += "<circle cx=\"" + num(X(p.x)) + "\" cy=\"" + num(Y(p.y)) + "\" r=\"6\" fill=\"" + c + "\"><title>" +
         esc(p.label) + ": " + num(p.x) + ", " + num(p.y) + "</title></circle>";
    // Labels alternate above and below their points so neighbours do not overprint.
    // ... and sit left of points in the right half, so they stay inside the chart.
    const bool left = X(p.x) > kL + pw / 2;
    s += "<text x=\"" + num(X(p.x) + (left ? -9 : 9)) + "\" y=\"" + num(Y(p.y) + (i % 2 ? 18 : -8)) +
         "\" text-anchor=\"" + (left ? "end" : "start") + "\" fill=\"" + c + "\">" + esc(p.label) + "</text>";
  }
  return s + "</svg>\n";
}

struct Bar {
  std::string label;
  std::vector<double> values;  // one per series
};

std::string bars(const std::string& id, const std::string& title, const std::string& yl,
                 const std::vector<std::string>& series, const std::vector<Bar>& groups) {
  double ymax = 0, ys;
  for (const auto& g : groups)
    for (double v : g.values) ymax = std::max(ymax, v);
  axis(ymax * 1.05, ymax, ys);
  const double pw = kW - kL - kR, ph = kH - kT - kB;
  auto Y = [&](double y) { return kT + ph - y / ymax * ph; };
  std::string s = "<svg id=\"" + id + "\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                  std::to_string(kW) + "\" height=\"" + std::to_string(kH) + "\" viewBox=\"0 0 " +
                  std::to_string(kW) + " " + std::to_string(kH) + "\" role=\"img\">";
  s += "<title>" + esc(title) + "</title>";
  s += "<text x=\"" + std::to_string(kW / 2) + "\" y=\"20\" text-anchor=\"middle\" class=\"t\">" + esc(title) +
       "</text>";
  for (double v = 0; v <= ymax + ys / 2; v += ys)
    s += "<line x1=\"" + num(kL) + "\" y1=\"" + num(Y(v)) + "\" x2=\"" + num(kL + pw) + "\" y2=\"" + num(Y(v)) +
         "\" class=\"g\"/><text x=\"" + num(kL - 6) + "\" y=\"" + num(Y(v) + 4) + "\" text-anchor=\"end\">" +
         num(v, "%g") + "</text>";
  s += "<text transform=\"translate(16 " + num(kT + ph / 2) + ") rotate(-90)\" text-anchor=\"middle\">" + esc(yl) +
       "</text>";
  const double gw = pw / double(std::max<std::size_t>(groups.size(), 1));
  const double bw = gw * 0.7 / double(std::max<std::size_t>(series.size(), 1));
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const double x0 = kL + gw * double(g) + gw * 0.15;
    for (std::size_t k = 0; k < groups[g].values.size(); ++k) {
      const double v = groups[g].values[k];
      s += "<rect x=\"" + num(x0 + bw * double(k)) + "\" y=\"" + num(Y(v)) + "\" width=\"" + num(bw) +
           "\" height=\"" + num(kT + ph - Y(v)) + "\" fill=\"" + kColors[k % std::size(kColors)] + "\"><title>" +
           esc(groups[g].label + " " + series[k]) + ": " + num(v) + "</title></rect>";
    }
    s += "<text x=\"" + num(kL + gw * (double(g) + 0.5)) + "\" y=\"" + num(kT + ph + 16) +
         "\" text-anchor=\"middle\">" + esc(groups[g].label) + "</text>";
  }
  for (std::size_t k = 0; k < series.size(); ++k) {
    const double lx = kL + 10 + 110 * double(k);
    s += "<rect x=\"" + num(lx) + "\" y=\"" + num(kH - 22) + "\" width=\"10\" height=\"10\" fill=\"" +
         kColors[k % std::size(kColors)] + "\"/><text x=\"" + num(lx + 14) + "\" y=\"" + num(kH - 13) + "\">" +
         esc(series[k]) + "</text>";
  }
  return s + "</svg>\n";
}

std::string short_label(const model::ArchCard& c) {
  std::string n = file_name(c.path);
  if (n.size() > 5 && n.substr(n.size() - 5) == ".gguf") n.resize(n.size() - 5);
  return n;
}

}  // namespace

std::string render_html(const CompareReport& r) {
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>slm compare</title>\n"
      "<style>\n"
      "body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1200px}\n"
      "table{border-collapse:collapse;margin:0.5em 0 1.5em}\n"
      "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top;font-size:13px}\n"
      "th{background:#f0f0f0}tr.section td{background:#e8eef7;font-weight:bold}\n"
      "svg.chart{border:1px solid #ddd;margin:0 1em 1em 0;font-size:11px}\n"
      "svg .g{stroke:#e4e4e4}svg .t{font-size:14px;font-weight:bold}\n"
      ".answer{white-space:pre-wrap;font-family:monospace;font-size:12px}\n"
      "</style>\n</head>\n<body>\n<h1>slm compare</h1>\n";
  h += "<p>Greedy decoding, " + std::to_string(r.max_tokens) + " tokens at most per prompt, threads: " +
       (r.threads ? std::to_string(r.threads) : std::string("all")) + ".";
  if (!r.ppl_file.empty())
    h += " Perplexity on <code>" + esc(r.ppl_file) + "</code>, context " + std::to_string(r.ppl_ctx) +
         " (llama.cpp's method).";
  h += "</p>\n<h2>Charts</h2>\n<div>\n";

  std::vector<Point> speed, ppl;
  std::vector<Bar> kv;
  for (const auto& m : r.models) {
    const double mib = double(m.card.weight_bytes) / (1024.0 * 1024.0);
    if (!m.runs.empty()) speed.push_back({short_label(m.card), mib, m.gen_tps()});
    if (m.ppl) ppl.push_back({short_label(m.card), mib, m.ppl->ppl});
    kv.push_back({short_label(m.card),
                  {double(m.card.kv_bytes_per_token_f32) / 1024.0, double(m.card.kv_bytes_per_token_f16) / 1024.0}});
  }
  if (!speed.empty())
    h += scatter("chart-speed", "Generation speed vs size", "weights (MiB)", "generated tokens/s", speed);
  if (!ppl.empty()) h += scatter("chart-ppl", "Perplexity vs size", "weights (MiB)", "perplexity", ppl);
  h += bars("chart-kv", "KV cache per token (all layers)", "KiB per token", {"F32", "F16"}, kv);
  h += "</div>\n";

  h += "<h2>Measurements</h2>\n<table id=\"measurements\">\n<tr><th>model</th><th>params</th><th>weights</th>"
       "<th>load s</th><th>prompt tok/s</th><th>gen tok/s</th><th>words/s</th><th>ceiling tok/s</th>"
       "<th>answer tokens</th><th>answer words</th><th>perplexity</th></tr>\n";
  for (const auto& m : r.models) {
    const bool ran = !m.runs.empty();
    h += "<tr><td>" + esc(file_name(m.card.path)) + "</td><td>" + esc(model::si(double(m.card.params_total), "")) +
         "</td><td>" + esc(model::binary_bytes(m.card.weight_bytes)) + "</td><td>" + num(m.load_seconds, "%.2f") +
         "</td><td>" + (ran ? num(m.prompt_tps(), "%.1f") : "-") + "</td><td>" +
         (ran ? num(m.gen_tps(), "%.1f") : "-") + "</td><td>" + (ran ? num(m.words_ps(), "%.1f") : "-") +
         "</td><td>" + (m.card.tokens_per_s_ceiling > 0 ? num(m.card.tokens_per_s_ceiling, "%.0f") : "-") +
         "</td><td>" + std::to_string(m.generated_tokens) + "</td><td>" + std::to_string(m.words) + "</td><td>" +
         (m.ppl ? num(m.ppl->ppl, "%.4f") + " &plusmn; " + num(m.ppl->ppl_error, "%.4f") : "-") + "</td></tr>\n";
  }
  h += "</table>\n";

  std::vector<model::ArchCard> cards;
  for (const auto& m : r.models) cards.push_back(m.card);
  const model::CardGrid g = model::card_grid(cards);
  h += "<h2>Architecture cards</h2>\n<table id=\"cards\">\n<tr><th></th>";
  for (const auto& c : cards) h += "<th>" + esc(file_name(c.path)) + "</th>";
  h += "</tr>\n";
  std::string section;
  for (std::size_t i = 0; i < g.rows.size(); ++i) {
    if (g.rows[i].section != section)
      h += "<tr class=\"section\"><td colspan=\"" + std::to_string(cards.size() + 1) + "\">" +
           esc(section = g.rows[i].section) + "</td></tr>\n";
    h += "<tr><td>" + esc(g.rows[i].label) + "</td>";
    for (const auto& cell : g.cells[i]) h += "<td>" + esc(cell) + "</td>";
    h += "</tr>\n";
  }
  h += "</table>\n";

  if (!r.prompts.empty()) {
    h += "<h2>Answers</h2>\n";
    for (std::size_t p = 0; p < r.prompts.size(); ++p) {
      h += "<h3>" + esc(r.prompts[p]) + "</h3>\n<table class=\"answers\">\n<tr><th>model</th><th>prompt as run</th>"
           "<th>tokens</th><th>stop</th><th>answer</th></tr>\n";
      for (const auto& m : r.models) {
        const PromptRun& run = m.runs[p];
        h += "<tr><td>" + esc(file_name(m.card.path)) + "</td><td>" + esc(run.style) + "</td><td>" +
             std::to_string(run.stats.generated_tokens) + "</td><td>" + to_string(run.stats.stop_reason) +
             "</td><td class=\"answer\">" + esc(run.stats.text) + "</td></tr>\n";
      }
      h += "</table>\n";
    }
  }
  h += "</body>\n</html>\n";
  return h;
}

}  // namespace slm::cli
