#pragma once
// How much memory the process may still use, for refusing oversized loads and sessions up front
// (with a clear slm::Error(Resource)) instead of failing in the middle of an allocation or
// being killed by the OOM killer.

#include <cstdint>
#include <string>

namespace slm::util {

// MemAvailable + SwapFree from /proc/meminfo, in bytes; 0 when unknown (not Linux, unreadable).
std::uint64_t available_memory_bytes() noexcept;

// Throws slm::Error(Resource) when `need` bytes exceed the limit: `cap` if non-zero, else the
// available memory (no check when that is unknown). `what` names the allocation, `cap_name`
// the option that sets the cap (both appear in the message); `file` goes into the error.
void check_memory(std::uint64_t need, std::uint64_t cap, const std::string& what, const std::string& cap_name,
                  const std::string& file);

}  // namespace slm::util
