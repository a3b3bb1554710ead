#include "slm/error.hpp"

namespace slm {
namespace {

// "FILE: at offset N: tensor 'x': reason" — one line, most specific context first.
std::string compose(const std::string& message, const std::string& file, const std::string& where,
                    std::uint64_t offset) {
  // Built with append() rather than operator+: GCC 12 reports a false -Wrestrict on the latter.
  std::string s;
  if (!file.empty()) s.append(file).append(": ");
  if (offset != Error::kNoOffset) s.append("at offset ").append(std::to_string(offset)).append(": ");
  if (!where.empty()) s.append("'").append(where).append("': ");
  return s.append(message);
}

}  // namespace

Error::Error(Kind kind, std::string message, std::string file, std::string where, std::uint64_t offset)
    : std::runtime_error(compose(message, file, where, offset)),
      kind_(kind), message_(std::move(message)), file_(std::move(file)), where_(std::move(where)),
      offset_(offset) {}

const char* to_string(Error::Kind kind) noexcept {
  switch (kind) {
    case Error::Kind::Io: return "io";
    case Error::Kind::Format: return "format";
    case Error::Kind::Unsupported: return "unsupported";
    case Error::Kind::Shape: return "shape";
    case Error::Kind::Argument: return "argument";
    case Error::Kind::ContextFull: return "context-full";
    case Error::Kind::Resource: return "resource";
    case Error::Kind::Cancelled: return "cancelled";
  }
  return "unknown";
}

}  // namespace slm
