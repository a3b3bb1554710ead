#pragma once
// Per-format integer dot products of one weight block with one activation block, on 256-bit
// vectors (a 32-element sub-block is one __m256i of int8). Included only by the ISA translation
// units (compiled with at least AVX2 + FMA); the ISA-specific part is the Traits (kernels/arch/):
//
//   Tr::dot(acc, u, s)          acc + per-lane sums of 4 products u8 x s8 (i32x8)
//   Tr::Scale, Tr::scale(a, b)  a per-sub-block multiplier: a for bytes 0-15, b for 16-31
//   Tr::dot_scaled(u, s, sc)    per-lane sums of 4 products, times the multiplier (i32x8)
//
// u8 x s8 products: the weight side must be the unsigned operand. Symmetric formats (Q4_0, Q5_0,
// Q8_0) use the sign trick |w| x sign(a, w); K-quants keep their unsigned q and subtract the
// offset through the activation block sums (bsums), Q4_1 through the Q8_1 sum.
//
// Each Kernel: Unpacked<Tr> = one weight block in registers (unpacked ONCE, then dotted with every
// batch row), and dot() adds the block's contribution to an Acc. Products never saturate the
// 16-bit maddubs intermediate: |w| <= 127 and |a| <= 127 with at most two products per i16 for
// the sign-trick formats, and q <= 63 for the K-quants.

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/formats/q4_0.hpp"
#include "kernels/formats/q4_1.hpp"
#include "kernels/formats/q4_k.hpp"
#include "kernels/formats/q5_0.hpp"
#include "kernels/formats/q5_k.hpp"
#include "kernels/formats/q6_k.hpp"
#include "kernels/formats/q8_0.hpp"
#include "kernels/formats/q8_1.hpp"
#include "kernels/formats/q8_k.hpp"

namespace slm::kernels::simd {
inline namespace SLM_SIMD_ISA_NS {

// Sum = hsum(v) + hsum(m) + s; v holds the scaled integer dots, m offset terms.
struct Acc {
  __m256 v = _mm256_setzero_ps();
  __m256 m = _mm256_setzero_ps();
};

inline float hsum8(__m256 v) noexcept {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float fp16(std::uint16_t h) noexcept { return _cvtsh_ss(h); }

inline __m256i load256(const void* p) noexcept { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// 16 bytes of packed nibbles -> 32 bytes: low nibbles then high nibbles (elements j and j+16).
inline __m256i nibbles32(const std::uint8_t* qs) noexcept {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m256i both = _mm256_set_m128i(_mm_srli_epi16(x, 4), x);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0f));
}

// 32 bits -> 32 bytes, byte i = 0xff where bit i is set.
inline __m256i bits_to_bytes(std::uint32_t bits) noexcept {
  const __m256i spread = _mm256_shuffle_epi8(
      _mm256_set1_epi32(static_cast<int>(bits)),
      _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0x0000000000000000));
  const __m256i sel = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
  return _mm256_cmpeq_epi8(_mm256_and_si256(spread, sel), sel);
}

// ---- Q8_0 / Q4_0 / Q5_0 weights x Q8_0 activations: signed weights, the sign trick.
template <class Tr>
inline void dot_signed32(__m256i w, const formats::BlockQ8_0& a, float dw, Acc& acc) noexcept {
  const __m256i av = load256(a.qs);
  const __m256i p = Tr::dot(_mm256_setzero_si256(), _mm256_sign_epi8(w, w), _mm256_sign_epi8(av, w));
  acc.v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(dw * fp16(a.d)), acc.v);
}

struct KernelQ8_0 {
  using WBlock = formats::BlockQ8_0;
  using ABlock = formats::BlockQ8_0;
  static constexpr int kElems = 32;
  template <class Tr>
  struct Unpacked {
    __m256i q;
    float d;
  };
  template <class Tr>
  static Unpacked<Tr> unpack(const WBlock& b) noexcept { return {load256(b.qs), fp16(b.d)}; }
  template <class Tr>
  static void dot(const Unpacked<Tr>& u, const ABlock& a, Acc& acc) noexcept { dot_signed32<Tr>(u.q, a, u.d, acc); }
};

struct KernelQ4_0 {
  using WBlock = formats::BlockQ4_0;
  using ABlock = formats::BlockQ8_0;
  static constexpr int kElems = 32;
  template <class Tr>
  using Unpacked = KernelQ8_0::Unpacked<Tr>;
  template <class Tr>
  static Unpacked<Tr> unpack(const WBlock& b) noexcept {
    return {_mm256_sub_epi8(nibbles32(b.qs), _mm256_set1_epi8(8)), fp16(b.d)};
  }
  template <class Tr>
  static void dot(const Unpacked<Tr>& u, const ABlock& a, Acc& acc) noexcept { dot_signed32<Tr>(u.q, a, u.d, acc); }
};

struct KernelQ5_0 {
  using WBlock = formats::BlockQ5_0;
  using ABlock = formats::BlockQ8_0;
  static constexpr int kElems = 32;
  template <class Tr>
  using Unpacked = KernelQ8_0::Unpacked<Tr>;
  template <class Tr>
  static Unpacked<Tr> unpack(const WBlock& b) noexcept {
    std::uint32_t qh;
    std::memcpy(&qh, b.qh, 4);
    const __m256i hi = _mm256_and_si256(bits_to_bytes(qh), _mm256_set1_epi8(0x10));
    const __m256i q = _mm256_or_si256(nibbles32(b.qs), hi);
    return {_mm256_sub_epi8(q, _mm256_set1_epi8(16)), fp16(b.d)};
  }
  template <class Tr>
  static void dot(const Unpacked<Tr>& u, const ABlock& a, Acc& acc) noexcept { dot_signed32<Tr>(u.q, a, u.d, acc); }
};

// ---- Q4_1 x Q8_1: sum = d_w d_a sum(q a) + m_w s_a, with s_a = d_a sum(a) stored in the block.
struct KernelQ4_1 {
  using WBlock = formats::BlockQ4_1;
  using ABlock = formats::BlockQ8_1;
  static constexpr int kElems = 32;
  template <class Tr>
  struct Unpacked {
    __m256i q;
    float d, m;
  };
  template <class Tr>
  static Unpacked<Tr> unpack(const WBlock& b) noexcept { return {nibbles32(b.qs), fp16(b.d), fp16(b.m)}; }
  template <class Tr>
  static void dot(const Unpacked<Tr>& u, const ABlock& a, Acc& acc) noexcept {
    const __m256i p = Tr::dot(_mm256_setzero_si256(), u.q, load256(a.qs));
    acc.v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(u.d * fp16(a.d)), acc.v);
    // One lane carries the offset term (hsum adds all lanes).
    acc.m = _mm256_add_ps(acc.m, _mm256_castps128_ps256(_mm_set_ss(u.m * fp16(a.s))));
  }
};

// ---- Q4_K / Q5_K x Q8_K: 8 sub-blocks of 32 with 6-bit scales and minimums.
// sum = d_a (d_w sum_s sc_s sum(q a) - dmin_w sum_s m_s (bsum_2s + bsum_2s+1)).
template <class Tr>
struct KUnpacked {
  __m256i q[8];             // unsigned values of sub-block s
  typename Tr::Scale sc[8]; // sc_s
  __m256i mins;             // i16 x16: m_0, m_0, m_1, m_1, ... (pairs with the 16 bsums)
  float d, dmin;
};

// The 6-bit scale and minimum of sub-block j (layout in kernels/formats/q4_k.hpp). A local copy
// of formats::k_scale_min so no inline function of a baseline header is emitted with this ISA.
inline void k_scale_min(const std::uint8_t* s, int j, int& sc, int& m) noexcept {
  if (j < 4) {
    sc = s[j] & 63;
    m = s[j + 4] & 63;
  } else {
    sc = (s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4);
    m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

inline void k_scales(const std::uint8_t* packed, int sc[8], std::int16_t mins16[16]) noexcept {
  for (int s = 0; s < 8; ++s) {
    int m;
    k_scale_min(packed, s, sc[s], m);
    mins16[2 * s] = mins16[2 * s + 1] = static_cast<std::int16_t>(m);
  }
}

template <class Tr>
inline void k_dot(const KUnpacked<Tr>& u, const formats::BlockQ8_K& a, Acc& acc) noexcept {
  __m256i sumi = _mm256_setzero_si256();
  for (int s = 0; s < 8; ++s) sumi = _mm256_add_epi32(sumi, Tr::dot_scaled(u.q[s], load256(a.qs + 32 * s), u.sc[s]));
  acc.v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sumi), _mm256_set1_ps(u.d * a.d), acc.v);
  const __m256i summ = _mm256_madd_epi16(load256(a.bsums), u.mins);
  acc.m = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(summ), _mm256_set1_ps(u.dmin * a.d), acc.m);
}

struct KernelQ4_K {
  using WBlock = formats::BlockQ4_K;
  using ABlock = formats::BlockQ8_K;
  static constexpr int kElems = 256;
  template <class Tr>
  using Unpacked = KUnpacked<Tr>;
  template <class Tr>
  static Unpacked<Tr> unpack(const WBlock& b) noexcept {
    Unpacked<Tr> u;
    int sc[8];
    alignas(32) std::int16_t mins16[16];
    k_scales(b.scales, sc, mins16);
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    for (int c = 0; c < 4; ++c) {
      const __m256i x = load256(b.qs + 32 * c);
      u.q[2 * c] = _mm256_and_si256(x, m4);
      u.q[2 * c + 1] = _mm256_and_si256(_mm256_srli_epi16(x, 4), m4);
    }
    for (int s = 0; s < 8; ++s) u.sc[s] = Tr::scale(sc[s], sc[s]);
    u.mins = _mm256_load_si256(reinterpret_cast<const __m256i*>(mins16));
    u.d = fp16(b.d);
    u.dmin = fp16(b.dmin);
    return u;
  }
  template <class Tr>
  static void dot(const Unpacked<Tr>& u, const ABlock& a, Acc& acc) noexcept { k_dot<Tr>(u, a, acc); }
};

struct KernelQ5_K {
  using WBlock = formats::BlockQ5_K;
  using ABlock = formats::BlockQ8_K;
  static constexpr int kElems = 256;
  template <class Tr>
  using Unpacked = KUnpacked<Tr>;
  template <class Tr>
  static Unpacked<Tr> unpack(const WBlock& b) noexcept {
    Unpacked<Tr> u;
    int sc[8];
    alignas(32) std::int16_t mins16[16];
    k_scales(b.scales, sc, mins16);
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    const __m256i one = _mm256_set1_epi8(1);
    const __m256i hb = load256(b.qh);
    for (int c = 0; c < 4; ++c) {
      const __m256i x = load256(b.qs + 32 * c);
      // Bit 2c (low nibbles) and 2c+1 (high nibbles) of qh[l], moved to bit 4.
      const __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2 * c), one), 4);
      const __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2 * c + 1), one), 4);
      u.q[2 * c] = _mm256_or_si256(_mm256_and_si256(x, m4), h0);
      u.q[2 * c + 1] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(x, 4), m4), h1);
    }
    for (int s = 0; s < 8; ++s) u.sc[s] = Tr::scale(sc[s], sc[s]);
    u.mins = _mm256_load_si256(reinterpret_cast<const __m256i*>(mins16));
    u.d = fp16(b.d);
    u.dmin = fp16(b.dmin);
    return u;
  }
  template <class Tr>
  static void dot(const Unpacked<Tr>& u, const ABlock& a, Acc& acc) noexcept { k_dot<Tr>(u, a, acc); }
};

// ---- Q6_K x Q8_K: 16 sub-blocks of 16 with int8 scales; value q - 32 with q in 0..63.
// sum = d_w d_a (sum_s sc_s sum(q a) - 32 sum_s sc_s bsum_s).
struct KernelQ6_K {
  using WBlock = formats::BlockQ6_K;
  using ABlock = formats::BlockQ8_K;
  static constexpr int kElems = 256;
  template <class Tr>
  struct Unpacked {
    __m256i q[8];              // elements 32t..32t+31 (t over both halves)
    typename Tr::Scale sc[8];  // scales of the two 16-element sub-blocks of each
    __m256i sc16;              // i16 x16: the 16 scales (pairs with the bsums)
    float d;
  };
  template <class Tr>
  static Unpacked<Tr> unpack(const WBlock& b) noexcept {
    Unpacked<Tr> u;
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    const __m256i m2 = _mm256_set1_epi8(0x03);
    for (int h = 0; h < 2; ++h) {
      const __m256i la = load256(b.ql + 64 * h);
      const __m256i lb = load256(b.ql + 64 * h + 32);
      const __m256i hq = load256(b.qh + 32 * h);
      const auto high = [&](int shift) {
        return _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hq, shift), m2), 4);
      };
      u.q[4 * h + 0] = _mm256_or_si256(_mm256_and_si256(la, m4), high(0));
      u.q[4 * h + 1] = _mm256_or_si256(_mm256_and_si256(lb, m4), high(2));
      u.q[4 * h + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(la, 4), m4), high(4));
      u.q[4 * h + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(lb, 4), m4), high(6));
    }
    for (int t = 0; t < 8; ++t) u.sc[t] = Tr::scale(b.scales[2 * t], b.scales[2 * t + 1]);
    u.sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)));
    u.d = fp16(b.d);
    return u;
  }
  template <class Tr>
  static void dot(const Unpacked<Tr>& u, const ABlock& a, Acc& acc) noexcept {
    __m256i sumi = _mm256_setzero_si256();
    for (int t = 0; t < 8; ++t) sumi = _mm256_add_epi32(sumi, Tr::dot_scaled(u.q[t], load256(a.qs + 32 * t), u.sc[t]));
    const __m256i off = _mm256_slli_epi32(_mm256_madd_epi16(load256(a.bsums), u.sc16), 5);
    sumi = _mm256_sub_epi32(sumi, off);
    acc.v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sumi), _mm256_set1_ps(u.d * a.d), acc.v);
  }
};

}  // namespace SLM_SIMD_ISA_NS
}  // namespace slm::kernels::simd
