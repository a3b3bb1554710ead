// The `slm compare --format html` report opened in headless Chromium: it must render (the DOM
// after loading holds the SVG charts and tables), log no console errors, and need nothing from
// outside the file (no scripts, no external references). Chromium is installed by scripts/setup;
// set SLM_NO_BROWSER=1 to skip where no browser can run.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

const std::string kSlm = std::string(SLM_BINARY_DIR) + "/tools/slm";
const fs::path kGolden = fs::path(SLM_TEST_DATA_DIR) / "golden" / "models";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int sh(const std::string& cmd) {
  const int raw = std::system(cmd.c_str());
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

std::string chromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"})
    if (sh(std::string("command -v ") + name + " >/dev/null 2>&1") == 0) return name;
  return {};
}

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

class HtmlReport : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* skip = std::getenv("SLM_NO_BROWSER");
    if (skip && std::string(skip) == "1") GTEST_SKIP() << "SLM_NO_BROWSER=1";
    ASSERT_TRUE(fs::exists(kSlm)) << kSlm << " not built (build target slm_cli)";
    browser_ = chromium();
    ASSERT_FALSE(browser_.empty()) << "no chromium: scripts/setup installs it (or set SLM_NO_BROWSER=1)";
    dir_ = fs::temp_directory_path() / ("slm_html_report_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string browser_;
  fs::path dir_;
};

TEST_F(HtmlReport, RendersInHeadlessChromiumWithChartsTablesAndNoErrors) {
  const fs::path html = dir_ / "report.html";
  const std::string a = (kGolden / "tiny-llama-Q4_K_M.gguf").string(), b = (kGolden / "tiny-gemma3-Q4_K_M.gguf").string();
  ASSERT_EQ(sh("'" + kSlm + "' compare '" + a + "' '" + b + "' -n 4 -t 1 --bandwidth 10 -p 'Hello' "
               "--ppl-file /usr/share/common-licenses/GPL-3 --ppl-ctx 64 --ppl-chunks 1 -q --format html -o '" +
               html.string() + "'"),
            0);
  const std::string source = slurp(html);

  // Self-contained: no scripts, nothing loaded from elsewhere (the only URL is the SVG namespace).
  EXPECT_EQ(source.find("<script"), std::string::npos);
  EXPECT_EQ(count(source, "http"), count(source, "xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_EQ(source.find(" src="), std::string::npos);
  EXPECT_EQ(source.find(" href="), std::string::npos);

  const std::string flags = " --headless --disable-gpu --no-sandbox --user-data-dir='" + (dir_ / "profile").string() +
                            "' --enable-logging=stderr --v=0 ";
  const fs::path dom = dir_ / "dom.html", log = dir_ / "log.txt", png = dir_ / "shot.png";
  ASSERT_EQ(sh(browser_ + flags + "--dump-dom 'file://" + html.string() + "' >'" + dom.string() + "' 2>'" +
               log.string() + "'"),
            0)
      << slurp(log);
  const std::string d = slurp(dom), l = slurp(log);
  // The parsed document: three charts with their marks, the tables, a row per model.
  for (const char* id : {"chart-speed", "chart-ppl", "chart-kv"})
    EXPECT_NE(d.find(std::string("<svg id=\"") + id + "\""), std::string::npos) << id << "\n" << d.substr(0, 2000);
  EXPECT_EQ(count(d, "<circle"), 4);  // 2 models x (speed, perplexity)
  EXPECT_EQ(count(d, "<rect x="), 2 * 2 + 2);  // F32/F16 bars per model + 2 legend swatches
  EXPECT_NE(d.find("<table id=\"measurements\">"), std::string::npos);
  EXPECT_NE(d.find("<table id=\"cards\">"), std::string::npos);
  EXPECT_NE(d.find("tiny-gemma3-Q4_K_M.gguf"), std::string::npos);
  EXPECT_NE(d.find("</html>"), std::string::npos);
  EXPECT_EQ(l.find("Uncaught"), std::string::npos) << l;
  EXPECT_EQ(l.find("ERROR:CONSOLE"), std::string::npos) << l;
  EXPECT_EQ(l.find(":CONSOLE"), std::string::npos) << l;  // any console message (INFO:CONSOLE:1] ...)

  ASSERT_EQ(sh(browser_ + flags + "--hide-scrollbars --window-size=1200,900 --screenshot='" + png.string() +
               "' 'file://" + html.string() + "' >/dev/null 2>&1"),
            0);
  const std::string shot = slurp(png);
  ASSERT_GT(shot.size(), 1000u);
  EXPECT_EQ(shot.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
}

}  // namespace
