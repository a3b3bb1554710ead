#pragma once
// StopFilter: passes streamed text through, holding back any tail that could be the beginning of
// a stop string, and reports when a stop string is complete (the text before it is released,
// the stop string and anything after it are dropped).
#include <string>
#include <string_view>
#include <vector>

namespace slm::detail {

class StopFilter {
 public:
  explicit StopFilter(std::vector<std::string> stops);

  // Adds text; returns what can safely be shown now. After a stop string is found, stopped()
  // is true and further pushes return nothing.
  std::string push(std::string_view text);
  // Releases the held-back tail (at the end of generation).
  std::string flush();
  bool stopped() const noexcept { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

}  // namespace slm::detail
