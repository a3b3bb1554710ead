// The attention kernel (kernels().attention_block) for one KV head and the query heads sharing
// it, at the head shapes of the seed models, one thread:
//   attention/<kv>/hd<head_dim>xg<group>/ctx<keys>/b<tokens>
// b1 is a decode step at position ctx - 1 (it sees ctx keys); b64 is a prefill block of 64
// tokens ending there. The cache is laid out as the engine's (src/runtime/kv_cache.hpp): one KV
// head's rows of head_dim elements, contiguous. Counters: KV_GB/s = K and V bytes the block
// sees, per second; keys/s = key positions scored per second, summed over the query rows.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "cases.hpp"
#include "kernels/formats/float.hpp"

namespace slm::bench {
namespace {

using kernels::DType;

struct AttnShape {
  std::int64_t head_dim, group;
  const char* model;
};

void bm_attention(benchmark::State& st, DType kv, AttnShape s, std::int64_t ctx, std::int64_t n_tok) {
  const std::size_t elem = kv == DType::F16 ? 2 : 4;
  const std::size_t row_bytes = elem * std::size_t(s.head_dim);
  const std::vector<float> kf = random_floats(std::size_t(ctx * s.head_dim), 7);
  const std::vector<float> vf = random_floats(kf.size(), 8);
  std::vector<std::uint8_t> k(row_bytes * std::size_t(ctx)), v(k.size());
  const auto& kt = kernels::kernels();
  if (kv == DType::F16) {
    auto* k16 = reinterpret_cast<std::uint16_t*>(k.data());
    auto* v16 = reinterpret_cast<std::uint16_t*>(v.data());
    for (std::size_t i = 0; i < kf.size(); ++i) {
      k16[i] = kernels::formats::f32_to_fp16(kf[i]);
      v16[i] = kernels::formats::f32_to_fp16(vf[i]);
    }
  } else {
    std::memcpy(k.data(), kf.data(), k.size());
    std::memcpy(v.data(), vf.data(), v.size());
  }
  const std::int64_t q_dim = s.group * s.head_dim;
  const std::vector<float> q = random_floats(std::size_t(n_tok * q_dim), 9);
  std::vector<float> out(q.size());
  std::vector<float> scratch(kernels::attention_block_scratch(n_tok, s.group, s.head_dim, ctx));
  kernels::AttentionBlockArgs a{};
  a.q = q.data();
  a.q_stride = q_dim;
  a.n_tok = n_tok;
  a.n_q = s.group;
  a.head_dim = s.head_dim;
  a.k = k.data();
  a.v = v.data();
  a.kv_type = kv;
  a.kv_row_stride = row_bytes;
  a.pos0 = ctx - n_tok;
  a.window = 0;
  a.ring = ctx;
  a.scale = 1.0f / std::sqrt(float(s.head_dim));
  a.softcap = 0.0f;
  a.out = out.data();
  a.out_stride = q_dim;
  a.scratch = scratch.data();
  for (auto _ : st) {
    kt.attention_block(a);
    benchmark::DoNotOptimize(out.data());
  }
  st.counters["KV_GB"] = benchmark::Counter(2.0 * double(ctx * s.head_dim * std::int64_t(elem)) / 1e9,
                                            benchmark::Counter::kIsIterationInvariantRate);
  st.counters["keys"] = benchmark::Counter(double(ctx * s.group * n_tok), benchmark::Counter::kIsIterationInvariantRate);
  st.SetLabel(std::string(kernels::isa_name(kt.isa)) + " " + s.model);
}

}  // namespace

void register_attention_benchmarks() {
  const AttnShape shapes[] = {
      {64, 4, "llama3.2-1b"}, {64, 7, "qwen2-0.5b"}, {128, 4, "llama3-8b"}, {256, 4, "gemma3-270m"}, {256, 8, "gemma-2b"},
  };
  for (DType kv : {DType::F16, DType::F32})
    for (const AttnShape& s : shapes)
      for (std::int64_t ctx : {512, 4096})
        for (std::int64_t b : {1, 64}) {
          const std::string name = "attention/" + std::string(kv == DType::F16 ? "f16" : "f32") + "/hd" +
                                   std::to_string(s.head_dim) + "xg" + std::to_string(s.group) + "/ctx" +
                                   std::to_string(ctx) + "/b" + std::to_string(b);
          benchmark::RegisterBenchmark(name.c_str(), bm_attention, kv, s, ctx, b)->Unit(benchmark::kMicrosecond);
        }
}

}  // namespace slm::bench
