#pragma once
// How much memory the process may still use, for refusing oversized loads and sessions up front
// (with a clear slm::Error(Resource)) instead of failing in the middle of an allocation or
// being killed by the OOM killer.

#include <cstdint>
#include <istream>
#include <string>

namespace slm::util {

// MemAvailable + SwapFree from /proc/meminfo, in bytes; 0 when unknown (not Linux, unreadable).
std::uint64_t available_memory_bytes() noexcept;

// Throws slm::Error(Resource) when `need` bytes exceed the limit: `cap` if non-zero, else the
// available memory (no check when that is unknown). `what` names the allocation, `cap_name`
// the option that sets the cap (both appear in the message); `file` goes into the error.
void check_memory(std::uint64_t need, std::uint64_t cap, const std::string& what, const std::string& cap_name,
                  const std::string& file);

// How a file's mappings in this process are resident: bytes mapped in and, of those, bytes mapped
// through 2 MiB page-table entries (FilePmdMapped). A mapped model streams at 10-20% less speed
// through 4 KiB pages; which one it gets depends on the folios the page cache holds the file in
// (docs/performance.md).
struct MappedResidency {
  std::uint64_t resident = 0;
  std::uint64_t huge = 0;
};

// From /proc/self/smaps, summing the mappings whose path is `path` (as the kernel prints it: an
// absolute path without symlinks); {0, 0} when none or unreadable.
MappedResidency mapped_residency(const std::string& path) noexcept;
// The same over an smaps text (tests).
MappedResidency mapped_residency(std::istream& smaps, const std::string& path);

}  // namespace slm::util
