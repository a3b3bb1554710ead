// geglu_fp16 against llama.cpp's own CPU GELU (a one-op ggml graph run through libggml-cpu by
// tests/kernels/quant_oracle.py; skipped when neither $SLM_GGML_LIB, from scripts/ggml_oracle,
// nor llama-cpp-python provides it): bit-identical (up to the sign of zero) on every fp16 value,
// on random floats and around the +-10 cut-offs, at every level.

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "kernels/kernels.hpp"
#include "oracle.hpp"

namespace slm::kernels {
namespace {

TEST(Activation, GegluFp16MatchesLlamaCppGeluBitwise) {
  std::vector<test::Record> recs;
  const int status = test::run_oracle("ggml-gelu", "", recs);
  if (status == 77) GTEST_SKIP() << "llama.cpp's libggml-cpu not found (scripts/ggml_oracle, $SLM_GGML_LIB)";
  ASSERT_EQ(status, 0) << "oracle script failed";
  ASSERT_EQ(recs.size(), 1u);
  const auto& r = recs[0];
  std::vector<float> x(static_cast<std::size_t>(r.n)), expect(x.size()), ones(x.size(), 1.0f);
  std::memcpy(x.data(), r.src.data(), r.src.size());
  std::memcpy(expect.data(), r.dst.data(), r.dst.size());
  for (Isa isa : available_isas()) {
    std::vector<float> got(x.size());
    kernels_for(isa).geglu_fp16(x.data(), ones.data(), r.n, got.data());
    int bad = 0;
    for (std::size_t i = 0; i < x.size(); ++i)
      // Bitwise, except that -0 and +0 count as equal (gelu of a gate at about -10: either is
      // 0 after the multiply-add that follows).
      if (std::memcmp(&got[i], &expect[i], 4) != 0 && !(got[i] == 0.0f && expect[i] == 0.0f) && ++bad <= 5)
        ADD_FAILURE() << isa_name(isa) << ": gelu(" << x[i] << ") = " << got[i] << ", llama.cpp " << expect[i];
    EXPECT_EQ(bad, 0) << isa_name(isa);
  }
}

// The product with `up` is a plain fp32 multiply of the activation.
TEST(Activation, GegluFp16MultipliesByUp) {
  const std::vector<float> g{-12.0f, -1.3f, 0.0f, 0.7f, 3.1f, 11.0f}, u{2.0f, -0.5f, 3.0f, 1.5f, -2.0f, 0.25f};
  for (Isa isa : available_isas()) {
    std::vector<float> a(g.size()), b(g.size()), ones(g.size(), 1.0f);
    kernels_for(isa).geglu_fp16(g.data(), ones.data(), 6, a.data());
    kernels_for(isa).geglu_fp16(g.data(), u.data(), 6, b.data());
    for (std::size_t i = 0; i < g.size(); ++i) EXPECT_EQ(b[i], a[i] * u[i]) << isa_name(isa) << " " << i;
    EXPECT_EQ(a[0], 0.0f);
    EXPECT_EQ(a[5], 11.0f);
  }
}

}  // namespace
}  // namespace slm::kernels
