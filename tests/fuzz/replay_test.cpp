// Replays the fuzz targets on the committed seed corpus (tests/fuzz/corpus/<target>/) and on
// every input that once crashed a target (tests/fuzz/regressions/<target>/), in the normal
// test suite and without libFuzzer. Each regression file is named for the bug it found
// (docs/robustness.md lists them); the entry functions throw or crash if the bug returns.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "fuzz_targets.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> inputs(const std::string& kind, const std::string& target) {
  std::vector<fs::path> files;
  const fs::path dir = fs::path(SLM_SOURCE_DIR) / "tests" / "fuzz" / kind / target;
  if (fs::is_directory(dir))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class FuzzReplay : public ::testing::TestWithParam<slm::fuzz::Target> {};

TEST_P(FuzzReplay, CorpusAndRegressions) {
  const auto& target = GetParam();
  const auto corpus = inputs("corpus", target.name);
  EXPECT_FALSE(corpus.empty()) << "no seed corpus for " << target.name;
  for (const std::string kind : {"corpus", "regressions"}) {
    for (const fs::path& p : inputs(kind, target.name)) {
      const std::vector<std::uint8_t> bytes = read_bytes(p);
      EXPECT_NO_THROW(target.entry(bytes.data(), bytes.size())) << p;
    }
  }
}

// The targets must not just refuse everything: the valid seeds reach the code behind the
// parsers. (Checked through the public behaviour the targets rely on.)
TEST(FuzzReplay, TokenizersLoad) { EXPECT_EQ(slm::fuzz::tokenizers().size(), 8u); }

INSTANTIATE_TEST_SUITE_P(Targets, FuzzReplay, ::testing::ValuesIn(slm::fuzz::kTargets),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
