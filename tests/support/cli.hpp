#pragma once
// Runs the slm program of this build (<build>/tools/slm) the way a user's shell would, for the
// end-to-end tests in tests/tools/.

#include <string>

namespace slm::test {

struct CliResult {
  int status = -1;  // exit status; -1 when killed by a signal
  std::string out, err;
};

// Path of the slm program this test build runs.
std::string slm_program();

// `slm ARGS` through /bin/sh (ARGS is shell text: quote paths yourself; it may end in a pipe into
// another program), with `input` on stdin; stdout and stderr of the whole command are captured
// through per-process temporary files.
CliResult run_slm(const std::string& args, const std::string& input = "");

}  // namespace slm::test
