#include "kernels/ref/ref.hpp"

namespace slm::kernels::ref {

const KernelTable& table() {
  static constexpr KernelTable kTable{
      .isa = Isa::Scalar,
      .matmul_f32 = matmul_f32,
      .matmul_q8 = matmul_q8,
      .quantize_activations = quantize_activations,
      .rmsnorm = rmsnorm,
      .rope = rope,
      .softmax = softmax,
      .swiglu = swiglu,
      .geglu = geglu,
      .add = add,
      .scale = scale,
      .softcap = softcap,
      .geglu_fp16 = geglu_fp16,
      .attention_block = attention_block,
  };
  return kTable;
}

}  // namespace slm::kernels::ref
