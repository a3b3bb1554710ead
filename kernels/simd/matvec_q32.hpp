#pragma once
// Matrix-vector products (batch 1) of the 32-element formats on 256-bit vectors (the AVX2 level;
// AVX-512 has its own zmm version, kernels/arch/avx512_q32_matvec.hpp, whose header explains the
// idea): one lane per block, so the per-block float terms run 8 blocks at a time.
//
// Per group of 8 blocks: 8 int8 dots (Tr::dot: 8 i32 lanes each), a horizontal-add tree to one
// vector whose lane i is block i's sum, then
//   y += d_w * d_a * (sum - off * sum(a))  [+ m_w * s_a]
// in three vector operations, with the 8 weight scales gathered by 16-bit inserts (AVX2's
// vpgatherdd is slow on many of the CPUs this level serves). Weights: Q8_0 keeps the sign trick
// of int8_blocks.hpp (|w| x sign(a, w), no offset); Q4_0 / Q5_0 stay unsigned (q, offset 8 / 16
// taken off through sum(a)); Q4_1 is unsigned with its minimum term.

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/simd/int8_blocks.hpp"
#include "kernels/simd/prefetch.hpp"

namespace slm::kernels::simd {
inline namespace SLM_SIMD_ISA_NS {

inline constexpr std::int64_t kMv32MaxBlocks = 1024;  // rows up to 32768 elements

// The activation side, one slot per block, zero-padded to whole groups of 8.
struct Mv32Scratch {
  alignas(32) std::int8_t q[kMv32MaxBlocks * 32];
  alignas(32) float da[kMv32MaxBlocks];
  alignas(32) std::int32_t off_sum[kMv32MaxBlocks];  // offset * sum(a) (Q4_0, Q5_0)
  alignas(32) float sa[kMv32MaxBlocks];              // Q8_1's s (Q4_1)
};

// Per-format weight side: the unsigned (or sign-trick) dot of one block, its offset, its scales.
template <class K>
struct Mv32;

template <>
struct Mv32<KernelQ8_0> {
  static constexpr int kOffset = 0;
  template <class Tr>
  static __m256i dot(const formats::BlockQ8_0& b, __m256i a) noexcept {
    const __m256i w = load256(b.qs);
    return Tr::dot(_mm256_setzero_si256(), _mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w));
  }
};
template <>
struct Mv32<KernelQ4_0> {
  static constexpr int kOffset = 8;
  template <class Tr>
  static __m256i dot(const formats::BlockQ4_0& b, __m256i a) noexcept {
    return Tr::dot(_mm256_setzero_si256(), nibbles32(b.qs), a);
  }
};
template <>
struct Mv32<KernelQ5_0> {
  static constexpr int kOffset = 16;
  template <class Tr>
  static __m256i dot(const formats::BlockQ5_0& b, __m256i a) noexcept {
    std::uint32_t qh;
    std::memcpy(&qh, b.qh, 4);
    const __m256i q = _mm256_or_si256(nibbles32(b.qs), _mm256_and_si256(bits_to_bytes(qh), _mm256_set1_epi8(0x10)));
    return Tr::dot(_mm256_setzero_si256(), q, a);
  }
};
template <>
struct Mv32<KernelQ4_1> {
  static constexpr int kOffset = 0;
  template <class Tr>
  static __m256i dot(const formats::BlockQ4_1& b, __m256i a) noexcept {
    return Tr::dot(_mm256_setzero_si256(), nibbles32(b.qs), a);
  }
};

// Lane i of the result = the sum of the 8 lanes of p[i].
inline __m256i block_sums8(const __m256i (&p)[8]) noexcept {
  const __m256i t0 = _mm256_hadd_epi32(p[0], p[1]), t1 = _mm256_hadd_epi32(p[2], p[3]);
  const __m256i t2 = _mm256_hadd_epi32(p[4], p[5]), t3 = _mm256_hadd_epi32(p[6], p[7]);
  // Each 128-bit half of u0 now holds the half-sums of p[0..3], of u1 those of p[4..7].
  const __m256i u0 = _mm256_hadd_epi32(t0, t1), u1 = _mm256_hadd_epi32(t2, t3);
  return _mm256_add_epi32(_mm256_permute2x128_si256(u0, u1, 0x20), _mm256_permute2x128_si256(u0, u1, 0x31));
}

// The n (<= 8) fp16 values at byte offset `field` of blocks b[0..n) as floats; zeros beyond n.
// 16-bit inserts, not stores to a stack array: 8 narrow stores read back as one vector would
// miss store forwarding once per group.
template <class WB>
inline __m256 block_halves(const WB* b, std::int64_t n, std::size_t field) noexcept {
  auto half = [&](std::int64_t i) {
    std::uint16_t v;
    std::memcpy(&v, reinterpret_cast<const unsigned char*>(b + i) + field, 2);
    return static_cast<int>(v);
  };
  __m128i h = _mm_setzero_si128();
  if (n == 8) {
    h = _mm_insert_epi16(h, half(0), 0), h = _mm_insert_epi16(h, half(1), 1);
    h = _mm_insert_epi16(h, half(2), 2), h = _mm_insert_epi16(h, half(3), 3);
    h = _mm_insert_epi16(h, half(4), 4), h = _mm_insert_epi16(h, half(5), 5);
    h = _mm_insert_epi16(h, half(6), 6), h = _mm_insert_epi16(h, half(7), 7);
  } else {
    alignas(16) std::uint16_t t[8] = {};
    for (std::int64_t i = 0; i < n; ++i) t[i] = static_cast<std::uint16_t>(half(i));
    h = _mm_load_si128(reinterpret_cast<const __m128i*>(t));
  }
  return _mm256_cvtph_ps(h);
}

template <class K>
void prepare_mv32_activations(const typename K::ABlock* a, std::int64_t nb, Mv32Scratch& s) noexcept {
  const std::int64_t padded = (nb + 7) / 8 * 8;
  for (std::int64_t i = 0; i < padded; ++i) {
    __m256i q = _mm256_setzero_si256();
    float da = 0.f, sa = 0.f;
    std::int32_t off_sum = 0;
    if (i < nb) {
      q = load256(a[i].qs);
      da = fp16(a[i].d);
      if constexpr (std::is_same_v<K, KernelQ4_1>) {
        sa = fp16(a[i].s);
      } else if constexpr (Mv32<K>::kOffset != 0) {
        const __m256i s16 = _mm256_maddubs_epi16(_mm256_set1_epi8(1), q);  // 1 x a, pairs
        const __m256i s32 = _mm256_madd_epi16(s16, _mm256_set1_epi16(1));
        const __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s32), _mm256_extracti128_si256(s32, 1));
        const __m128i s2 = _mm_add_epi32(s4, _mm_unpackhi_epi64(s4, s4));
        off_sum = Mv32<K>::kOffset * (_mm_cvtsi128_si32(s2) + _mm_extract_epi32(s2, 1));
      }
    }
    _mm256_store_si256(reinterpret_cast<__m256i*>(s.q + 32 * i), q);
    s.da[i] = da;
    s.off_sum[i] = off_sum;
    s.sa[i] = sa;
  }
}

template <class Tr, class K>
void matvec_q32(const Matrix& w, const void* xq, float* y, std::int64_t r0, std::int64_t r1) {
  using WB = typename K::WBlock;
  const std::int64_t nb = w.k / 32;
  Mv32Scratch s;
  prepare_mv32_activations<K>(static_cast<const typename K::ABlock*>(xq), nb, s);
  const bool prefetching = stream_prefetch();
  for (std::int64_t r = r0; r < r1; ++r) {
    const auto* wr = reinterpret_cast<const WB*>(static_cast<const unsigned char*>(w.data) + r * w.row_stride);
    const bool prefetch = prefetch_inside(prefetching, r, w.n_rows, w.row_stride);  // weights stream from DRAM here
    LinePrefetch pf(wr);
    __m256 acc = _mm256_setzero_ps();
    for (std::int64_t g = 0; g < nb; g += 8) {
      const std::int64_t n = nb - g < 8 ? nb - g : 8;
      const WB* b = wr + g;
      if (prefetch) pf.advance(b + 8);
      __m256i p[8];
      for (int i = 0; i < 8; ++i)
        p[i] = i < n ? Mv32<K>::template dot<Tr>(b[i], load256(s.q + 32 * (g + i))) : _mm256_setzero_si256();
      __m256i dot = block_sums8(p);
      if constexpr (Mv32<K>::kOffset != 0)
        dot = _mm256_sub_epi32(dot, _mm256_load_si256(reinterpret_cast<const __m256i*>(s.off_sum + g)));
      const __m256 dw = block_halves(b, n, offsetof(WB, d));
      acc = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(dot), _mm256_load_ps(s.da + g)), dw, acc);
      if constexpr (std::is_same_v<K, KernelQ4_1>)
        acc = _mm256_fmadd_ps(block_halves(b, n, offsetof(WB, m)), _mm256_load_ps(s.sa + g), acc);
    }
    y[r] = hsum8(acc);
  }
}

// Batch-1 products of the 32-element formats; false when this kernel does not take the shape.
template <class Tr>
bool matvec_q32_dispatch(const Matrix& w, const void* xq, float* y, std::int64_t r0, std::int64_t r1) {
  if (w.k > kMv32MaxBlocks * 32) return false;
  switch (w.type) {
    case DType::Q8_0: matvec_q32<Tr, KernelQ8_0>(w, xq, y, r0, r1); return true;
    case DType::Q4_0: matvec_q32<Tr, KernelQ4_0>(w, xq, y, r0, r1); return true;
    case DType::Q5_0: matvec_q32<Tr, KernelQ5_0>(w, xq, y, r0, r1); return true;
    case DType::Q4_1: matvec_q32<Tr, KernelQ4_1>(w, xq, y, r0, r1); return true;
    default: return false;
  }
}

}  // namespace SLM_SIMD_ISA_NS
}  // namespace slm::kernels::simd
