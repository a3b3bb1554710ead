// system_description(): what `slm inspect --system` prints about the CPU and the kernel levels.
// Baseline x86-64 code: it only asks the CPU (cpuid / __builtin_cpu_supports), never runs SIMD.

#include <cstdlib>
#include <string>

#include "kernels/kernels.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace slm::kernels {
namespace {

#if defined(__x86_64__) || defined(__i386__)
std::string cpu_brand() {
  unsigned int regs[12] = {};
  unsigned int max_ext = __get_cpuid_max(0x80000000u, nullptr);
  if (max_ext < 0x80000004u) return "unknown x86-64";
  for (unsigned int i = 0; i < 3; ++i) __get_cpuid(0x80000002u + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2], &regs[4 * i + 3]);
  std::string s(reinterpret_cast<const char*>(regs), sizeof(regs));
  s = s.substr(0, s.find('\0'));
  const auto b = s.find_first_not_of(' ');
  return b == std::string::npos ? "unknown x86-64" : s.substr(b);
}

// CPUID leaf 1 ECX bits (clang 14's __builtin_cpu_supports does not know "f16c").
bool leaf1_ecx(unsigned int bit) {
  unsigned int a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  return (c >> bit) & 1u;
}

// CPUID leaf 7 bits that __builtin_cpu_supports does not name in every compiler we build with.
bool leaf7(unsigned int subleaf, int reg, unsigned int bit) {
  unsigned int r[4] = {};
  if (__get_cpuid_max(0, nullptr) < 7) return false;
  __cpuid_count(7, subleaf, r[0], r[1], r[2], r[3]);
  return (r[reg] >> bit) & 1u;
}

std::string features() {
  std::string out;
  const auto add = [&out](const char* name, bool on) {
    if (on) out += std::string(out.empty() ? "" : " ") + name;
  };
  add("sse4.2", __builtin_cpu_supports("sse4.2"));
  add("avx", __builtin_cpu_supports("avx"));
  add("avx2", __builtin_cpu_supports("avx2"));
  add("fma", __builtin_cpu_supports("fma"));
  add("f16c", leaf1_ecx(29));
  add("bmi2", __builtin_cpu_supports("bmi2"));
  add("avx512f", __builtin_cpu_supports("avx512f"));
  add("avx512bw", __builtin_cpu_supports("avx512bw"));
  add("avx512vl", __builtin_cpu_supports("avx512vl"));
  add("avx512dq", __builtin_cpu_supports("avx512dq"));
  add("avx512vnni", __builtin_cpu_supports("avx512vnni"));
  add("avx512bf16", leaf7(1, 0, 5));
  add("avx512fp16", leaf7(0, 3, 23));
  add("avxvnni", leaf7(1, 0, 4));
  add("amx-tile", leaf7(0, 3, 24));
  add("amx-int8", leaf7(0, 3, 25));
  return out.empty() ? "(none of interest)" : out;
}
#endif

}  // namespace

std::string system_description() {
  std::string s;
#if defined(__x86_64__) || defined(__i386__)
  s += "cpu:            " + cpu_brand() + "\n";
  s += "cpu features:   " + features() + "\n";
#else
  s += "cpu:            not x86 (scalar kernels only)\n";
#endif
  s += "kernel levels:  ";
  for (Isa isa : available_isas()) s += std::string(isa_name(isa)) + " ";
  s += "(available on this CPU)\n";
  const char* cap = std::getenv("SLM_ISA");
  s += "active level:   " + std::string(isa_name(kernels().isa)) + " (SLM_ISA=" + (cap ? cap : "unset") + ")\n";
  const char* pf = std::getenv("SLM_PREFETCH");
  s += "weight prefetch: " + std::string(stream_prefetch() ? "on" : "off") + " (SLM_PREFETCH=" + (pf ? pf : "unset") + ")\n";
  return s;
}

}  // namespace slm::kernels
