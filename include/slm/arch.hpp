#pragma once
// What makes one transformer family differ from another, split in two:
//
//  - ArchSpec: the STRUCTURE of a family (which norms exist, which activation, RoPE layout,
//    which layers use a sliding window, ...). One constant row per GGUF `general.architecture`
//    string, each in its own file under src/arch/. Two families differ by the diff of two rows.
//  - HParams: every NUMBER of one model file (dims, eps, RoPE bases, window, soft-caps),
//    read from GGUF metadata, with the documented defaults where producers omit keys.
//
// The one transformer block (src/runtime/block.cpp) reads both and never tests a family name.

#include <cstdint>
#include <string_view>
#include <vector>

namespace slm {

// Gated feed-forward: down(act(gate·x) ⊙ up·x).
enum class FfnAct {
  SwiGlu,  // act = SiLU (Llama, Qwen2)
  GeGlu,   // act = GELU, tanh approximation (Gemma family)
};

// RoPE pairing as stored in GGUF. Adjacent rotates (x[2i], x[2i+1]): the Llama converter
// permuted Q/K rows so this is right for Llama/Mistral. Neox rotates (x[i], x[i + n_rot/2]).
enum class RopeStyle { Adjacent, Neox };

// A soft-cap x -> cap·tanh(x/cap) on attention scores or on the final logits. The value is
// read from a GGUF key; `default_cap` is what the family uses when the key is absent
// (0 = no cap when absent).
struct SoftcapRule {
  bool enabled = false;    // does this family's graph apply the cap at all
  float default_cap = 0;   // value when the GGUF key is absent (0: not applied)
};

struct HParams;

// Structure of one family. Plain constant data plus at most a few hooks.
struct ArchSpec {
  std::string_view gguf_arch;   // value of general.architecture: "llama", "qwen2", "gemma", ...
  FfnAct ffn_act = FfnAct::SwiGlu;
  bool post_attn_norm = false;  // x += post_attention_norm(attn(...))   (Gemma 2/3 "sandwich")
  bool post_ffn_norm = false;   // x += post_ffw_norm(ffn(...))
  bool qkv_bias = false;        // q/k/v projections have F32 biases, added before RoPE (Qwen2)
  bool qk_norm = false;         // per-head RMSNorm of q and k over head_dim, before RoPE (Gemma 3)
  RopeStyle rope = RopeStyle::Adjacent;
  bool embed_scale_sqrt_d = false;  // token embedding multiplied by sqrt(n_embd) (Gemma family)
  // Sliding-window layers: with period P > 0, layer il is local iff il % P < P - 1
  // (gemma2: P = 2, layers 0,2,4.. local; gemma3: P = 6, five local then one global).
  // `{arch}.attention.sliding_window_pattern` in the file overrides P (number or bool array).
  int swa_period = 0;
  // A `{arch}.attention.sliding_window` key with swa_period == 0 puts EVERY layer under that
  // window (Mistral 7B v0.1 written as arch "llama"). Note llama.cpp ignores it.
  bool uniform_window_from_key = false;
  // Local layers use `{arch}.rope.freq_base_swa` (default 10000) and no RoPE scaling;
  // otherwise local layers share the global RoPE.
  bool local_rope_base = false;
  // Llama 3.1+ RoPE scaling: a `rope_freqs.weight` F32 [n_rot/2] tensor, when present,
  // divides each frequency.
  bool rope_freqs_tensor = false;
  SoftcapRule attn_softcap{};   // key {arch}.attn_logit_softcapping, applied to scaled scores
  SoftcapRule final_softcap{};  // key {arch}.final_logit_softcapping, applied to logits
  // RoPE base when `{arch}.rope.freq_base` is absent.
  float default_rope_base = 10000.0f;
  // Attention query scale; nullptr = 1/sqrt(head_dim). (Gemma 2/3 27B use 1/sqrt(n_embd/n_head).)
  float (*query_scale)(const HParams&) = nullptr;
};

// Numbers of one model file. Names follow the GGUF keys.
struct HParams {
  std::int64_t n_vocab = 0;      // rows of token_embd
  std::int64_t n_ctx_train = 0;  // {arch}.context_length
  std::int64_t n_embd = 0;       // {arch}.embedding_length
  std::int64_t n_layer = 0;      // {arch}.block_count
  std::int64_t n_head = 0;       // {arch}.attention.head_count
  std::int64_t n_head_kv = 0;    // {arch}.attention.head_count_kv (default n_head)
  std::int64_t head_dim = 0;     // {arch}.attention.key_length (default n_embd / n_head)
  std::int64_t n_ff = 0;         // {arch}.feed_forward_length
  std::int64_t n_rot = 0;        // {arch}.rope.dimension_count (default head_dim)
  float rms_eps = 1e-5f;         // {arch}.attention.layer_norm_rms_epsilon
  float rope_base = 10000.0f;    // {arch}.rope.freq_base (default: ArchSpec::default_rope_base)
  float rope_base_local = 10000.0f;  // {arch}.rope.freq_base_swa (local layers, when the spec says so)
  float rope_freq_scale = 1.0f;  // 1 / {arch}.rope.scaling.factor for rope.scaling.type == "linear"
  std::int64_t sliding_window = 0;  // {arch}.attention.sliding_window (0: none)
  std::vector<bool> layer_is_local;  // [n_layer]: layer uses the sliding window
  float attn_softcap = 0;        // 0: none
  float final_softcap = 0;       // 0: none
  float query_scale = 0;         // multiplies q·k
  float embed_scale = 1;         // multiplies the token embedding
};

// The spec registered for a `general.architecture` value, or nullptr.
const ArchSpec* find_arch(std::string_view gguf_arch) noexcept;
// Every registered family, in a fixed order (for listings and docs).
std::vector<const ArchSpec*> all_archs();

const char* to_string(FfnAct a) noexcept;
const char* to_string(RopeStyle r) noexcept;

}  // namespace slm
