// Weight-matrix products, split by output rows over the session's thread pool.
//
// Integer path: each input row is quantized once to the weight type's activation format
// (Q8_0 / Q8_1 / Q8_K) and multiplied with integer dot products, the rounding llama.cpp's CPU
// backend applies to every quantized matmul (the LM head included). Float weight types have
// no integer path and always take matmul_f32.
#include "runtime/state.hpp"

namespace slm::runtime {

void matmul(State& s, const kernels::Matrix& w, const float* x, std::int64_t batch, float* y,
            bool reuse_input) {
  const kernels::DType act = kernels::activation_type(w.type);
  if (!reuse_input) s.xq_src = nullptr;  // a new input: any cached quantization is stale
  if (s.opt.matmul == MatmulPath::Float || act == kernels::DType::F32) {
    s.pool.parallel_for(w.n_rows, [&](std::int64_t r0, std::int64_t r1, int) {
      s.k.matmul_f32(w, x, batch, y, w.n_rows, r0, r1);
    });
    return;
  }
  const std::size_t row = kernels::act_row_bytes(w.type, w.k);
  if (!(reuse_input && s.xq_src == x && s.xq_type == act && s.xq_batch == batch)) {
    s.pool.parallel_for(batch, [&](std::int64_t b0, std::int64_t b1, int) {
      for (std::int64_t b = b0; b < b1; ++b)
        s.k.quantize_activations(act, x + b * w.k, w.k, s.xq.data() + std::size_t(b) * row);
    });
    s.xq_src = x;
    s.xq_type = act;
    s.xq_batch = batch;
  }
  s.pool.parallel_for(w.n_rows, [&](std::int64_t r0, std::int64_t r1, int) {
    s.k.matmul_q8(w, s.xq.data(), batch, y, w.n_rows, r0, r1);
  });
}

}  // namespace slm::runtime
