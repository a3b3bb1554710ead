// gemma: Gemma 1. GeGLU, NEOX RoPE, embeddings scaled by sqrt(n_embd), tied output.
// The converter already stored 1 + w in every norm weight, so norms are plain x·w here.
// Files carry no rope.freq_base key: the default 10000 applies.
#include "arch/families.hpp"

namespace slm::arch {

const ArchSpec kGemma = {
    .gguf_arch = "gemma",
    .ffn_act = FfnAct::GeGlu,
    .rope = RopeStyle::Neox,
    .embed_scale_sqrt_d = true,
};

}  // namespace slm::arch
