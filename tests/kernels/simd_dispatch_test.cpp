// Dispatch as seen from the SIMD levels: every available level above scalar is a complete table
// built for that ISA, and system_description() reports the levels and the active one.

#include <gtest/gtest.h>

#include <string>

#include "kernels/kernels.hpp"
#include "simd_levels.hpp"

namespace slm::kernels {
namespace {

TEST(SimdDispatch, EveryLevelTableIsCompleteAndDistinct) {
  const KernelTable& scalar = kernels_for(Isa::Scalar);
  for (Isa isa : test::simd_levels()) {
    const KernelTable& t = kernels_for(isa);
    EXPECT_EQ(t.isa, isa);
    // Every entry set, and the hot ones are not the scalar reference.
    EXPECT_NE(t.matmul_q8, nullptr);
    EXPECT_NE(t.attention_block, nullptr);
    EXPECT_NE(t.matmul_q8, scalar.matmul_q8) << isa_name(isa);
    EXPECT_NE(t.matmul_f32, scalar.matmul_f32) << isa_name(isa);
    EXPECT_NE(t.quantize_activations, scalar.quantize_activations) << isa_name(isa);
    EXPECT_NE(t.rmsnorm, scalar.rmsnorm) << isa_name(isa);
    EXPECT_NE(t.attention_block, scalar.attention_block) << isa_name(isa);
  }
}

TEST(SimdDispatch, SystemDescriptionNamesLevels) {
  const std::string d = system_description();
  for (Isa isa : available_isas()) EXPECT_NE(d.find(isa_name(isa)), std::string::npos) << d;
  EXPECT_NE(d.find(std::string("active level:   ") + isa_name(kernels().isa)), std::string::npos) << d;
  EXPECT_NE(d.find("cpu:"), std::string::npos) << d;
  // The override itself is tested end to end (InspectCli.SlmPrefetchOverridesTheWeightPrefetchChoice).
  EXPECT_NE(d.find(std::string("weight prefetch: ") + (stream_prefetch() ? "on" : "off")), std::string::npos) << d;
}

}  // namespace
}  // namespace slm::kernels
