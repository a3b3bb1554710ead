// The `slm inspect` program end to end: damaged files give exit status 1 and exactly one
// line on stderr naming the file and the offset; a valid tiny model gives its architecture,
// tensor count and totals, as text and as JSON that Python's json module accepts.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "gguf/reader.hpp"
#include "gguf/writer.hpp"
#include "support/cli.hpp"

namespace fs = std::filesystem;
using namespace slm::gguf;

namespace {

const std::string kSlm = SLM_BINARY_DIR "/tools/slm";
const std::string kTinyLlama = SLM_TEST_DATA_DIR "/golden/models/tiny-llama-Q4_K_M.gguf";

slm::test::CliResult run(const std::string& args) { return slm::test::run_slm(args); }

class InspectCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kSlm)) GTEST_SKIP() << kSlm << " not built (build target slm_cli)";
  }
  fs::path write_temp(const std::string& name, const std::vector<std::uint8_t>& bytes) {
    const fs::path p = fs::temp_directory_path() / ("slm_cli_" + std::to_string(::getpid()) + "_" + name + ".gguf");
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    files_.push_back(p);
    return p;
  }
  void TearDown() override {
    for (const auto& p : files_) fs::remove(p);
  }
  std::vector<fs::path> files_;
};

struct Sample {
  Layout layout;
  std::vector<std::uint8_t> bytes;
};

Sample sample() {
  Writer w;
  w.add("general.architecture", Value::string("llama"));
  w.add("llama.block_count", Value::u32(1));
  const std::int64_t shape[] = {32, 2};
  w.add_tensor("token_embd.weight", slm::kernels::DType::F32, shape, std::vector<std::uint8_t>(256, 0));
  return {w.layout(), w.to_bytes()};
}

template <class T>
void poke(std::vector<std::uint8_t>& b, std::uint64_t at, T v) {
  std::memcpy(b.data() + at, &v, sizeof v);
}

TEST_F(InspectCli, DamagedFilesGiveOneErrorLineWithFileAndOffset) {
  struct Case {
    std::string name;
    std::vector<std::uint8_t> bytes;
    std::string reason;
  };
  std::vector<Case> cases;
  {
    auto s = sample();
    poke(s.bytes, 4, std::uint32_t{1});
    cases.push_back({"version1", s.bytes, "at offset 4: GGUF version 1 is not supported"});
  }
  {
    auto s = sample();
    s.bytes.resize(s.layout.kvs[1].value + 2);
    cases.push_back({"truncated", s.bytes, "unexpected end of file"});
  }
  {
    auto s = sample();
    poke(s.bytes, s.layout.tensor_infos[0].offset, std::uint64_t{1} << 30);
    cases.push_back(
        {"offset", s.bytes,
         "at offset " + std::to_string(s.layout.tensor_infos[0].offset) + ": 'token_embd.weight': tensor data"});
  }
  {
    auto s = sample();
    poke(s.bytes, s.layout.tensor_infos[0].dims, std::int64_t{0});
    cases.push_back({"zerodim", s.bytes, "dimension 0 is zero"});
  }
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path p = write_temp(c.name, c.bytes);
    for (const char* flags : {"", " --json"}) {
      const slm::test::CliResult r = run("inspect '" + p.string() + "'" + flags);
      EXPECT_EQ(r.status, 1);
      EXPECT_EQ(r.out, "");
      ASSERT_FALSE(r.err.empty());
      EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line:\n" << r.err;
      EXPECT_EQ(r.err.rfind("slm inspect: error: " + p.string() + ": at offset ", 0), 0u) << r.err;
      EXPECT_NE(r.err.find(c.reason), std::string::npos) << r.err;
    }
  }
}

TEST_F(InspectCli, MissingFileAndBadArguments) {
  slm::test::CliResult r = run("inspect /nonexistent/model.gguf");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "slm inspect: error: /nonexistent/model.gguf: cannot open: No such file or directory\n");
  r = run("inspect");
  EXPECT_NE(r.status, 0);
  r = run("inspect --bogus x.gguf");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--bogus"), std::string::npos);
}

TEST_F(InspectCli, TinyModelText) {
  const slm::test::CliResult r = run("inspect '" + kTinyLlama + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const File f = File::open(kTinyLlama);
  EXPECT_NE(r.out.find("version:     3\n"), std::string::npos);
  EXPECT_NE(r.out.find("general.architecture"), std::string::npos);
  EXPECT_NE(r.out.find("\"llama\""), std::string::npos);
  EXPECT_NE(r.out.find("\ntensors: " + std::to_string(f.tensors().size()) + " "), std::string::npos) << r.out;
  EXPECT_EQ(f.tensors().size(), 39u);
  // Every tensor has a row; long arrays are abbreviated.
  for (const auto& t : f.tensors()) EXPECT_NE(r.out.find("  " + t.name + " "), std::string::npos) << t.name;
  EXPECT_NE(r.out.find("string[32000]"), std::string::npos);
  EXPECT_NE(r.out.find("... +31992 more]"), std::string::npos);
  EXPECT_NE(r.out.find("total params: "), std::string::npos);
}

TEST_F(InspectCli, TinyModelJsonIsValidAndMatchesTheFile) {
  const char* py = std::getenv("SLM_PYTHON");
  const std::string python = py && *py ? py : "python3";
  const File f = File::open(kTinyLlama);
  std::uint64_t params = 0;
  for (const auto& t : f.tensors()) params += static_cast<std::uint64_t>(t.n_elements());
  // Python parses the JSON and prints a few fields; the test compares them with the reader.
  const std::string script =
      "import json,sys; d=json.load(sys.stdin); m={k['key']: k for k in d['metadata']}; "
      "print(m['general.architecture']['value'], d['tensor_count'], len(d['tensors']), d['total_params'], "
      "m['tokenizer.ggml.tokens']['count'], len(m['tokenizer.ggml.tokens']['value']), d['version'])";
  const slm::test::CliResult r = run("inspect --json '" + kTinyLlama + "' | " + python + " -c \"" + script + "\"");
  if (r.status == 127) GTEST_SKIP() << python << " not found";
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "llama 39 39 " + std::to_string(params) + " 32000 8 3\n");
}

TEST_F(InspectCli, ShowsTensorTypesSlmCannotRun) {
  const slm::kernels::DTypeInfo* u = nullptr;  // the first type slm knows but cannot compute with
  for (const auto& t : slm::kernels::kDTypes)
    if (!u && !t.supported) u = &t;
  if (!u) GTEST_SKIP() << "every known type is supported";
  Writer w;
  w.add("general.architecture", Value::string("llama"));
  const std::int64_t shape[] = {u->block_elems, 2};
  w.add_tensor("odd.weight", u->type, shape, std::vector<std::uint8_t>(static_cast<std::size_t>(2 * u->block_bytes)));
  const fs::path p = write_temp("unsupported", w.to_bytes());
  const slm::test::CliResult r = run("inspect '" + p.string() + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("odd.weight"), std::string::npos) << r.out;
  char want[200];
  std::snprintf(want, sizeof want, "  %-5s      1 tensors  %14lld bytes  %14lld params  (not supported by slm)\n",
                std::string(u->name).c_str(), static_cast<long long>(2 * u->block_bytes),
                static_cast<long long>(2 * u->block_elems));
  EXPECT_NE(r.out.find(want), std::string::npos) << r.out << "\nwanted: " << want;
}

TEST_F(InspectCli, JsonEscapesStringsAndNonFiniteNumbers) {
  const char* py = std::getenv("SLM_PYTHON");
  const std::string python = py && *py ? py : "python3";
  Writer w;
  w.add("general.architecture", Value::string("llama"));
  w.add("odd.string", Value::string(std::string("q\"b\\s\nt\t\x01 \xc3\xa9 \xff end")));
  w.add("odd.nan", Value::f32(std::numeric_limits<float>::quiet_NaN()));
  w.add("odd.inf", Value::f64(-std::numeric_limits<double>::infinity()));
  w.add("odd.tenth", Value::f32(0.1f));
  w.add("odd.long", Value::string(std::string(100, 'x')));
  const fs::path p = write_temp("odd", w.to_bytes());
  const std::string script =
      "import json,sys; d=json.load(sys.stdin); m={k['key']: k for k in d['metadata']}; "
      "print(json.dumps([m[k]['value'] for k in ('odd.string','odd.nan','odd.inf','odd.tenth')]), "
      "len(m['odd.long']['value']), m['odd.long']['bytes'], m['odd.long']['truncated'])";
  const slm::test::CliResult r = run("inspect --json '" + p.string() + "' | " + python + " -c \"" + script + "\"");
  if (r.status == 127) GTEST_SKIP() << python << " not found";
  ASSERT_EQ(r.status, 0) << r.err;
  // Invalid UTF-8 (0xff) becomes U+FFFD; a valid sequence (é) is kept.
  EXPECT_EQ(r.out, "[\"q\\\"b\\\\s\\nt\\t\\u0001 \\u00e9 \\ufffd end\", \"NaN\", \"-Infinity\", 0.1] 80 100 True\n");
}

// SLM_PREFETCH=0|1 overrides the start-up choice of the weight-stream prefetch, whatever the CPU's
// default, and --system says which is in force.
TEST_F(InspectCli, SlmPrefetchOverridesTheWeightPrefetchChoice) {
  const char* saved = std::getenv("SLM_PREFETCH");
  const std::string before = saved ? saved : "";
  for (const char* v : {"0", "1"}) {
    ::setenv("SLM_PREFETCH", v, 1);
    const slm::test::CliResult r = run("inspect --system");
    EXPECT_EQ(r.status, 0) << r.err;
    const std::string want = std::string("weight prefetch: ") + (v[0] == '1' ? "on" : "off") + " (SLM_PREFETCH=" + v + ")";
    EXPECT_NE(r.out.find(want), std::string::npos) << r.out;
  }
  if (saved) ::setenv("SLM_PREFETCH", before.c_str(), 1);
  else ::unsetenv("SLM_PREFETCH");
}

}  // namespace
