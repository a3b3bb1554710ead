// llama: Llama 1/2/3.x, Mistral 7B (HF MistralForCausalLM is written as "llama"), SmolLM.
// Pre-norm RMSNorm blocks, SwiGLU, RoPE on Q/K rows the converter permuted to adjacent pairs.
#include "arch/families.hpp"

namespace slm::arch {

const ArchSpec kLlama = {
    .gguf_arch = "llama",
    .ffn_act = FfnAct::SwiGlu,
    .rope = RopeStyle::Adjacent,
    .uniform_window_from_key = true,  // Mistral v0.1's 4096-token window, when the file has it
    .rope_freqs_tensor = true,        // Llama 3.1+ frequency factors
};

}  // namespace slm::arch
