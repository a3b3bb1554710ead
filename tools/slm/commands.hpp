#pragma once
// The slm program's subcommands: one file each, named for the subcommand.
// Each takes the arguments after the subcommand name and returns the exit code;
// slm::Error escaping a command is printed by main() as one line, exit status 1.

#include <string>
#include <vector>

namespace slm::cli {

using Args = std::vector<std::string>;

int cmd_inspect(const Args& args);
int cmd_run(const Args& args);
int cmd_make_model(const Args& args);
int cmd_quantize(const Args& args);
int cmd_compare(const Args& args);
int cmd_bench(const Args& args);
int cmd_perplexity(const Args& args);
int cmd_trace(const Args& args);

}  // namespace slm::cli
