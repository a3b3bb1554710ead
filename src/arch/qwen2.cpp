// qwen2: Qwen2 / Qwen2.5. Llama's block plus F32 biases on the q, k, v projections, and
// NEOX RoPE (the converter does not permute Q/K).
#include "arch/families.hpp"

namespace slm::arch {

const ArchSpec kQwen2 = {
    .gguf_arch = "qwen2",
    .ffn_act = FfnAct::SwiGlu,
    .qkv_bias = true,
    .rope = RopeStyle::Neox,
};

}  // namespace slm::arch
