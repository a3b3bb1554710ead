#pragma once
// The architecture card: what one model file is, in the numbers that decide inference cost,
// derived from the file alone (HParams read from its metadata + its tensor table; nothing is
// looked up per family). `slm inspect` shows one card, `slm compare` several side by side.
//
// Conventions (also printed in the card's notes):
//  - parameters are tensor elements; a tied LM head is token_embd, counted once.
//    embedding = token_embd; lm_head = output.weight (0 when tied);
//    non-embedding = total - embedding - lm_head.
//  - per generated token: matmul FLOPs = 2 x (elements of every blk.* matrix + the LM head);
//    the embedding lookup is a row read, no FLOPs. Attention FLOPs = 4 x n_head x head_dim x
//    keys visible (q.k and p.v) summed over layers, at `attn_position` (0-based), where a
//    sliding-window layer sees at most `sliding_window` keys. Norms, RoPE, softmax: not counted.
//  - weight bytes read per token: every tensor except token_embd, plus one token_embd row, plus
//    token_embd again when it is the LM head. KV bytes read: the visible keys and values.
//  - the tokens/s ceiling = bandwidth / (weight bytes + KV bytes read, F32 cache): a decode
//    step cannot be faster than streaming its bytes once from memory.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/reader.hpp"

namespace slm::model {

struct CardOptions {
  std::int64_t attn_position = 512;  // position of the generated token for attention cost
  double bandwidth_gbps = 0;         // memory bandwidth (1e9 B/s); 0: no tokens/s ceiling
  std::string bandwidth_source;      // how it was obtained ("probe", "--bandwidth")
};

struct FormatBytes {
  std::string type;  // F32, Q4_K, ...
  std::int64_t tensors = 0;
  std::uint64_t bytes = 0;
  std::int64_t params = 0;
};

struct ArchCard {
  std::string path, family, name;
  std::uint64_t file_size = 0;

  // parameters (see the conventions above)
  std::int64_t params_total = 0, params_embedding = 0, params_lm_head = 0, params_non_embedding = 0;
  bool tied_embeddings = false;

  // shape
  std::int64_t n_layer = 0, d_model = 0, n_head = 0, n_head_kv = 0, group_size = 0, head_dim = 0;
  std::string attention;  // "MHA" (kv = q heads), "MQA" (1 kv head), "GQA" (between)
  std::string ffn_kind;   // SwiGLU / GeGLU
  std::int64_t n_ff = 0;
  bool post_attn_norm = false, post_ffn_norm = false, qk_norm = false, qkv_bias = false;
  float rms_eps = 0;

  // positions
  std::string rope_style;  // adjacent / neox
  std::int64_t n_rot = 0;
  float rope_base = 0, rope_base_local = 0;  // local: 0 when local layers use the global base
  std::string rope_scaling;                  // "none", "linear x4", "rope_freqs tensor"
  std::int64_t n_ctx_train = 0;
  std::int64_t sliding_window = 0;           // 0: no sliding-window layers
  std::vector<std::int64_t> local_layers;    // indices of sliding-window layers
  float attn_softcap = 0, final_softcap = 0;  // 0: none
  float embed_scale = 1;

  // vocabulary
  std::int64_t n_vocab = 0;
  std::string tokenizer_model, tokenizer_pre;  // tokenizer.ggml.model / .pre ("" if absent)

  // bytes
  std::vector<FormatBytes> formats;  // by tensor type, in type order
  std::uint64_t weight_bytes = 0;    // all tensors
  std::uint64_t kv_bytes_per_token_f32 = 0, kv_bytes_per_token_f16 = 0;  // one token, every layer
  std::uint64_t kv_global_bytes_per_token_f32 = 0;  // the part in global layers (grows with context)
  std::uint64_t kv_bytes_full_ctx_f32 = 0, kv_bytes_full_ctx_f16 = 0;  // at n_ctx_train, windows capped

  // per generated token
  std::int64_t attn_position = 0;
  double matmul_flops = 0, attn_flops = 0;
  double lm_head_flops = 0;  // part of matmul_flops
  std::uint64_t weight_bytes_per_token = 0, lm_head_bytes = 0, kv_read_bytes_f32 = 0;
  double bandwidth_gbps = 0;
  std::string bandwidth_source;
  double tokens_per_s_ceiling = 0;  // 0: bandwidth unknown

  double flops_per_token() const { return matmul_flops + attn_flops; }
  std::uint64_t bytes_per_token() const { return weight_bytes_per_token + kv_read_bytes_f32; }
};

// Builds the card of an opened file. Throws slm::Error: Unsupported for an architecture slm has
// no ArchSpec for, Format/Shape for metadata the engine would also refuse (read_hparams).
ArchCard make_card(const gguf::File& file, const CardOptions& options = {});

// The card as labelled rows (section, label, value text), the common source of every renderer.
struct CardRow {
  std::string section, label, value;
};
std::vector<CardRow> card_rows(const ArchCard& card);

// The rows of several cards aligned by (section, label); a model lacking a row has "-".
struct CardGrid {
  std::vector<CardRow> rows;                    // value: empty
  std::vector<std::vector<std::string>> cells;  // [row][card]
};
CardGrid card_grid(std::span<const ArchCard> cards);

std::string card_text(const ArchCard& card);      // "architecture card:" section for inspect
std::string card_markdown(const ArchCard& card);  // | field | value |
// Several cards side by side: one column per model (text: aligned columns; markdown: a table).
std::string cards_text(std::span<const ArchCard> cards);
std::string cards_markdown(std::span<const ArchCard> cards);
// Every registered ArchSpec (all_archs()) as a Markdown table: the structural differences.
std::string families_markdown();

// Number formatting shared by the renderers: "268.10 M", "1.23 GiB", "2.5 GFLOP".
std::string si(double v, std::string_view unit);
std::string binary_bytes(std::uint64_t bytes);

}  // namespace slm::model
