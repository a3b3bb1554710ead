// gemma3: Gemma 3 (text). Gemma 2's block with per-head q/k RMSNorm instead of the attention
// soft-cap, five sliding-window layers then one global (il % 6 < 5 local), and a separate
// RoPE base for the local layers (rope.freq_base_swa, default 10000). The final soft-cap is
// applied only when the file has the key.
#include <cmath>

#include "arch/families.hpp"

namespace slm::arch {
namespace {
// The 27B model (62 layers) scales queries by 1/sqrt(n_embd/n_head) (see gemma2.cpp).
float gemma3_query_scale(const HParams& hp) {
  const double d = hp.n_layer == 62 ? double(hp.n_embd / hp.n_head) : double(hp.head_dim);
  return float(1.0 / std::sqrt(d));
}
}  // namespace

const ArchSpec kGemma3 = {
    .gguf_arch = "gemma3",
    .ffn_act = FfnAct::GeGlu,
    .post_attn_norm = true,
    .post_ffn_norm = true,
    .qk_norm = true,
    .rope = RopeStyle::Neox,
    .embed_scale_sqrt_d = true,
    .swa_period = 6,
    .local_rope_base = true,
    .final_softcap = {true, 0.0f},
    .query_scale = gemma3_query_scale,
};

}  // namespace slm::arch
