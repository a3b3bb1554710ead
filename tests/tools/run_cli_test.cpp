// `slm run` end to end: runs the built program and checks what it prints.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slm/generate.hpp"
#include "slm/model.hpp"
#include "slm/session.hpp"
#include "slm/tokenizer.hpp"
#include "support/cli.hpp"
#include "support/json.hpp"

namespace {

namespace fs = std::filesystem;

using Result = slm::test::CliResult;

// `slm run ARGS` with `input` on stdin.
Result run(const std::string& args, const std::string& input = "") { return slm::test::run_slm("run " + args, input); }

std::string tiny(const char* name) { return std::string(SLM_TEST_DATA_DIR) + "/golden/models/" + name + "-Q4_K_M.gguf"; }

TEST(RunCli, RawCompletionPrintsPromptThenTheGreedyContinuation) {
  const std::string model_path = tiny("tiny-llama");
  const std::string prompt = "The quick brown fox";
  const Result r = run("-m " + model_path + " --raw -p '" + prompt + "' --temp 0 -n 8 -t 1");
  ASSERT_EQ(r.status, 0) << r.err;

  // The library, driven directly, is the reference for what the program should print.
  const slm::Model model = slm::Model::load(model_path);
  slm::Session session(model, {.threads = 1});
  slm::GenerateOptions o;
  o.max_tokens = 8;
  o.sampler.temperature = 0.0f;
  const auto stats = slm::generate(session, model.tokenizer(), model.tokenizer().encode(prompt, true, true), o, nullptr);
  EXPECT_EQ(r.out, prompt + stats.text + "\n");
  EXPECT_NE(r.err.find("prompt:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tokens/s"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("words/s"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("raw completion"), std::string::npos) << r.err;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Ctrl-C (SIGINT) during a generation stops it: the timings are printed with the reason, the exit
// status is 130. The program is started with fork/exec, not through the shell, whose background
// jobs start with SIGINT ignored (and slm leaves an ignored SIGINT alone).
TEST(RunCli, CtrlCStopsTheGenerationAndPrintsItsTimings) {
  const std::string model_path = std::string(SLM_MODELS_DIR) + "/SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!fs::exists(model_path)) GTEST_SKIP() << "real model absent";
  const fs::path base = fs::temp_directory_path() / ("slm_sigint_" + std::to_string(::getpid()));
  const std::string out = base.string() + ".out", err = base.string() + ".err";
  const std::string prompt = "Once upon a time";
  const std::string program = slm::test::slm_program();
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), 1);
    ::dup2(::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), 2);
    ::signal(SIGINT, SIG_DFL);
    // At most 8192 tokens (the model's context): long enough that the signal comes first.
    ::execl(program.c_str(), program.c_str(), "run", "-m", model_path.c_str(), "--raw", "-p", prompt.c_str(),
            "--ignore-eos", "-n", "-1", "-c", "8192", "-t", "1", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Interrupt once generated text follows the echoed prompt.
  for (int i = 0; i < 6000 && slurp(out).size() <= prompt.size() + 8; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ::kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  const std::string text = slurp(out), log = slurp(err);
  fs::remove(out);
  fs::remove(err);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status) << "\n" << log;
  EXPECT_EQ(WEXITSTATUS(status), 130) << log;
  EXPECT_NE(log.find("stopped: interrupted (Ctrl-C)"), std::string::npos) << log;
  EXPECT_NE(log.find("generation: "), std::string::npos) << log;
  EXPECT_EQ(text.rfind(prompt, 0), 0u) << text;
  EXPECT_GT(text.size(), prompt.size() + 8);
}

TEST(RunCli, BadArgumentsAreOneLineErrors) {
  Result r = run("-m " + tiny("tiny-llama") + " -p x --temp nope");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("--temp"), std::string::npos) << r.err;
  r = run("-m " + tiny("tiny-llama") + " -p x --chat-template jinja");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("unknown chat template"), std::string::npos) << r.err;
  r = run("-m /nonexistent/model.gguf -p x");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("/nonexistent/model.gguf"), std::string::npos) << r.err;
  r = run("-m " + tiny("tiny-llama") + " --chat");  // no chat template and none forced
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("chat template"), std::string::npos) << r.err;
}

// The answer llama.cpp gives greedily (tests/data/real/SmolLM2-135M-Instruct.Q4_1/d_chat/case.json,
// text up to its end-of-turn token) must come out of `slm run -p` with the declared ChatML template,
// and of `slm run --chat` as the first turn.
TEST(RunCli, InstructionModelAnswersLikeLlamaCpp) {
  const std::string model_path = std::string(SLM_MODELS_DIR) + "/SmolLM2-135M-Instruct.Q4_1.gguf";
  const std::string case_path = std::string(SLM_TEST_DATA_DIR) + "/real/SmolLM2-135M-Instruct.Q4_1/d_chat/case.json";
  if (!fs::exists(model_path) || !fs::exists(case_path)) GTEST_SKIP() << "real model absent";
  const std::string greedy_text = slm::test::Json::parse_file(case_path)["greedy_text"].as_string();
  const std::string answer = greedy_text.substr(0, greedy_text.find("<|im_end|>"));
  ASSERT_EQ(answer, "The capital of France is Paris.");  // what the reference says, for the reader

  const std::string q = "What is the capital of France? Answer in one sentence.";
  Result r = run("-m " + model_path + " -p '" + q + "' --temp 0 -n 32");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, answer + "\n");
  EXPECT_NE(r.err.find("end-of-generation"), std::string::npos) << r.err;

  r = run("-m " + model_path + " --chat --temp 0 -n 32", q + "\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("> " + q + "\n" + answer + "\n> "), std::string::npos) << r.out;
}

}  // namespace
