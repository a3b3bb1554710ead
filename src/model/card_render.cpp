// Renderers of the architecture card: rows -> text, Markdown, side-by-side tables; and the
// table of every registered family's ArchSpec.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "model/card.hpp"
#include "slm/arch.hpp"

namespace slm::model {
namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// 268098176 -> "268,098,176"
std::string grouped(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string count(std::int64_t n) { return grouped(n) + " (" + si(double(n), "") + ")"; }

std::string number(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", double(v));
  return buf;
}

// Sorted layer indices as ranges: "0-4, 6-10, 12-16".
std::string ranges(const std::vector<std::int64_t>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += std::to_string(v[i]);
    if (j > i) out.append("-").append(std::to_string(v[j]));
    i = j + 1;
  }
  return out;
}

std::string percent(double part, double whole) { return whole > 0 ? fmt("%.1f%%", 100.0 * part / whole) : "-"; }

std::string pad(const std::string& s, std::size_t w) {
  // Width in code points, so UTF-8 (x, ·) does not break alignment.
  std::size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return s + std::string(w > n ? w - n : 0, ' ');
}

std::size_t width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}

std::string md_cell(std::string s) {
  std::string out;
  for (char ch : s) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
  return out;
}

}  // namespace

std::string si(double v, std::string_view unit) {
  const char* prefixes[] = {"", "K", "M", "G", "T", "P"};
  int p = 0;
  while (std::abs(v) >= 1000 && p < 5) v /= 1000, ++p;
  return fmt(p ? "%.2f" : "%.0f", v) + " " + prefixes[p] + std::string(unit);
}

std::string binary_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  return fmt(u ? "%.2f" : "%.0f", v) + " " + units[u];
}

std::vector<CardRow> card_rows(const ArchCard& c) {
  std::vector<CardRow> r;
  auto add = [&](const char* section, const char* label, std::string value) {
    r.push_back({section, label, std::move(value)});
  };
  add("model", "family", c.family);
  add("model", "name", c.name.empty() ? "-" : c.name);

  add("parameters", "total", count(c.params_total));
  add("parameters", "embedding (token_embd)", count(c.params_embedding) + ", " +
                                                  percent(double(c.params_embedding), double(c.params_total)));
  add("parameters", "LM head (output)", c.tied_embeddings ? "tied: token_embd, counted once" : count(c.params_lm_head));
  add("parameters", "non-embedding", count(c.params_non_embedding));

  add("shape", "layers", std::to_string(c.n_layer));
  add("shape", "d_model", std::to_string(c.d_model));
  add("shape", "attention", c.attention + ": " + std::to_string(c.n_head) + " query heads, " +
                                std::to_string(c.n_head_kv) + " KV heads, group " + std::to_string(c.group_size));
  add("shape", "head dim", std::to_string(c.head_dim) + (c.head_dim * c.n_head != c.d_model
                                                             ? " (n_head x head_dim = " +
                                                                   std::to_string(c.n_head * c.head_dim) + " != d_model)"
                                                             : ""));
  add("shape", "FFN", c.ffn_kind + ", width " + std::to_string(c.n_ff) + " (" + fmt("%.2f", double(c.n_ff) / double(c.d_model)) +
                          " x d_model)");
  std::string norms = "RMSNorm, pre-norm (eps " + number(c.rms_eps) + ")";
  if (c.post_attn_norm || c.post_ffn_norm)
    norms += std::string("; sandwich post-norms on ") +
             (c.post_attn_norm && c.post_ffn_norm ? "attention and FFN" : c.post_attn_norm ? "attention" : "FFN");
  if (c.qk_norm) norms += "; q/k-norm";
  add("shape", "norms", norms);
  add("shape", "q/k/v bias", c.qkv_bias ? "yes" : "no");

  add("positions", "trained context", grouped(c.n_ctx_train));
  std::string rope = c.rope_style + " pairs, " + std::to_string(c.n_rot) + " of " + std::to_string(c.head_dim) +
                     " dims; base " + number(c.rope_base);
  if (c.rope_base_local > 0) rope += " global, " + number(c.rope_base_local) + " local";
  add("positions", "RoPE", rope);
  add("positions", "RoPE scaling", c.rope_scaling);
  add("positions", "sliding window",
      c.local_layers.empty() ? "none (every layer global)"
                             : std::to_string(c.sliding_window) + " tokens on " + std::to_string(c.local_layers.size()) +
                                   " of " + std::to_string(c.n_layer) + " layers (" + ranges(c.local_layers) + ")");
  std::string caps;
  if (c.attn_softcap > 0) caps += "attention " + number(c.attn_softcap);
  if (c.final_softcap > 0) caps += (caps.empty() ? "" : ", ") + std::string("final logits ") + number(c.final_softcap);
  add("positions", "soft-caps", caps.empty() ? "none" : caps);
  add("positions", "embedding scale", c.embed_scale == 1 ? "none" : "x" + number(c.embed_scale) + " (sqrt d_model)");

  add("vocabulary", "size", grouped(c.n_vocab));
  add("vocabulary", "tokenizer", (c.tokenizer_model.empty() ? "-" : c.tokenizer_model) +
                                     (c.tokenizer_pre.empty() ? "" : " (pre " + c.tokenizer_pre + ")"));
  add("vocabulary", "tied embeddings", c.tied_embeddings ? "yes" : "no");

  add("memory", "weights", binary_bytes(c.weight_bytes) + " (" + grouped(std::int64_t(c.weight_bytes)) + " B)");
  for (const auto& f : c.formats)
    r.push_back({"memory", "  " + f.type, binary_bytes(f.bytes) + " in " + std::to_string(f.tensors) + " tensors, " +
                                              si(double(f.params), "") + " params"});
  add("memory", "KV per token (F32 / F16)",
      binary_bytes(c.kv_bytes_per_token_f32) + " / " + binary_bytes(c.kv_bytes_per_token_f16) + " (all layers)");
  if (!c.local_layers.empty())
    add("memory", "KV per token beyond the window",
        binary_bytes(c.kv_global_bytes_per_token_f32) + " F32 (global layers only)");
  add("memory", "KV at trained context (F32 / F16)",
      binary_bytes(c.kv_bytes_full_ctx_f32) + " / " + binary_bytes(c.kv_bytes_full_ctx_f16) +
          (c.local_layers.empty() ? "" : " (windowed layers capped)"));

  const std::string at = "at position " + std::to_string(c.attn_position);
  add("per token", "matmul FLOPs", si(c.matmul_flops, "FLOP") + " (2 x params used)");
  add("per token", "attention FLOPs", si(c.attn_flops, "FLOP") + " " + at);
  add("per token", "LM head share", percent(c.lm_head_flops, c.flops_per_token()) + " of FLOPs, " +
                                        percent(double(c.lm_head_bytes), double(c.bytes_per_token())) + " of bytes");
  add("per token", "weight bytes read", binary_bytes(c.weight_bytes_per_token) + " (embedding: one row)");
  add("per token", "KV bytes read (F32)", binary_bytes(c.kv_read_bytes_f32) + " " + at);
  add("per token", "memory bandwidth",
      c.bandwidth_gbps > 0 ? fmt("%.1f GB/s", c.bandwidth_gbps) + " (" + c.bandwidth_source + ")" : "not measured");
  add("per token", "tokens/s ceiling",
      c.tokens_per_s_ceiling > 0 ? fmt("%.1f", c.tokens_per_s_ceiling) + " (bandwidth / bytes read per token)" : "-");
  return r;
}

std::string card_text(const ArchCard& card) {
  const auto rows = card_rows(card);
  std::size_t w = 0;
  for (const auto& r : rows) w = std::max(w, width(r.label));
  std::string out = "architecture card:\n", section;
  for (const auto& r : rows) {
    if (r.section != section) out += "  " + (section = r.section) + "\n";
    out += "    " + pad(r.label, w) + "  " + r.value + "\n";
  }
  return out;
}

std::string card_markdown(const ArchCard& card) {
  std::string out = "| | |\n|---|---|\n", section;
  for (const auto& r : card_rows(card)) {
    if (r.section != section) out += "| **" + (section = r.section) + "** | |\n";
    out.append("| ").append(md_cell(r.label)).append(" | ").append(md_cell(r.value)).append(" |\n");
  }
  return out;
}

CardGrid card_grid(std::span<const ArchCard> cards) {
  struct {
    std::vector<CardRow> keys;
    std::vector<std::vector<std::string>> cells;
  } g;
  for (std::size_t m = 0; m < cards.size(); ++m) {
    std::size_t prev = 0;  // where this card's previous row went
    bool first = true;
    for (const auto& r : card_rows(cards[m])) {
      auto it = std::find_if(g.keys.begin(), g.keys.end(),
                             [&](const CardRow& k) { return k.section == r.section && k.label == r.label; });
      std::size_t i;
      if (it == g.keys.end()) {
        // A row only this card has (e.g. a weight format): right after its predecessor in this card.
        i = first ? 0 : prev + 1;
        g.keys.insert(g.keys.begin() + std::ptrdiff_t(i), r);
        g.cells.insert(g.cells.begin() + std::ptrdiff_t(i), std::vector<std::string>(cards.size(), "-"));
      } else {
        i = std::size_t(it - g.keys.begin());
      }
      prev = i;
      first = false;
      g.cells[i][m] = r.value;
    }
  }
  for (auto& k : g.keys) k.value.clear();
  return {std::move(g.keys), std::move(g.cells)};
}

namespace {
struct Grid {
  std::vector<CardRow> keys;
  std::vector<std::vector<std::string>> cells;  // [row][model]
};
Grid grid(std::span<const ArchCard> cards) {
  CardGrid g = card_grid(cards);
  return {std::move(g.rows), std::move(g.cells)};
}

std::string column_title(const ArchCard& c) {
  const auto slash = c.path.find_last_of('/');
  return slash == std::string::npos ? c.path : c.path.substr(slash + 1);
}
}  // namespace

std::string cards_text(std::span<const ArchCard> cards) {
  const Grid g = grid(cards);
  std::size_t lw = 0;
  for (const auto& k : g.keys) lw = std::max(lw, width(k.label) + 2);
  std::vector<std::size_t> cw(cards.size());
  for (std::size_t m = 0; m < cards.size(); ++m) {
    cw[m] = width(column_title(cards[m]));
    for (const auto& row : g.cells) cw[m] = std::max(cw[m], width(row[m]));
  }
  std::string out = pad("", lw);
  for (std::size_t m = 0; m < cards.size(); ++m) out += "  " + pad(column_title(cards[m]), cw[m]);
  out += "\n";
  std::string section;
  for (std::size_t i = 0; i < g.keys.size(); ++i) {
    if (g.keys[i].section != section) out += (section = g.keys[i].section) + "\n";
    out += pad("  " + g.keys[i].label, lw);
    for (std::size_t m = 0; m < cards.size(); ++m) out += "  " + pad(g.cells[i][m], cw[m]);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += "\n";
  }
  return out;
}

std::string cards_markdown(std::span<const ArchCard> cards) {
  const Grid g = grid(cards);
  std::string out = "| |";
  for (const auto& c : cards) out.append(" ").append(md_cell(column_title(c))).append(" |");
  out += "\n|---|";
  for (std::size_t m = 0; m < cards.size(); ++m) out += "---|";
  out += "\n";
  std::string section;
  for (std::size_t i = 0; i < g.keys.size(); ++i) {
    if (g.keys[i].section != section) {
      out += "| **" + (section = g.keys[i].section) + "** |";
      for (std::size_t m = 0; m < cards.size(); ++m) out += " |";
      out += "\n";
    }
    out.append("| ").append(md_cell(g.keys[i].label)).append(" |");
    for (std::size_t m = 0; m < cards.size(); ++m) out.append(" ").append(md_cell(g.cells[i][m])).append(" |");
    out += "\n";
  }
  return out;
}

std::string families_markdown() {
  const auto archs = all_archs();
  std::string out = "| |";
  for (const ArchSpec* a : archs) out += " `" + std::string(a->gguf_arch) + "` |";
  out += "\n|---|";
  for (std::size_t i = 0; i < archs.size(); ++i) out += "---|";
  out += "\n";
  auto row = [&](const char* label, auto value) {
    out += std::string("| ") + label + " |";
    for (const ArchSpec* a : archs) out.append(" ").append(md_cell(value(*a))).append(" |");
    out += "\n";
  };
  auto yes = [](bool b) { return std::string(b ? "yes" : "no"); };
  auto cap = [](const SoftcapRule& s) {
    if (!s.enabled) return std::string("no");
    return s.default_cap > 0 ? "yes (default " + number(s.default_cap) + ")" : std::string("if key present");
  };
  row("FFN activation", [](const ArchSpec& a) { return std::string(to_string(a.ffn_act)); });
  row("post-attention norm", [&](const ArchSpec& a) { return yes(a.post_attn_norm); });
  row("post-FFN norm", [&](const ArchSpec& a) { return yes(a.post_ffn_norm); });
  row("q/k/v bias", [&](const ArchSpec& a) { return yes(a.qkv_bias); });
  row("q/k-norm", [&](const ArchSpec& a) { return yes(a.qk_norm); });
  row("RoPE pairs", [](const ArchSpec& a) { return std::string(to_string(a.rope)); });
  row("default RoPE base", [](const ArchSpec& a) { return number(a.default_rope_base); });
  row("embedding x sqrt(d)", [&](const ArchSpec& a) { return yes(a.embed_scale_sqrt_d); });
  row("sliding-window period", [](const ArchSpec& a) {
    if (a.swa_period > 0)
      return std::to_string(a.swa_period) + " (" + std::to_string(a.swa_period - 1) + " local : 1 global)";
    return std::string(a.uniform_window_from_key ? "every layer if key present" : "none");
  });
  row("local RoPE base", [&](const ArchSpec& a) { return yes(a.local_rope_base); });
  row("rope_freqs tensor", [&](const ArchSpec& a) { return yes(a.rope_freqs_tensor); });
  row("attention soft-cap", [&](const ArchSpec& a) { return cap(a.attn_softcap); });
  row("final soft-cap", [&](const ArchSpec& a) { return cap(a.final_softcap); });
  row("query scale", [](const ArchSpec& a) {
    return std::string(a.query_scale ? "family hook" : "1/sqrt(head_dim)");
  });
  return out;
}

}  // namespace slm::model
