// Matrix kernels of every SIMD level against the scalar reference (kernels_for(Isa::Scalar)):
//  - quantize_activations: byte-identical (the integer path of every level must see the same
//    int8 values), including rounding ties.
//  - matmul_q8: the integer dot products are exact at every level; only the order in which the
//    per-block float terms are summed differs, so |simd - ref| <= 1e-5 * sum_i |w_i x_i|.
//  - matmul_f32: float dots (the reference sums in double): |simd - ref| <= 1e-5 * sum_i |w_i x_i|.
// Shapes are ragged on purpose (row ranges not multiples of any tile, batch 1,2,3,7,8,33, the
// prefill batches 16, 40, 64, 100 and the AMX tile edges 17, 33, 47, 300, 530), and
// rows outside [r0, r1) must stay untouched.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernels.hpp"
#include "random_blocks.hpp"
#include "slm/error.hpp"
#include "simd_levels.hpp"

namespace slm::kernels {
namespace {

const KernelTable& scalar() { return kernels_for(Isa::Scalar); }

constexpr float kSentinel = -12345.0f;

struct Problem {
  DType type;
  std::int64_t k, n_rows, r0, r1, batch;
  std::vector<std::uint8_t> w;
  std::vector<float> x;          // [batch][k]
  std::vector<std::uint8_t> xq;  // scalar-quantized activations
  Matrix m() const { return {type, w.data(), k, n_rows, row_bytes(type, k)}; }
};

Problem make(DType t, std::int64_t k, std::int64_t n_rows, std::int64_t r0, std::int64_t r1, std::int64_t batch,
             std::mt19937& rng) {
  Problem p{t, k, n_rows, r0, r1, batch, {}, {}, {}};
  p.w = test::random_blocks(t, n_rows * k / dtype_info(t).block_elems, rng);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  p.x.resize(static_cast<std::size_t>(batch * k));
  for (auto& v : p.x) v = nd(rng);
  const DType at = activation_type(t);
  const std::size_t arow = at == DType::F32 ? static_cast<std::size_t>(k) * 4 : act_row_bytes(t, k);
  p.xq.resize(arow * static_cast<std::size_t>(batch));
  for (std::int64_t b = 0; b < batch; ++b) {
    if (at == DType::F32)
      std::memcpy(p.xq.data() + b * arow, p.x.data() + b * k, arow);
    else
      scalar().quantize_activations(at, p.x.data() + b * k, k, p.xq.data() + b * arow);
  }
  return p;
}

// sum_i |w_i x_i| for row r and batch row b, from exact dequantization (x: floats or Q8 rows).
double magnitude(const Problem& p, std::int64_t r, const float* xrow) {
  std::vector<float> wf(static_cast<std::size_t>(p.k));
  dequantize_row(p.type, p.w.data() + r * row_bytes(p.type, p.k), wf.data(), p.k);
  double s = 0;
  for (std::int64_t i = 0; i < p.k; ++i) s += std::fabs(static_cast<double>(wf[i]) * xrow[i]);
  return s;
}

void compare(const Problem& p, const std::vector<float>& got, const std::vector<float>& want, bool integer,
             const std::string& what) {
  const DType at = activation_type(p.type);
  std::vector<float> xf(static_cast<std::size_t>(p.k));
  int failures = 0;
  for (std::int64_t b = 0; b < p.batch && failures < 5; ++b) {
    const float* xrow = p.x.data() + b * p.k;
    if (integer && at != DType::F32) {
      dequantize_row(at, p.xq.data() + b * act_row_bytes(p.type, p.k), xf.data(), p.k);
      xrow = xf.data();
    }
    for (std::int64_t r = 0; r < p.n_rows; ++r) {
      const float g = got[b * p.n_rows + r], w = want[b * p.n_rows + r];
      if (r < p.r0 || r >= p.r1) {
        if (g != kSentinel) {
          ADD_FAILURE() << what << ": wrote row " << r << " outside [" << p.r0 << ", " << p.r1 << ")";
          ++failures;
        }
        continue;
      }
      const double tol = 1e-5 * magnitude(p, r, xrow) + 1e-30;
      if (!(std::fabs(static_cast<double>(g) - w) <= tol)) {
        ADD_FAILURE() << what << ": batch " << b << " row " << r << " got " << g << " reference " << w << " tol " << tol;
        ++failures;
      }
    }
  }
}

struct Shape {
  std::int64_t k, n_rows, r0, r1;
};

class SimdMatmul : public testing::TestWithParam<Isa> {
 protected:
  const KernelTable& simd() const { return kernels_for(GetParam()); }

  // One integer-path product (random weights of type t, shape s, `batch` activation rows) on
  // this level against the scalar reference; rows outside [r0, r1) must stay untouched.
  void expect_integer_path_matches(DType t, const Shape& s, std::int64_t batch) {
    const Problem p = make(t, s.k, s.n_rows, s.r0, s.r1, batch, rng_);
    std::vector<float> want(static_cast<std::size_t>(batch * s.n_rows), kSentinel), got = want;
    scalar().matmul_q8(p.m(), p.xq.data(), batch, want.data(), s.n_rows, s.r0, s.r1);
    simd().matmul_q8(p.m(), p.xq.data(), batch, got.data(), s.n_rows, s.r0, s.r1);
    compare(p, got, want, true,
            std::string(dtype_name(t)) + " k=" + std::to_string(s.k) + " rows [" + std::to_string(s.r0) + ", " +
                std::to_string(s.r1) + ") batch=" + std::to_string(batch));
  }

  std::mt19937 rng_{99};
};

const DType kQuantTypes[] = {DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q8_0, DType::Q4_K, DType::Q5_K, DType::Q6_K};
const DType kFloatTypes[] = {DType::F32, DType::F16, DType::BF16};

std::vector<Shape> shapes_for(DType t) {
  if (dtype_info(t).block_elems == 256) return {{256, 5, 0, 5}, {512, 37, 3, 35}, {1792, 11, 2, 10}, {2304, 19, 1, 18}};
  return {{32, 5, 0, 5}, {96, 37, 3, 35}, {800, 19, 1, 18}, {2304, 17, 0, 17}};
}
const std::int64_t kBatches[] = {1, 2, 3, 7, 8, 33};

TEST_P(SimdMatmul, QuantizeActivationsIsByteIdentical) {
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (DType at : {DType::Q8_0, DType::Q8_1, DType::Q8_K}) {
    for (std::int64_t k : {256, 512, 4096}) {
      std::vector<float> x(static_cast<std::size_t>(k));
      for (auto& v : x) v = nd(rng_) * 5.0f;
      // (A block whose largest value is itself denormal is left out: 1/d overflows to inf and
      // the scalar reference then converts NaN to int8, which C++ leaves undefined.)
      // Block 0: exact rounding ties. Max 127 (Q8_0: d = 1) or -127 (Q8_K: iscale = 1), so
      // x * (1/d) lands on .5 exactly: ties away from zero (Q8_0/1) vs to even (Q8_K).
      for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j - 16) + 0.5f;
      x[31] = at == DType::Q8_K ? -127.0f : 127.0f;
      x[5] = 1e-40f;  // a denormal among normal values
      for (int j = 32; j < 256; ++j) x[j] = j % 7 == 0 ? 0.5f * static_cast<float>(j % 13) : 0.0f;
      if (k > 256) {
        for (int j = 256; j < 512; ++j) x[j] = 0.0f;  // an all-zero block
      }
      x[k - 1] = 3e30f;  // a huge value in the last block,
      x[k - 4] = -3e30f;  // after one of the same magnitude and the other sign (Q8_K takes the first)
      const std::size_t bytes = row_bytes(at, k);
      std::vector<std::uint8_t> want(bytes), got(bytes);
      scalar().quantize_activations(at, x.data(), k, want.data());
      simd().quantize_activations(at, x.data(), k, got.data());
      EXPECT_EQ(0, std::memcmp(want.data(), got.data(), bytes)) << dtype_name(at) << " k=" << k;
    }
  }
}

TEST_P(SimdMatmul, IntegerPathMatchesReference) {
  for (DType t : kQuantTypes) {
    for (const Shape& s : shapes_for(t)) {
      for (std::int64_t batch : kBatches) expect_integer_path_matches(t, s, batch);
    }
  }
}

// Prefill-sized batches reach the GEMM-style kernels (AVX-512: batch >= 16; groups of 32 batch
// rows, tiles of 4 weight rows, row chunks of 256, segments of 8 K-blocks / 64 32-blocks): batch
// 16 (one partial group), 64 (full groups), 100 (a partial fourth); 270 rows (past one chunk, not
// a multiple of the tile); k past one segment with a partial one; ranges starting at 16 and 32.
TEST_P(SimdMatmul, IntegerPathMatchesReferenceAtPrefillBatches) {
  for (DType t : kQuantTypes) {
    const bool k256 = dtype_info(t).block_elems == 256;
    const std::vector<Shape> shapes = k256 ? std::vector<Shape>{{2304, 270, 16, 270}, {512, 37, 32, 37}}
                                           : std::vector<Shape>{{2304, 270, 16, 270}, {4160, 37, 32, 37}, {640, 21, 0, 21}};
    for (const Shape& s : shapes) {
      for (std::int64_t batch : {16, 64, 100}) expect_integer_path_matches(t, s, batch);
    }
  }
}

// Shapes aimed at the AMX level's tiling (16-row weight panels, 16-row batch tiles taken two at
// a time, batch chunks of 512, segments of 2 super-blocks / 16 blocks), held out from the shapes
// the kernels were written against: batch 17 and 33 (a lone partial tile), 47, 300 (partial last
// tile), 530 (past one chunk); row ranges [5, 38) and [1, 20) (panels not aligned to 16, a
// partial last panel); k = 4352 (17 super-blocks: a lone last one) and 4160 / 1056 (130 and 33
// blocks: ragged last segment with an odd block count).
TEST_P(SimdMatmul, IntegerPathMatchesReferenceAtTileEdges) {
  for (DType t : kQuantTypes) {
    const bool k256 = dtype_info(t).block_elems == 256;
    const std::vector<Shape> shapes = k256 ? std::vector<Shape>{{4352, 38, 5, 38}, {256, 20, 1, 20}}
                                           : std::vector<Shape>{{4160, 38, 5, 38}, {1056, 20, 1, 20}};
    for (const Shape& s : shapes) {
      for (std::int64_t batch : {17, 33, 47, 300, 530}) {
        if (batch >= 300 && s.k > 2048) continue;  // keeps the scalar reference's time down
        expect_integer_path_matches(t, s, batch);
      }
    }
  }
}

TEST_P(SimdMatmul, FloatPathMatchesReference) {
  std::vector<DType> types(std::begin(kQuantTypes), std::end(kQuantTypes));
  types.insert(types.end(), std::begin(kFloatTypes), std::end(kFloatTypes));
  for (DType t : types) {
    for (const Shape& s : shapes_for(t)) {
      for (std::int64_t batch : kBatches) {
        const Problem p = make(t, s.k, s.n_rows, s.r0, s.r1, batch, rng_);
        std::vector<float> want(static_cast<std::size_t>(batch * s.n_rows), kSentinel), got = want;
        scalar().matmul_f32(p.m(), p.x.data(), batch, want.data(), s.n_rows, s.r0, s.r1);
        simd().matmul_f32(p.m(), p.x.data(), batch, got.data(), s.n_rows, s.r0, s.r1);
        compare(p, got, want, false,
                std::string(dtype_name(t)) + " k=" + std::to_string(s.k) + " batch=" + std::to_string(batch));
        // The integer entry point on float weights takes the float rows.
        std::vector<float> got2(want.size(), kSentinel);
        if (activation_type(t) == DType::F32) {
          simd().matmul_q8(p.m(), p.x.data(), batch, got2.data(), s.n_rows, s.r0, s.r1);
          compare(p, got2, want, false, std::string(dtype_name(t)) + " via matmul_q8");
        }
      }
    }
  }
}

TEST_P(SimdMatmul, OutputStrideAndPartialRangesCompose) {
  // Two calls over [0, 10) and [10, 23) with ldy > n_rows equal one scalar call over [0, 23).
  const Problem p = make(DType::Q4_K, 512, 23, 0, 23, 3, rng_);
  const std::int64_t ldy = 29;
  std::vector<float> want(static_cast<std::size_t>(3 * ldy), kSentinel), got = want;
  scalar().matmul_q8(p.m(), p.xq.data(), 3, want.data(), ldy, 0, 23);
  simd().matmul_q8(p.m(), p.xq.data(), 3, got.data(), ldy, 0, 10);
  simd().matmul_q8(p.m(), p.xq.data(), 3, got.data(), ldy, 10, 23);
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i] == kSentinel) {
      EXPECT_EQ(got[i], kSentinel) << i;
    } else {
      EXPECT_NEAR(got[i], want[i], 1e-3f * (1.0f + std::fabs(want[i]))) << i;
    }
  }
}

TEST_P(SimdMatmul, SplitRowRangesComposeAtPrefillBatches) {
  // Thread-style splits [0, 16) + [16, 48) + [48, 53) at batch 40 (GEMM kernels) with ldy > n_rows.
  for (DType t : {DType::Q8_0, DType::Q4_1, DType::Q4_K}) {
    const std::int64_t k = dtype_info(t).block_elems == 256 ? 512 : 160, batch = 40, ldy = 61;
    const Problem p = make(t, k, 53, 0, 53, batch, rng_);
    std::vector<float> want(static_cast<std::size_t>(batch * ldy), kSentinel), got = want;
    scalar().matmul_q8(p.m(), p.xq.data(), batch, want.data(), ldy, 0, 53);
    simd().matmul_q8(p.m(), p.xq.data(), batch, got.data(), ldy, 0, 16);
    simd().matmul_q8(p.m(), p.xq.data(), batch, got.data(), ldy, 16, 48);
    simd().matmul_q8(p.m(), p.xq.data(), batch, got.data(), ldy, 48, 53);
    for (std::size_t i = 0; i < want.size(); ++i) {
      if (want[i] == kSentinel) {
        EXPECT_EQ(got[i], kSentinel) << dtype_name(t) << " " << i;
      } else {
        EXPECT_NEAR(got[i], want[i], 1e-3f * (1.0f + std::fabs(want[i]))) << dtype_name(t) << " " << i;
      }
    }
  }
}

TEST_P(SimdMatmul, BadShapesThrowLikeTheReference) {
  std::mt19937 rng(5);
  auto w = test::random_blocks(DType::Q4_K, 4, rng);
  std::vector<float> y(8);
  std::vector<std::uint8_t> xq(4096);
  const Matrix bad_k{DType::Q4_K, w.data(), 100, 4, 144};
  EXPECT_THROW(simd().matmul_q8(bad_k, xq.data(), 1, y.data(), 4, 0, 4), slm::Error);
  const Matrix ok{DType::Q4_K, w.data(), 256, 4, 144};
  EXPECT_THROW(simd().matmul_q8(ok, xq.data(), 1, y.data(), 4, 0, 5), slm::Error);
  const Matrix q2k{DType::Q2_K, w.data(), 256, 4, 84};
  EXPECT_THROW(simd().matmul_f32(q2k, reinterpret_cast<const float*>(xq.data()), 1, y.data(), 4, 0, 4), slm::Error);
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SimdMatmul);
INSTANTIATE_TEST_SUITE_P(Levels, SimdMatmul, testing::ValuesIn(test::simd_levels()), test::level_name);

}  // namespace
}  // namespace slm::kernels
