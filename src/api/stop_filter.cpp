#include "api/stop_filter.hpp"

#include <algorithm>

namespace slm::detail {

StopFilter::StopFilter(std::vector<std::string> stops) {
  for (auto& s : stops)
    if (!s.empty()) stops_.push_back(std::move(s));  // "" would match everywhere
}

std::string StopFilter::push(std::string_view text) {
  if (stopped_) return {};
  held_.append(text);
  // Earliest complete stop string wins. Everything before held_ was checked already: a match
  // that started there would have been held back, so it lies within held_.
  std::size_t first = std::string::npos;
  for (const auto& s : stops_) first = std::min(first, held_.find(s));
  if (first != std::string::npos) {
    stopped_ = true;
    std::string out = held_.substr(0, first);
    held_.clear();
    return out;
  }
  // Keep the longest tail that is a proper prefix of some stop string.
  std::size_t keep = 0;
  for (const auto& s : stops_) {
    const std::size_t max_len = std::min(s.size() - 1, held_.size());
    for (std::size_t len = max_len; len > keep; --len) {
      if (held_.compare(held_.size() - len, len, s, 0, len) == 0) {
        keep = len;
        break;
      }
    }
  }
  std::string out = held_.substr(0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  return out;
}

std::string StopFilter::flush() {
  std::string out;
  if (!stopped_) out.swap(held_);
  held_.clear();
  return out;
}

}  // namespace slm::detail
