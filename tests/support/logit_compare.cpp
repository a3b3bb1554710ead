#include "support/logit_compare.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <stdexcept>

namespace slm::test {

std::vector<float> read_f32_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  const auto bytes = static_cast<std::size_t>(in.tellg());
  std::vector<float> v(bytes / sizeof(float));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(v.data()), std::streamsize(v.size() * sizeof(float)));
  return v;
}

double log_sum_exp(std::span<const float> row) {
  double mx = -INFINITY;
  for (float x : row) mx = std::max(mx, double(x));
  double s = 0;
  for (float x : row) s += std::exp(double(x) - mx);
  return mx + std::log(s);
}

std::int64_t argmax(std::span<const float> row) {
  std::int64_t best = 0;
  for (std::size_t i = 1; i < row.size(); ++i)
    if (row[i] > row[std::size_t(best)]) best = std::int64_t(i);
  return best;
}

double top_margin(std::span<const float> row) {
  double a = -INFINITY, b = -INFINITY;
  for (float x : row) {
    if (x > a) {
      b = a;
      a = x;
    } else if (x > b) {
      b = x;
    }
  }
  return a - b;
}

double kl_divergence(std::span<const float> ref, std::span<const float> ours) {
  const double lr = log_sum_exp(ref), lo = log_sum_exp(ours);
  double kl = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double log_p = double(ref[i]) - lr, log_q = double(ours[i]) - lo;
    kl += std::exp(log_p) * (log_p - log_q);
  }
  return std::max(kl, 0.0);
}

RowsComparison compare_rows(std::span<const float> ref, std::span<const float> ours, std::int64_t n_vocab,
                            double margin_threshold) {
  if (ref.size() != ours.size() || n_vocab <= 0 || ref.size() % std::size_t(n_vocab) != 0)
    throw std::runtime_error("compare_rows: size mismatch");
  RowsComparison c;
  c.rows = std::int64_t(ref.size()) / n_vocab;
  for (std::int64_t r = 0; r < c.rows; ++r) {
    auto a = ref.subspan(std::size_t(r * n_vocab), std::size_t(n_vocab));
    auto b = ours.subspan(std::size_t(r * n_vocab), std::size_t(n_vocab));
    for (std::size_t i = 0; i < a.size(); ++i) c.max_abs_diff = std::max(c.max_abs_diff, std::fabs(double(a[i]) - b[i]));
    const double kl = kl_divergence(a, b);
    c.mean_kl += kl;
    c.max_kl = std::max(c.max_kl, kl);
    const bool same = argmax(a) == argmax(b);
    c.top1_equal += same;
    if (top_margin(a) > margin_threshold) {
      ++c.confident;
      c.confident_top1_equal += same;
    }
  }
  if (c.rows) c.mean_kl /= double(c.rows);
  return c;
}

double topk_kl(std::span<const std::int32_t> ref_ids, std::span<const float> ref_logits, double ref_lse,
               std::span<const float> ours) {
  const double lo = log_sum_exp(ours);
  double kl = 0, p_top = 0, q_top = 0;
  for (std::size_t i = 0; i < ref_ids.size(); ++i) {
    const double log_p = double(ref_logits[i]) - ref_lse;
    const double log_q = double(ours[std::size_t(ref_ids[i])]) - lo;
    kl += std::exp(log_p) * (log_p - log_q);
    p_top += std::exp(log_p);
    q_top += std::exp(log_q);
  }
  const double p_rest = std::max(0.0, 1.0 - p_top), q_rest = std::max(1e-300, 1.0 - q_top);
  if (p_rest > 0) kl += p_rest * (std::log(p_rest) - std::log(q_rest));
  return std::max(kl, 0.0);
}

}  // namespace slm::test
