// Lookup of an ArchSpec by general.architecture. Adding a family: one file in this folder
// plus one line in kFamilies.
#include <array>

#include "arch/families.hpp"

namespace slm {
namespace {
const std::array<const ArchSpec*, 5> kFamilies = {&arch::kLlama, &arch::kQwen2, &arch::kGemma,
                                                  &arch::kGemma2, &arch::kGemma3};
}  // namespace

const ArchSpec* find_arch(std::string_view gguf_arch) noexcept {
  for (const ArchSpec* a : kFamilies)
    if (a->gguf_arch == gguf_arch) return a;
  return nullptr;
}

std::vector<const ArchSpec*> all_archs() { return {kFamilies.begin(), kFamilies.end()}; }

const char* to_string(FfnAct a) noexcept { return a == FfnAct::SwiGlu ? "SwiGLU" : "GeGLU"; }
const char* to_string(RopeStyle r) noexcept { return r == RopeStyle::Adjacent ? "adjacent" : "neox"; }

}  // namespace slm
