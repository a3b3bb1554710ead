// SLM_VERSION (include/slm/slm.hpp) must stay equal to the version CMake installs the package
// under (project(slm VERSION ...) in the top-level CMakeLists.txt, slmConfigVersion.cmake).
#include "slm/slm.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

TEST(Version, MacroMatchesTheCMakeProjectVersion) {
  std::ifstream in(std::string(SLM_SOURCE_DIR) + "/CMakeLists.txt");
  ASSERT_TRUE(in) << "cannot read the top-level CMakeLists.txt";
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  // "project(slm VERSION X.Y.Z": parsed by hand (std::regex draws GCC 12 -Wmaybe-uninitialized
  // false positives in the sanitizer build).
  const std::size_t at = s.find("project(slm");
  ASSERT_NE(at, std::string::npos) << "no project(slm ...) in CMakeLists.txt";
  const std::size_t v = s.find("VERSION", at);
  ASSERT_NE(v, std::string::npos);
  std::istringstream version(s.substr(v + 7));
  int major = -1, minor = -1, patch = -1;
  char dot1 = 0, dot2 = 0;
  version >> major >> dot1 >> minor >> dot2 >> patch;
  ASSERT_TRUE(version && dot1 == '.' && dot2 == '.') << "unparsed: " << s.substr(v, 40);
  EXPECT_EQ(std::string(SLM_VERSION), std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch));
  EXPECT_EQ(SLM_VERSION_MAJOR, major);
  EXPECT_EQ(SLM_VERSION_MINOR, minor);
  EXPECT_EQ(SLM_VERSION_PATCH, patch);
}
