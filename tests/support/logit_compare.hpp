#pragma once
// Comparing logit rows with a reference: KL divergence of the softmaxes, max |Δlogit|,
// top-1 agreement. Computed in double. Test-only helpers.

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace slm::test {

// Raw little-endian float32 file (e.g. golden logits.f32).
std::vector<float> read_f32_file(const std::filesystem::path& path);

double log_sum_exp(std::span<const float> row);
std::int64_t argmax(std::span<const float> row);  // lowest id on ties
double top_margin(std::span<const float> row);    // best minus second best

// KL(softmax(ref) || softmax(ours)) over the full row.
double kl_divergence(std::span<const float> ref, std::span<const float> ours);

struct RowsComparison {
  double max_abs_diff = 0;      // over all rows and columns
  double mean_kl = 0;           // mean over rows of KL(ref || ours)
  double max_kl = 0;
  std::int64_t rows = 0;
  std::int64_t top1_equal = 0;  // rows whose argmax agrees
  std::int64_t confident = 0;   // rows whose reference margin exceeds the threshold
  std::int64_t confident_top1_equal = 0;
};
RowsComparison compare_rows(std::span<const float> ref, std::span<const float> ours, std::int64_t n_vocab,
                            double margin_threshold);

// Truncated KL over the reference's top-k: sum over i in top-k of p_ref(i) (log p_ref(i) -
// log p_ours(i)), with p_ref from the reference logits and log-sum-exp of the FULL reference
// row, and p_ours from our full row. The mass outside the top-k is left out, so this is a lower
// bound of the full KL when the tail agrees (it is what top-k golden files allow).
double topk_kl(std::span<const std::int32_t> ref_ids, std::span<const float> ref_logits, double ref_lse,
               std::span<const float> ours);

}  // namespace slm::test
