#include "kernels/kernels.hpp"

namespace slm::kernels {

const char* isa_name(Isa isa) noexcept {
  switch (isa) {
    case Isa::Scalar: return "scalar";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
    case Isa::Amx: return "amx";
  }
  return "unknown";
}

}  // namespace slm::kernels
