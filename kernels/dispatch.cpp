// Picks the kernel table once at start-up: the best ISA level this CPU supports, capped by the
// environment variable SLM_ISA=scalar|avx2|avx512|amx. A level that is requested but unavailable
// (CPU lacks it, or it is not built yet) falls back to the best available level below it.
// SLM_ISA=avx512 therefore means "AVX-512 without AMX" on an AMX machine.

#include <cstdlib>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include <string>
#include <string_view>

#include "kernels/arch/tables.hpp"
#include "kernels/kernels.hpp"
#include "kernels/ref/ref.hpp"
#include "slm/error.hpp"

namespace slm::kernels {
namespace {

#if defined(__x86_64__) || defined(__i386__)
// F16C straight from CPUID: clang 14's __builtin_cpu_supports does not know "f16c". (OS
// support for the YMM state is already implied by the "avx2" check.)
bool has_f16c() noexcept {
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & bit_F16C) != 0;
}

// AMX-TILE and AMX-INT8 (CPUID.(EAX=7,ECX=0):EDX bits 24, 25), the OS saving the tile state
// (XCR0 bits 17 TILECFG and 18 TILEDATA), and Linux's permission to use it: since 5.16 a process
// must ask for the tile data state (ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA) before its
// first tile instruction, else that instruction faults. The permission is process-wide and
// asked for once; the answer is a constant of the process, hence the function-local static.
bool has_amx() noexcept {
#if defined(__linux__) && defined(__x86_64__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_max(0, nullptr) < 7) return false;
  __cpuid_count(7, 0, a, b, c, d);
  if (((d >> 24) & 1u) == 0 || ((d >> 25) & 1u) == 0) return false;
  __cpuid(1, a, b, c, d);
  if ((c & bit_OSXSAVE) == 0) return false;
  unsigned lo = 0, hi = 0;
  asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if (((lo >> 17) & 3u) != 3u) return false;
  static const bool permitted = [] {
    constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
    return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
  }();
  return permitted;
#else
  return false;
#endif
}
#endif

// Does the CPU (and OS, which must save the wider registers) support the level? libgcc's and
// compiler-rt's __builtin_cpu_supports both check OS support via XGETBV.
bool cpu_supports(Isa isa) noexcept {
  switch (isa) {
    case Isa::Scalar: return true;
#if defined(__x86_64__) || defined(__i386__)
    case Isa::Avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && has_f16c() &&
             __builtin_cpu_supports("bmi2");
    case Isa::Avx512:
      return cpu_supports(Isa::Avx2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512vnni");
    case Isa::Amx: return cpu_supports(Isa::Avx512) && has_amx();
#endif
    default: return false;
  }
}

// The table built for a level, or nullptr when this build has none for it.
const KernelTable* built_table(Isa isa) noexcept {
  switch (isa) {
    case Isa::Scalar: return &ref::table();
    // Built on first use, which is only after cpu_supports() said yes: the builders live in
    // translation units compiled for that ISA.
    case Isa::Avx2: {
      static const KernelTable t = arch::avx2_table(ref::table());
      return &t;
    }
    case Isa::Avx512: {
      static const KernelTable t = arch::avx512_table(ref::table());
      return &t;
    }
    case Isa::Amx: {
      static const KernelTable t = arch::amx_table(*built_table(Isa::Avx512));
      return &t;
    }
  }
  return nullptr;
}

bool available(Isa isa) noexcept { return cpu_supports(isa) && built_table(isa) != nullptr; }

// The level SLM_ISA asks for; unset or unrecognised means no cap.
Isa requested_cap() noexcept {
  const char* env = std::getenv("SLM_ISA");
  if (env == nullptr) return Isa::Amx;
  const std::string_view v(env);
  if (v == "scalar") return Isa::Scalar;
  if (v == "avx2") return Isa::Avx2;
  if (v == "avx512") return Isa::Avx512;
  return Isa::Amx;
}

Isa choose(Isa cap) noexcept {
  for (int i = static_cast<int>(cap); i > 0; --i)
    if (available(static_cast<Isa>(i))) return static_cast<Isa>(i);
  return Isa::Scalar;
}

#if defined(__x86_64__) || defined(__i386__)
bool amd_like_vendor() noexcept {
  unsigned a = 0, v[3] = {};
  __cpuid(0, a, v[0], v[2], v[1]);  // vendor string in EBX, EDX, ECX order
  const std::string_view vendor(reinterpret_cast<const char*>(v), sizeof v);
  return vendor == "AuthenticAMD" || vendor == "HygonGenuine";
}
#else
bool amd_like_vendor() noexcept { return false; }
#endif

}  // namespace

bool stream_prefetch() noexcept {
  static const bool on = [] {
    const char* env = std::getenv("SLM_PREFETCH");
    if (env != nullptr && (std::string_view(env) == "0" || std::string_view(env) == "1")) return env[0] == '1';
    return !amd_like_vendor();
  }();
  return on;
}

Isa best_isa() noexcept { return choose(Isa::Amx); }

std::vector<Isa> available_isas() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512, Isa::Amx})
    if (available(isa)) out.push_back(isa);
  return out;
}

const KernelTable& kernels_for(Isa isa) {
  if (!available(isa))
    throw Error(Error::Kind::Unsupported, std::string("kernel level ") + isa_name(isa) + " is not available on this CPU/build");
  return *built_table(isa);
}

const KernelTable& kernels() {
  // Chosen once; the table never changes afterwards.
  static const KernelTable& active = *built_table(choose(requested_cap()));
  return active;
}

}  // namespace slm::kernels
