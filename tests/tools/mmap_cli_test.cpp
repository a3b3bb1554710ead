// `slm run` when its model file shrinks on disk while the program runs (docs/robustness.md):
// with the file mapped, the program must say so in one line and exit non-zero instead of dying
// silently: an Io error (exit 1) when the token embedding, read from the file, is gone; the
// SIGBUS handler's line (exit 3) when a weight read in place through the mapping is. With
// --no-mmap it does not notice at all. Deterministic: the program runs in chat mode, the file is
// truncated while it waits for its first line of input (after loading), then the line is sent.
#include <gtest/gtest.h>

#include "gguf/reader.hpp"

#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

namespace fs = std::filesystem;

struct Result {
  int exit_code = -1;  // -1: killed by a signal
  int signal = 0;
  std::string out, err;
};

// Reads from fd until `marker` has appeared in `text` or the stream ends.
void read_until(int fd, std::string& text, const std::string& marker) {
  char buf[4096];
  while (text.find(marker) == std::string::npos) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return;
    text.append(buf, std::size_t(n));
  }
}

const fs::path kTiny = fs::path(SLM_TEST_DATA_DIR) / "golden" / "models" / "tiny-llama-Q4_K_M.gguf";

// Starts `slm run --chat` on a copy of the tiny model, truncates the copy to `keep` bytes once
// the program reports it is ready, then sends one user line.
Result run_and_truncate(bool no_mmap, std::uintmax_t keep = 0) {
  const fs::path model = fs::temp_directory_path() / ("slm-mmap-cli-" + std::to_string(::getpid()) + ".gguf");
  fs::copy_file(kTiny, model, fs::copy_options::overwrite_existing);
  const std::string binary = std::string(SLM_BINARY_DIR) + "/tools/slm";
  std::vector<std::string> args = {binary, "run", "-m", model.string(), "--chat", "--chat-template", "chatml",
                                   "--temp", "0", "-n", "8", "-t", "1", "-c", "64"};
  if (no_mmap) args.push_back("--no-mmap");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int in[2], out[2], err[2];
  EXPECT_EQ(::pipe(in), 0);
  EXPECT_EQ(::pipe(out), 0);
  EXPECT_EQ(::pipe(err), 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) posix_spawn_file_actions_addclose(&fa, fd);
  pid_t pid = 0;
  Result r;
  const int rc = ::posix_spawn(&pid, binary.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ADD_FAILURE() << "cannot start " << binary;
    return r;
  }
  // The header line is printed after the model is loaded and the session allocated.
  read_until(err[0], r.err, "slm run:");
  read_until(err[0], r.err, "\n");
  fs::resize_file(model, keep);
  const std::string line = "Hello there\n";
  EXPECT_EQ(::write(in[1], line.data(), line.size()), ssize_t(line.size()));
  ::close(in[1]);
  // Drain both pipes until the program exits (poll, so neither pipe can fill up and block it).
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[4096];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? r.out : r.err).append(buf, std::size_t(n));
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  fs::remove(model);
  return r;
}

TEST(MmapCli, TruncatedMappedFileGivesAClearMessageAndExitCode) {
  const Result r = run_and_truncate(false);
  EXPECT_EQ(r.signal, 0) << "killed by signal " << r.signal << "; stderr: " << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("file shrank after it was mapped"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--no-mmap"), std::string::npos) << r.err;
}

// Cut after the token embedding (which this file stores before the blocks' weights): the
// embedding row is read, the first block's weights are not there.
TEST(MmapCli, WeightsLostFromAMappedFileGiveTheSigbusLine) {
  const auto f = slm::gguf::File::open(kTiny);
  const slm::gguf::TensorInfo* embd = f.find_tensor("token_embd.weight");
  ASSERT_NE(embd, nullptr);
  const std::uintmax_t keep = f.data_offset() + embd->offset + embd->n_bytes;
  for (const auto& t : f.tensors()) {
    if (t.name.rfind("blk.0.", 0) == 0) {
      ASSERT_GE(f.data_offset() + t.offset, keep) << t.name;
    }
  }
  const Result r = run_and_truncate(false, keep);
  EXPECT_EQ(r.signal, 0) << "killed by signal " << r.signal << "; stderr: " << r.err;
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("changed on disk while in use (SIGBUS): use --no-mmap"), std::string::npos) << r.err;
}

TEST(MmapCli, NoMmapKeepsWorkingAfterTheFileIsTruncated) {
  const Result r = run_and_truncate(true);
  EXPECT_EQ(r.signal, 0) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("SIGBUS"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tokens/s]"), std::string::npos) << "no answer was generated; stderr: " << r.err;
}

}  // namespace
