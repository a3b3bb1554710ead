// SLM_VERSION (include/slm/slm.hpp) must stay equal to the version CMake installs the package
// under (project(slm VERSION ...) in the top-level CMakeLists.txt, slmConfigVersion.cmake).
#include "slm/slm.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

TEST(Version, MacroMatchesTheCMakeProjectVersion) {
  std::ifstream in(std::string(SLM_SOURCE_DIR) + "/CMakeLists.txt");
  ASSERT_TRUE(in) << "cannot read the top-level CMakeLists.txt";
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(s, m, std::regex(R"(project\(slm\s+VERSION\s+([0-9]+)\.([0-9]+)\.([0-9]+))")));
  EXPECT_EQ(std::string(SLM_VERSION), m[1].str() + "." + m[2].str() + "." + m[3].str());
  EXPECT_EQ(SLM_VERSION_MAJOR, std::stoi(m[1].str()));
  EXPECT_EQ(SLM_VERSION_MINOR, std::stoi(m[2].str()));
  EXPECT_EQ(SLM_VERSION_PATCH, std::stoi(m[3].str()));
}
