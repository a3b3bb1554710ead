// `slm bench` end to end: runs the built program on a tiny model and checks that each output
// format parses and is consistent, and that bad arguments are refused with one error line.
// No timing assertions: only that the numbers are there, positive and agree with each other.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>


#include "support/cli.hpp"
#include "support/json.hpp"

namespace {

namespace fs = std::filesystem;
using slm::test::Json;

using Result = slm::test::CliResult;

Result bench(const std::string& args) { return slm::test::run_slm("bench " + args); }

std::string tiny(const char* name) { return std::string(SLM_TEST_DATA_DIR) + "/golden/models/" + name + "-Q4_K_M.gguf"; }

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) out.push_back(item);
  return out;
}

TEST(BenchCli, JsonHasOneResultPerTestAndThreadCountWithConsistentStatistics) {
  const Result r = bench("-m " + tiny("tiny-llama") + " -p 8 -n 4 -t 1,2 -r 3 -o json");
  ASSERT_EQ(r.status, 0) << r.err;
  const Json j = Json::parse(r.out);
  EXPECT_EQ(j["reps"].as_int(), 3);
  EXPECT_EQ(j["kv_type"].as_string(), "f32");
  EXPECT_EQ(j["model_type"].as_string(), "llama");
  EXPECT_EQ(j["model_bytes"].as_int(), std::int64_t(fs::file_size(tiny("tiny-llama"))));
  // A decode step reads less than the whole file (the embedding table only by one row) but
  // more than nothing.
  const double wbpt = j["weight_bytes_per_token"].as_number();
  EXPECT_GT(wbpt, 0);
  EXPECT_LT(wbpt, double(fs::file_size(tiny("tiny-llama"))));

  const Json& res = j["results"];
  ASSERT_EQ(res.size(), 4u);  // per thread count: pp8, tg4 (llama-bench's order)
  const char* tests[] = {"pp8", "tg4", "pp8", "tg4"};
  const int threads[] = {1, 1, 2, 2};
  for (std::size_t i = 0; i < res.size(); ++i) {
    SCOPED_TRACE(i);
    const Json& t = res[i];
    EXPECT_EQ(t["test"].as_string(), tests[i]);
    EXPECT_EQ(t["threads"].as_int(), threads[i]);
    EXPECT_EQ(t["kind"].as_string(), i % 2 == 0 ? "pp" : "tg");
    EXPECT_EQ(t["n_tokens"].as_int(), i % 2 == 0 ? 8 : 4);
    const std::vector<float> samples = t["samples_ts"].as_floats();
    ASSERT_EQ(samples.size(), 3u);
    double mean = 0;
    for (float s : samples) {
      EXPECT_GT(s, 0);
      mean += s / 3.0;
    }
    double ss = 0;
    for (float s : samples) ss += (s - mean) * (s - mean);
    EXPECT_NEAR(t["avg_ts"].as_number(), mean, 1e-4 * mean);
    EXPECT_NEAR(t["stddev_ts"].as_number(), std::sqrt(ss / 2), 1e-3 * mean);
    EXPECT_EQ(t["cpu_samples_ts"].as_floats().size(), 3u);
    EXPECT_GT(t["peak_rss_mib"].as_number(), 0);
    // The model file's mapping (from /proc/self/smaps): resident since the weights were read,
    // no larger than the file, and its 2 MiB-mapped part no larger than that.
    const double resident = t["mapped_resident_bytes"].as_number(), huge = t["mapped_huge_bytes"].as_number();
    EXPECT_GT(resident, 0);
    EXPECT_LE(resident, double(fs::file_size(tiny("tiny-llama")) + 4096));
    EXPECT_LE(huge, resident);
    if (i % 2 == 0) {
      EXPECT_EQ(t["gbps"].as_number(), 0);  // no bandwidth figure for prompt processing
      EXPECT_EQ(t["memory_gbps"].as_number(), 0);
    } else {
      EXPECT_NEAR(t["gbps"].as_number(), wbpt * t["avg_ts"].as_number() / 1e9, 1e-6 * t["gbps"].as_number() + 1e-12);
      EXPECT_GT(t["memory_gbps"].as_number(), 0);  // a read of the weights' memory
    }
  }
}

// Read into memory, the model has no file mapping to report: 0 bytes, "-" in the table.
TEST(BenchCli, NoMmapReportsNoFileMapping) {
  const Result r = bench("-m " + tiny("tiny-llama") + " -p 0 -n 2 -t 1 -r 1 -o json --no-mmap");
  ASSERT_EQ(r.status, 0) << r.err;
  const Json j = Json::parse(r.out);
  const Json& t = j["results"][0];
  EXPECT_EQ(t["mapped_resident_bytes"].as_number(), 0);
  EXPECT_EQ(t["mapped_huge_bytes"].as_number(), 0);
  const Result md = bench("-m " + tiny("tiny-llama") + " -p 0 -n 2 -t 1 -r 1 --no-mmap");
  ASSERT_EQ(md.status, 0) << md.err;
  const auto lines = split(md.out, '\n');
  ASSERT_GE(lines.size(), 3u) << md.out;
  EXPECT_NE(lines[0].find("mapped in 2 MiB pages"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[2].substr(lines[2].size() - 5), "| - |") << lines[2];
}

TEST(BenchCli, CsvHasAHeaderAndOneRowPerTestWithMatchingColumns) {
  const Result r = bench("-m " + tiny("tiny-qwen2") + " -p 4 -n 2 -t 1 -r 2 -o csv --kv-type f16");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto lines = split(r.out, '\n');
  ASSERT_EQ(lines.size(), 3u) << r.out;
  const auto head = split(lines[0], ',');
  EXPECT_EQ(head.front(), "model");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto cells = split(lines[i], ',');
    ASSERT_EQ(cells.size(), head.size()) << lines[i];
    auto col = [&](const std::string& name) {
      for (std::size_t c = 0; c < head.size(); ++c)
        if (head[c] == name) return cells[c];
      ADD_FAILURE() << "no column " << name;
      return std::string();
    };
    EXPECT_EQ(col("test"), i == 1 ? "pp4" : "tg2");
    EXPECT_EQ(col("kv_type"), "f16");
    EXPECT_EQ(col("threads"), "1");
    EXPECT_EQ(col("reps"), "2");
    EXPECT_GT(std::stod(col("avg_ts")), 0);
    EXPECT_GE(std::stod(col("stddev_ts")), 0);
    EXPECT_GT(std::stod(col("mapped_resident_bytes")), 0);  // the model is mapped
    EXPECT_LE(std::stod(col("mapped_huge_bytes")), std::stod(col("mapped_resident_bytes")));
  }
}

TEST(BenchCli, MarkdownIsATableWithOneRowPerTestAndAProfileWhenAsked) {
  const Result r = bench("-m " + tiny("tiny-gemma3") + " -p 4 -n 2 -t 1 -r 1 --profile");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto lines = split(r.out, '\n');
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(lines[0].rfind("| model | size | params | threads |", 0), 0u) << lines[0];
  const std::size_t columns = split(lines[0], '|').size();
  EXPECT_EQ(split(lines[1], '|').size(), columns);
  EXPECT_NE(lines[2].find("| pp4 |"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find("| tg2 |"), std::string::npos) << lines[3];
  EXPECT_EQ(split(lines[2], '|').size(), columns);
  EXPECT_NE(r.out.find("attention sublayer"), std::string::npos);
  EXPECT_NE(r.out.find("ffn sublayer"), std::string::npos);
  EXPECT_NE(r.out.find("output norm + lm head"), std::string::npos);
}

// -d fills the context before each test: the tests are named as llama-bench names them, every
// depth runs every test, and the depth is reported in each format.
TEST(BenchCli, DepthRunsEachTestAfterThatManyTokens) {
  const Result r = bench("-m " + tiny("tiny-gemma3") + " -p 4 -n 2 -d 0,40 -t 1 -r 1 -o json");
  ASSERT_EQ(r.status, 0) << r.err;
  const Json j = Json::parse(r.out);
  const Json& res = j["results"];
  ASSERT_EQ(res.size(), 4u);
  const char* tests[] = {"pp4", "tg2", "pp4 @ d40", "tg2 @ d40"};
  for (std::size_t i = 0; i < res.size(); ++i) {
    EXPECT_EQ(res[i]["test"].as_string(), tests[i]);
    EXPECT_EQ(res[i]["n_depth"].as_int(), i < 2 ? 0 : 40);
    EXPECT_GT(res[i]["avg_ts"].as_number(), 0);
  }
  const Result csv = bench("-m " + tiny("tiny-gemma3") + " -p 0 -n 2 -d 40 -t 1 -r 1 -o csv");
  ASSERT_EQ(csv.status, 0) << csv.err;
  const auto lines = split(csv.out, '\n');
  ASSERT_EQ(lines.size(), 2u) << csv.out;
  const auto head = split(lines[0], ','), row = split(lines[1], ',');
  const auto col = std::find(head.begin(), head.end(), "n_depth");
  ASSERT_NE(col, head.end()) << lines[0];
  EXPECT_EQ(row[std::size_t(col - head.begin())], "40");
}

TEST(BenchCli, ZeroSkipsATest) {
  const Result r = bench("-m " + tiny("tiny-llama") + " -p 0 -n 2 -t 1 -r 1 -o json");
  ASSERT_EQ(r.status, 0) << r.err;
  const Json j = Json::parse(r.out);
  ASSERT_EQ(j["results"].size(), 1u);
  EXPECT_EQ(j["results"][0]["test"].as_string(), "tg2");
}

TEST(BenchCli, BadArgumentsAreRefusedWithOneErrorLine) {
  const std::string m = "-m " + tiny("tiny-llama") + " ";
  const std::vector<std::string> bad = {
      "",                                // no model
      m + "-o xml",                      // unknown format
      m + "-r 0",                        // no repetitions
      m + "-t 0",                        // no threads
      m + "-t 1,,2",                     // empty list item
      m + "-p abc",                      // not a number
      m + "-p -4",                       // negative
      m + "-p 0 -n 0",                   // nothing to run
      m + "--kv-type q8",                // unknown cache type
      m + "--frobnicate",                // unknown option
      m + "-p 100000000",                // beyond the model's context
      m + "-d -1",                       // negative depth
      m + "-n 2 -d 100000000",           // depth beyond the model's context
      "-m /nonexistent/model.gguf",      // missing file
      m + "extra",                       // stray positional argument
  };
  for (const auto& args : bad) {
    SCOPED_TRACE(args);
    const Result r = bench(args);
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_EQ(r.err.rfind("slm bench: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

TEST(BenchCli, HelpListsTheOptions) {
  const Result r = bench("--help");
  EXPECT_EQ(r.status, 0);
  for (const char* opt : {"-p", "-n", "-d", "--n-depth", "-t", "-r", "-o", "--kv-type", "--profile"})
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
}

}  // namespace
