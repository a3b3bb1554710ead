#pragma once
// Test helpers for the SIMD levels: which levels to run (every one this CPU supports above
// scalar) and tolerant float comparison against the scalar reference.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/kernels.hpp"

namespace slm::kernels::test {

inline std::vector<Isa> simd_levels() {
  std::vector<Isa> out;
  for (Isa isa : available_isas())
    if (isa != Isa::Scalar) out.push_back(isa);
  return out;
}

inline std::string level_name(const testing::TestParamInfo<Isa>& info) { return isa_name(info.param); }

// |got - want| <= abs_tol + rel_tol * |want| element-wise; NaN only where the reference has NaN.
inline void expect_close(const float* got, const float* want, std::int64_t n, float rel_tol, float abs_tol,
                         const std::string& what) {
  int failures = 0;
  for (std::int64_t i = 0; i < n && failures < 5; ++i) {
    if (std::isnan(want[i])) {
      if (!std::isnan(got[i])) {
        ADD_FAILURE() << what << " [" << i << "]: got " << got[i] << ", reference NaN";
        ++failures;
      }
      continue;
    }
    if (std::isinf(want[i])) {
      if (got[i] != want[i]) {
        ADD_FAILURE() << what << " [" << i << "]: got " << got[i] << ", reference " << want[i];
        ++failures;
      }
      continue;
    }
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    if (!(err <= abs_tol + rel_tol * std::fabs(want[i]))) {
      ADD_FAILURE() << what << " [" << i << "] of " << n << ": got " << got[i] << ", reference " << want[i]
                    << " (err " << err << ")";
      ++failures;
    }
  }
}

}  // namespace slm::kernels::test
