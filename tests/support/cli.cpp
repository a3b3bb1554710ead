#include "support/cli.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace slm::test {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::string slm_program() { return std::string(SLM_BINARY_DIR) + "/tools/slm"; }

CliResult run_slm(const std::string& args, const std::string& input) {
  // One name per process: ctest runs several test programs at once.
  const fs::path base = fs::temp_directory_path() / ("slm_cli_" + std::to_string(::getpid()));
  const fs::path in = base.string() + ".in", out = base.string() + ".out", err = base.string() + ".err";
  std::ofstream(in, std::ios::binary) << input;
  // A group, so that ARGS may pipe slm's output into another program ("... | python3 -c ...").
  const std::string cmd = "{ '" + slm_program() + "' " + args + "\n} <'" + in.string() + "' >'" + out.string() +
                          "' 2>'" + err.string() + "'";
  const int raw = std::system(cmd.c_str());
  CliResult r{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(out), slurp(err)};
  for (const auto& p : {in, out, err}) fs::remove(p);
  return r;
}

}  // namespace slm::test
