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

// KL(reference || ours) over k+1 outcomes: the reference's top-k tokens plus one bucket for
// all the others. p_ref(i) = exp(ref_logit(i) - ref_lse) with the log-sum-exp of the FULL
// reference row; p_ours from our full row; the bucket gets 1 - sum of the top-k on each side.
// Merging the tail into one outcome can only lower the KL (data-processing inequality), so this
// is a lower bound of the full-row KL, never negative, and all a top-k golden file allows.
double topk_kl(std::span<const std::int32_t> ref_ids, std::span<const float> ref_logits, double ref_lse,
               std::span<const float> ours);

}  // namespace slm::test
