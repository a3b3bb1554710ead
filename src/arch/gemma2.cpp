// gemma2: Gemma 2. Gemma plus "sandwich" norms after attention and FFN, attention and final
// soft-caps (50 and 30 when the keys are absent), and sliding-window attention on every
// other layer (il % 2 == 0 local).
#include <cmath>

#include "arch/families.hpp"

namespace slm::arch {
namespace {
// The 27B model (46 layers) scales queries by 1/sqrt(n_embd/n_head) instead of
// 1/sqrt(head_dim) (HF query_pre_attn_scalar); llama.cpp detects it by size the same way.
float gemma2_query_scale(const HParams& hp) {
  const double d = hp.n_layer == 46 ? double(hp.n_embd / hp.n_head) : double(hp.head_dim);
  return float(1.0 / std::sqrt(d));
}
}  // namespace

const ArchSpec kGemma2 = {
    .gguf_arch = "gemma2",
    .ffn_act = FfnAct::GeGlu,
    .post_attn_norm = true,
    .post_ffn_norm = true,
    .rope = RopeStyle::Neox,
    .embed_scale_sqrt_d = true,
    .swa_period = 2,
    .attn_softcap = {true, 50.0f},
    .final_softcap = {true, 30.0f},
    .query_scale = gemma2_query_scale,
};

}  // namespace slm::arch
