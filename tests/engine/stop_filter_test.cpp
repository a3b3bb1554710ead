// StopFilter (src/api/stop_filter.hpp): streamed text with stop strings. The reference is the
// definition applied to the whole text at once: the output is everything before the earliest
// occurrence of any stop string, whatever the split of the text into pieces.
#include "api/stop_filter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using slm::detail::StopFilter;

std::string reference(const std::string& text, const std::vector<std::string>& stops, bool& stopped) {
  std::size_t first = std::string::npos;
  for (const auto& s : stops)
    if (!s.empty()) first = std::min(first, text.find(s));
  stopped = first != std::string::npos;
  return stopped ? text.substr(0, first) : text;
}

// Feeds `text` in pieces cut at `cuts`; checks that no emitted prefix ever runs past the reference.
std::string stream(const std::string& text, const std::vector<std::string>& stops, const std::vector<std::size_t>& cuts,
                   bool& stopped) {
  StopFilter f(stops);
  bool ref_stopped = false;
  const std::string ref = reference(text, stops, ref_stopped);
  std::string out;
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    out += f.push(std::string_view(text).substr(at, cut - at));
    EXPECT_EQ(ref.compare(0, out.size(), out), 0) << "emitted text that is not in the reference: " << out;
    EXPECT_LE(out.size(), ref.size());
    at = cut;
  }
  out += f.push(std::string_view(text).substr(at));
  stopped = f.stopped();
  out += f.flush();
  return out;
}

TEST(StopFilter, HoldsBackPossiblePrefixesAndCutsAtTheStop) {
  StopFilter f({"<end>"});
  EXPECT_EQ(f.push("Hello <e"), "Hello ");  // "<e" may start "<end>"
  EXPECT_EQ(f.push("n"), "");
  EXPECT_EQ(f.push("d> more"), "");
  EXPECT_TRUE(f.stopped());
  EXPECT_EQ(f.push("ignored"), "");
  EXPECT_EQ(f.flush(), "");
}

TEST(StopFilter, ReleasesAFalseStartAndTheTailAtTheEnd) {
  StopFilter f({"<end>"});
  EXPECT_EQ(f.push("a <en"), "a ");
  EXPECT_EQ(f.push("x b <"), "<enx b ");
  EXPECT_FALSE(f.stopped());
  EXPECT_EQ(f.flush(), "<");
}

TEST(StopFilter, OverlappingPrefixesAndEarliestStopWins) {
  bool stopped = false;
  EXPECT_EQ(stream("xaaab", {"aab"}, {1, 2, 3, 4}, stopped), "xa");
  EXPECT_TRUE(stopped);
  EXPECT_EQ(stream("one\n\nQuestion: two", {"Question:", "\n\n"}, {2, 4, 6}, stopped), "one");
  EXPECT_EQ(stream("no stop here", {"STOP", ""}, {3}, stopped), "no stop here");
  EXPECT_FALSE(stopped);
  EXPECT_EQ(stream("abc", {}, {1, 2}, stopped), "abc");
}

TEST(StopFilter, AnySplitGivesTheWholeTextAnswer) {
  // Texts over a small alphabet so stop strings and their prefixes occur often.
  const std::vector<std::vector<std::string>> stop_sets = {{"ab"}, {"aba", "bb"}, {"abcab"}, {"c", "aaaa"}, {"bca"}};
  std::uint32_t s = 12345;
  auto next = [&] { return (s = s * 1103515245u + 12345u) >> 16; };
  for (int iter = 0; iter < 3000; ++iter) {
    std::string text;
    const std::size_t len = next() % 14;
    for (std::size_t i = 0; i < len; ++i) text += "abc"[next() % 3];
    const auto& stops = stop_sets[next() % stop_sets.size()];
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < text.size(); ++i)
      if (next() % 2) cuts.push_back(i);
    bool ref_stopped = false, stopped = false;
    const std::string ref = reference(text, stops, ref_stopped);
    EXPECT_EQ(stream(text, stops, cuts, stopped), ref) << "text '" << text << "'";
    EXPECT_EQ(stopped, ref_stopped) << "text '" << text << "'";
  }
}

}  // namespace
