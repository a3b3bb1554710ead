#pragma once
// AMX tile primitives for the AMX level's GEMM kernels (included by table_amx.cpp only).
//
// The compilers' own intrinsics are not used: GCC 12's _tile_loadd is an asm statement that
// does not tell the compiler it reads memory, so stores into a scratch buffer could be moved
// past the tile load that reads them, and its _tile_loadconfig only "reads" 8 of the 64 config
// bytes. These wrappers declare the memory they touch (a full "memory" clobber on loads and
// stores: the kernels always write their scratch right before loading it, so nothing is lost).
//
// Tile registers tmm0..tmm7, each up to 16 rows x 64 bytes. The int8 products
//   tdpb{s,u}{s,u}d C, A, B:  C[m][n] += sum_{k} A[m][k] * B[k/4][4n + k%4]
// (first letter: A signed/unsigned, second: B) read A as rows of K bytes and B in the "VNNI"
// layout: K/4 rows, each holding 4 consecutive K bytes of every column n.

#include <cstdint>
#include <cstring>

namespace slm::kernels::arch::amx {

// The 64-byte operand of ldtilecfg (palette 1).
struct alignas(64) TileConfig {
  std::uint8_t palette = 1;
  std::uint8_t start_row = 0;
  std::uint8_t reserved[14] = {};
  std::uint16_t colsb[16] = {};  // bytes per row of tile i
  std::uint8_t rows[16] = {};    // rows of tile i
};
static_assert(sizeof(TileConfig) == 64, "ldtilecfg reads 64 bytes");

inline void tile_config(const TileConfig& c) noexcept { asm volatile("ldtilecfg %0" ::"m"(c)); }
inline void tile_release() noexcept { asm volatile("tilerelease" ::: "memory"); }

#define SLM_AMX_STR2(x) #x
#define SLM_AMX_STR(x) SLM_AMX_STR2(x)
#define SLM_TILE_LOAD(t, base, stride)                                                                      \
  asm volatile("tileloadd (%0,%1,1), %%tmm" SLM_AMX_STR(t)::"r"(static_cast<const void*>(base)), \
               "r"(static_cast<long>(stride))                                                        \
               : "memory")
#define SLM_TILE_STORE(t, base, stride)                                                                 \
  asm volatile("tilestored %%tmm" SLM_AMX_STR(t) ", (%0,%1,1)" ::"r"(static_cast<void*>(base)), \
               "r"(static_cast<long>(stride))                                                    \
               : "memory")
#define SLM_TILE_ZERO(t) asm volatile("tilezero %%tmm" SLM_AMX_STR(t)::)
// C += A . B with A signed and B unsigned bytes / both signed.
#define SLM_TILE_DPBSUD(c, a, b) \
  asm volatile("tdpbsud %%tmm" SLM_AMX_STR(b) ", %%tmm" SLM_AMX_STR(a) ", %%tmm" SLM_AMX_STR(c)::)
#define SLM_TILE_DPBSSD(c, a, b) \
  asm volatile("tdpbssd %%tmm" SLM_AMX_STR(b) ", %%tmm" SLM_AMX_STR(a) ", %%tmm" SLM_AMX_STR(c)::)

// Transposes a 16 x 16 matrix of 32-bit words held in 16 zmm (r[i] = row i) in place: the step
// from 16 weight rows of 64 bytes to one B tile (word w of row n -> row w, column n).
inline void transpose16x16_epi32(__m512i r[16]) noexcept {
  __m512i t[16], u[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  // u[4g + j], 128-bit lane L: element 4L + j of rows 4g..4g+3.
  for (int g = 0; g < 4; ++g) {
    u[4 * g + 0] = _mm512_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
    u[4 * g + 1] = _mm512_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
    u[4 * g + 2] = _mm512_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
    u[4 * g + 3] = _mm512_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
  }
  // A 4 x 4 transpose of 128-bit lanes across the four row groups.
  for (int j = 0; j < 4; ++j) {
    const __m512i v0 = _mm512_shuffle_i32x4(u[j], u[4 + j], 0x44);
    const __m512i v1 = _mm512_shuffle_i32x4(u[j], u[4 + j], 0xEE);
    const __m512i v2 = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0x44);
    const __m512i v3 = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0xEE);
    r[0 + j] = _mm512_shuffle_i32x4(v0, v2, 0x88);
    r[4 + j] = _mm512_shuffle_i32x4(v0, v2, 0xDD);
    r[8 + j] = _mm512_shuffle_i32x4(v1, v3, 0x88);
    r[12 + j] = _mm512_shuffle_i32x4(v1, v3, 0xDD);
  }
}

// Adds (first segment: stores) the accumulators acc[b][16] of batch rows [b0, b0 + nv) and weight
// rows [p, p + nr) into y.
inline void add_panel(const float (*acc)[16], int nv, std::int64_t b0, std::int64_t p, int nr, bool first, float* y,
                      std::int64_t ldy) noexcept {
  const auto m = static_cast<__mmask16>((1u << nr) - 1);
  for (int b = 0; b < nv; ++b) {
    float* dst = y + (b0 + b) * ldy + p;
    __m512 v = _mm512_load_ps(acc[b]);
    if (!first) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, dst));
    _mm512_mask_storeu_ps(dst, m, v);
  }
}

}  // namespace slm::kernels::arch::amx
