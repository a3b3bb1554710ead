// The integer matmul path against llama.cpp's own CPU dot products (ggml_vec_dot_* from
// libggml-cpu, via tests/kernels/quant_oracle.py; skipped when neither $SLM_GGML_LIB, from
// scripts/ggml_oracle, nor llama-cpp-python provides it):
// same weights, same activations quantized the same way (llama.cpp's run-time quantize_row_q8_*;
// bit-identity of quantize_activations with it is checked in quantizers_test), so the results
// may differ only by the order of float additions.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/kernels.hpp"
#include "oracle.hpp"

namespace slm::kernels {
namespace {

TEST(IntegerDot, MatchesLlamaCppVecDot) {
  std::vector<test::Record> recs;
  const int status = test::run_oracle("ggml-dot", "", recs);
  if (status == 77) GTEST_SKIP() << "llama.cpp's libggml-cpu not found (scripts/ggml_oracle, $SLM_GGML_LIB)";
  ASSERT_EQ(status, 0) << "oracle script failed";
  int checked = 0;
  for (Isa isa : available_isas()) {
    const KernelTable& kt = kernels_for(isa);
    for (const auto& r : recs) {
      ASSERT_EQ(r.kind, 2u);
      const std::size_t wb = row_bytes(r.type, r.n);
      ASSERT_EQ(r.src.size(), wb + 4 * static_cast<std::size_t>(r.n)) << r.name;
      std::vector<float> x(static_cast<std::size_t>(r.n)), w(x.size());
      std::memcpy(x.data(), r.src.data() + wb, 4 * x.size());
      float expect;
      std::memcpy(&expect, r.dst.data(), 4);

      const DType at = activation_type(r.type);
      std::vector<std::uint8_t> xq(act_row_bytes(r.type, r.n));
      kt.quantize_activations(at, x.data(), r.n, xq.data());
      float got = 0.0f;
      kt.matmul_q8(Matrix{r.type, r.src.data(), r.n, 1, wb}, xq.data(), 1, &got, 1, 0, 1);

      // Scale of the rounding: sum |w_i * xq_i| over the dequantized operands.
      std::vector<float> xd(x.size());
      dequantize_row(r.type, r.src.data(), w.data(), r.n);
      dequantize_row(at, xq.data(), xd.data(), r.n);
      double mag = 0.0;
      for (std::size_t i = 0; i < x.size(); ++i) mag += std::fabs(static_cast<double>(w[i]) * xd[i]);
      EXPECT_NEAR(got, expect, 2e-6 * mag + 1e-6) << r.name << " at level " << isa_name(isa);
      ++checked;
    }
  }
  EXPECT_GE(checked, 7 * 9);
}

}  // namespace
}  // namespace slm::kernels
