#pragma once
// Ctrl-C for the commands that run long and can stop early with a useful result (run,
// perplexity): the first SIGINT sets a flag the library polls (GenerateOptions::cancel,
// PerplexityOptions::cancel); a second one, before the flag was taken up, ends the program.

#include <atomic>

namespace slm::cli {

// Installs the handler, without SA_RESTART so that a blocking read (a chat's wait for input)
// fails too. A SIGINT ignored on entry (a background job of a script) stays ignored.
void catch_sigint();

// The flag the first Ctrl-C sets; clear it (store false) to wait for the next one.
std::atomic<bool>& interrupted() noexcept;

// How the commands name a stop by Ctrl-C in what they print.
inline constexpr const char* kInterrupted = "interrupted (Ctrl-C)";

}  // namespace slm::cli
