// slm bench: prompt-processing and generation throughput the way llama.cpp's llama-bench
// measures it, so the two can be put side by side (bench/vs_reference does that):
//  * ppP: P random valid token ids evaluated in one batch (split by n_batch = 512 as llama.cpp's
//    n_ubatch would) on an empty context of n_ctx = P, logits for the last token only.
//  * tgN: N single-token decode steps on an empty context of n_ctx = N.
//  * -d D (llama-bench's --n-depth): each repetition first fills the context with D random tokens,
//    untimed, so "tg128 @ d4096" is the speed of decoding at positions 4096..4223 of a long chat
//    (attention then reads the KV cache of every earlier position; sliding-window layers only
//    their window). n_ctx = D + P (or D + N).
//  * one warm-up run per test (pp: the whole prompt; tg: one token) that is not timed, then -r
//    repetitions, each on a fresh (reset) context; tokens/s per repetition = tokens / seconds;
//    reported as mean ± sample stddev (n-1), like llama-bench.
// Also: peak RSS of the process (getrusage ru_maxrss), and for tg the weight bytes one decode
// step reads (architecture card: every weight except the embedding table, one embedding row, the
// LM head) and the effective read bandwidth that implies (bytes/token x tokens/s), next to the rate
// a plain read loop gets from the same weights' memory right after the runs (the bound for that
// memory; it can be below the anonymous-memory probe's, see util/bandwidth.hpp).
// --profile adds a per-sublayer time breakdown of the timed runs through the trace observer.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "args.hpp"
#include "session_args.hpp"
#include "commands.hpp"
#include "text.hpp"
#include "json.hpp"
#include "model/card.hpp"
#include "model/model_impl.hpp"
#include "util/bandwidth.hpp"
#include "util/memory.hpp"
#include "slm/model.hpp"
#include "slm/session.hpp"
#include "slm/trace.hpp"

namespace slm::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Comma-separated non-negative integers ("1,2"); `what` names the option in errors.
std::vector<int> int_list(const std::string& text, const std::string& what, int min_value) {
  std::vector<int> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::size_t used = 0;
    long v = 0;
    try {
      v = std::stol(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || v < min_value || v > 1'000'000)
      throw Error(Error::Kind::Argument, what + ": '" + item + "' is not an integer >= " + std::to_string(min_value));
    out.push_back(int(v));
  }
  if (out.empty()) throw Error(Error::Kind::Argument, what + ": empty list");
  return out;
}

// CPU seconds of the whole process (all threads): less sensitive than wall time to other
// processes competing for the cores (llama.cpp's reference reports the same "t/CPU-s").
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

// Time spent between consecutive trace points of the forward pass, summed by sublayer kind.
// attention: attn_norm .. Wq/Wk/Wv, rope, KV store, attention, Wo (and post-attn norm);
// ffn: residual add, ffn_norm, gate/up, activation, down (and post-ffn norm); head: the rows'
// output norm and the LM head (and soft-cap); embedding: token lookup. Residual adds are tiny.
class SublayerTimer : public TraceObserver {
 public:
  void begin() { last_ = Clock::now(); }
  void on_tensor(TracePoint point, int, std::int64_t, std::int64_t, std::int64_t, const float*) override {
    const auto now = Clock::now();
    const double dt = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    switch (point) {
      case TracePoint::Embedding: seconds_["embedding"] += dt; break;
      case TracePoint::AttnOut: seconds_["attention sublayer"] += dt; break;
      case TracePoint::FfnOut: seconds_["ffn sublayer"] += dt; break;
      case TracePoint::Residual: seconds_["residual add"] += dt; break;
      case TracePoint::OutputNorm: seconds_["output norm + lm head"] += dt; break;
      case TracePoint::Logits: seconds_["output norm + lm head"] += dt; break;
    }
  }
  // The lm head's time is only known at the Logits point, which comes after OutputNorm; the
  // observer sees both after the head ran, so their sum is attributed together above.
  const std::map<std::string, double>& seconds() const { return seconds_; }
  void clear() { seconds_.clear(); }

 private:
  Clock::time_point last_;
  std::map<std::string, double> seconds_;
};

struct Result {
  std::string test;  // "pp512", "tg128"
  bool pp = true;
  int n_tokens = 0, threads = 0, depth = 0;
  std::vector<double> samples;  // tokens/s per repetition
  double mean = 0, sd = 0;
  std::vector<double> cpu_samples;  // tokens per CPU-second per repetition
  double cpu_mean = 0;
  double peak_rss_mib = 0;      // process peak after this test
  util::MappedResidency mapped;  // the model file's mapping after this test (mmap only)
  double memory_gbps = 0;        // tg: read rate of the weights' memory (best of 2 plain, 2 prefetched)
  std::map<std::string, double> profile;  // seconds per repetition, by sublayer (--profile)
  double profile_total = 0;               // wall seconds per repetition (--profile)
};

struct Bench {
  std::string model_path, model_type;
  std::uint64_t model_bytes = 0;
  std::int64_t params = 0;
  std::uint64_t weight_bytes_per_token = 0;
  std::string kv_type;
  int reps = 3;
  std::vector<Result> results;
};

std::vector<TokenId> random_tokens(std::mt19937& rng, int n, int n_vocab) {
  std::uniform_int_distribution<TokenId> dist(0, n_vocab - 1);
  std::vector<TokenId> t(static_cast<std::size_t>(n));
  for (auto& x : t) x = dist(rng);
  return t;
}

Result run_test(const Model& model, bool pp, int n, int depth, int threads, int reps, KvType kv, bool profile) {
  Result r;
  r.pp = pp;
  r.n_tokens = n;
  r.depth = depth;
  r.threads = threads;
  r.test = (pp ? "pp" : "tg") + std::to_string(n) + (depth > 0 ? " @ d" + std::to_string(depth) : "");
  SessionOptions so;
  so.n_ctx = depth + n;
  so.threads = threads;
  so.kv_type = kv;
  so.n_batch = std::min(std::max(n, depth), 512);
  Session session(model, so);
  std::mt19937 rng(1234);
  const int n_vocab = session.n_vocab();
  SublayerTimer timer;
  // Returns {wall seconds, process CPU seconds} of the timed part.
  auto one_run = [&](bool warmup) {
    session.reset();
    if (depth > 0) {  // untimed, and kept out of the profile
      session.set_observer(nullptr);
      session.prefill(random_tokens(rng, depth, n_vocab));
      if (profile && !warmup) session.set_observer(&timer);
    }
    const auto tokens = random_tokens(rng, pp || !warmup ? n : 1, n_vocab);
    const double c0 = process_cpu_seconds();
    const auto t0 = Clock::now();
    if (pp) {
      timer.begin();
      session.prefill(tokens);
    } else {
      for (TokenId t : tokens) {
        timer.begin();
        session.decode(t);
      }
    }
    return std::pair{std::chrono::duration<double>(Clock::now() - t0).count(), process_cpu_seconds() - c0};
  };
  one_run(true);
  if (profile) session.set_observer(&timer);
  double total = 0;
  for (int i = 0; i < reps; ++i) {
    const auto [s, cpu] = one_run(false);
    total += s;
    r.samples.push_back(double(n) / s);
    r.cpu_samples.push_back(cpu > 0 ? double(n) / cpu : 0.0);
  }
  for (double v : r.cpu_samples) r.cpu_mean += v / double(reps);
  session.set_observer(nullptr);
  double sum = 0;
  for (double v : r.samples) sum += v;
  r.mean = sum / double(reps);
  double ss = 0;
  for (double v : r.samples) ss += (v - r.mean) * (v - r.mean);
  r.sd = reps > 1 ? std::sqrt(ss / double(reps - 1)) : 0.0;
  r.peak_rss_mib = peak_rss_mib();
  r.mapped = util::mapped_residency(model.file().path());
  if (!pp) {
    const auto ranges = model::decode_read_ranges(model.impl().weights);
    for (int i = 0; i < 2; ++i)
      r.memory_gbps = std::max({r.memory_gbps, util::read_rate_gbps(ranges, threads, false),
                                util::read_rate_gbps(ranges, threads, true)});
  }
  if (profile) {
    for (const auto& [k, v] : timer.seconds()) r.profile[k] = v / reps;
    r.profile_total = total / reps;
  }
  return r;
}

double gbps(const Bench& b, const Result& r) {
  return r.pp ? 0.0 : double(b.weight_bytes_per_token) * r.mean / 1e9;
}

std::string size_text(std::uint64_t bytes) {
  return bytes >= (1ull << 30) ? fmt("%.2f GiB", double(bytes) / double(1ull << 30))
                               : fmt("%.2f MiB", double(bytes) / double(1ull << 20));
}

// Share of the model's resident mapping that the kernel maps with 2 MiB pages; "-" when the
// model is not mapped (--no-mmap).
std::string huge_text(const util::MappedResidency& m) {
  return m.resident == 0 ? std::string("-") : fmt("%.0f%%", 100.0 * double(m.huge) / double(m.resident));
}

std::string params_text(std::int64_t n) {
  return n >= 1'000'000'000 ? fmt("%.2f B", double(n) / 1e9) : fmt("%.2f M", double(n) / 1e6);
}

std::string markdown(const Bench& b) {
  std::string out =
      "| model | size | params | threads | kv | test | t/s | t/CPU-s | weights read/token | GB/s | their memory GB/s | peak RSS | mapped in 2 MiB pages |\n"
      "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const auto& r : b.results) {
    out += "| " + file_name(b.model_path) + " (" + b.model_type + ") | " + size_text(b.model_bytes) + " | " +
           params_text(b.params) + " | " + std::to_string(r.threads) + " | " + b.kv_type + " | " + r.test + " | " +
           fmt("%.2f", r.mean) + " ± " + fmt("%.2f", r.sd) + " | " +
           fmt("%.2f", r.cpu_mean) + " | " + (r.pp ? std::string("-") : size_text(b.weight_bytes_per_token)) + " | " +
           (r.pp ? std::string("-") : fmt("%.2f", gbps(b, r))) + " | " +
           (r.pp ? std::string("-") : fmt("%.2f", r.memory_gbps)) + " | " + fmt("%.0f MiB", r.peak_rss_mib) + " | " +
           huge_text(r.mapped) + " |\n";
  }
  bool any_profile = false;
  for (const auto& r : b.results) any_profile = any_profile || !r.profile.empty();
  if (any_profile) {
    out += "\nprofile (ms per repetition, % of the run):\n\n| threads | test | part | ms | % |\n| ---: | --- | --- | ---: | ---: |\n";
    for (const auto& r : b.results) {
      double attributed = 0;
      for (const auto& [k, v] : r.profile) {
        attributed += v;
        out += "| " + std::to_string(r.threads) + " | " + r.test + " | " + k + " | " + fmt("%.2f", v * 1e3) + " | " +
               fmt("%.1f", 100 * v / r.profile_total) + " |\n";
      }
      const double rest = std::max(0.0, r.profile_total - attributed);
      out += "| " + std::to_string(r.threads) + " | " + r.test + " | other (sampling loop, logits copy) | " +
             fmt("%.2f", rest * 1e3) + " | " + fmt("%.1f", 100 * rest / r.profile_total) + " |\n";
    }
  }
  return out;
}

std::string csv(const Bench& b) {
  std::string out =
      "model,model_type,model_bytes,params,threads,kv_type,test,n_prompt,n_gen,n_depth,reps,avg_ts,stddev_ts,"
      "cpu_avg_ts,weight_bytes_per_token,gbps,memory_gbps,peak_rss_mib,mapped_resident_bytes,mapped_huge_bytes\n";
  for (const auto& r : b.results) {
    out += file_name(b.model_path) + "," + b.model_type + "," + std::to_string(b.model_bytes) + "," +
           std::to_string(b.params) + "," + std::to_string(r.threads) + "," + b.kv_type + "," + r.test + "," +
           std::to_string(r.pp ? r.n_tokens : 0) + "," + std::to_string(r.pp ? 0 : r.n_tokens) + "," +
           std::to_string(r.depth) + "," + std::to_string(b.reps) + "," + fmt("%.4f", r.mean) + "," + fmt("%.4f", r.sd) + "," +
           fmt("%.4f", r.cpu_mean) + "," + std::to_string(r.pp ? 0 : b.weight_bytes_per_token) + "," + fmt("%.4f", gbps(b, r)) + "," +
           fmt("%.4f", r.memory_gbps) + "," + fmt("%.1f", r.peak_rss_mib) + "," + std::to_string(r.mapped.resident) + "," +
           std::to_string(r.mapped.huge) + "\n";
  }
  return out;
}

std::string json(const Bench& b) {
  std::string out;
  JsonWriter j(out);
  j.begin_object();
  j.key("model");
  j.value(b.model_path);
  j.key("model_type");
  j.value(b.model_type);
  j.key("model_bytes");
  j.value(b.model_bytes);
  j.key("params");
  j.value(b.params);
  j.key("kv_type");
  j.value(b.kv_type);
  j.key("reps");
  j.value(b.reps);
  j.key("weight_bytes_per_token");
  j.value(b.weight_bytes_per_token);
  j.key("results");
  j.begin_array();
  for (const auto& r : b.results) {
    j.begin_object();
    j.key("test");
    j.value(r.test);
    j.key("kind");
    j.value(r.pp ? "pp" : "tg");
    j.key("n_tokens");
    j.value(r.n_tokens);
    j.key("n_depth");
    j.value(r.depth);
    j.key("threads");
    j.value(r.threads);
    j.key("avg_ts");
    j.value(r.mean);
    j.key("stddev_ts");
    j.value(r.sd);
    j.key("samples_ts");
    j.begin_array();
    for (double v : r.samples) j.value(v);
    j.end_array();
    j.key("cpu_avg_ts");
    j.value(r.cpu_mean);
    j.key("cpu_samples_ts");
    j.begin_array();
    for (double v : r.cpu_samples) j.value(v);
    j.end_array();
    j.key("gbps");
    j.value(gbps(b, r));
    j.key("memory_gbps");  // tg: a plain read of the same weights, right after the runs
    j.value(r.memory_gbps);
    j.key("peak_rss_mib");
    j.value(r.peak_rss_mib);
    j.key("mapped_resident_bytes");  // the model file's mapping: resident, and in 2 MiB pages
    j.value(r.mapped.resident);
    j.key("mapped_huge_bytes");
    j.value(r.mapped.huge);
    if (!r.profile.empty()) {
      j.key("profile_seconds");
      j.begin_object();
      for (const auto& [k, v] : r.profile) {
        j.key(k);
        j.value(v);
      }
      j.key("total");
      j.value(r.profile_total);
      j.end_object();
    }
    j.end_object();
  }
  j.end_array();
  j.end_object();
  out += "\n";
  return out;
}

}  // namespace

int cmd_bench(const Args& args) {
  ArgParser p("bench", args);
  p.option({"-m", "--model"}, true, "GGUF model file (required)");
  p.option({"-p", "--n-prompt"}, true, "prompt lengths to test, comma-separated (default 512; 0 = no pp test)");
  p.option({"-n", "--n-gen"}, true, "generation lengths to test, comma-separated (default 128; 0 = no tg test)");
  p.option({"-d", "--n-depth"}, true,
           "tokens already in the context before each test, comma-separated (default 0)");
  p.option({"-t", "--threads"}, true, "thread counts, comma-separated (default: all cores)");
  p.option({"-r", "--repetitions"}, true, "timed repetitions per test (default 3)");
  p.option({"-o", "--output"}, true, "output format: md (default), csv or json");
  add_kv_type_option(p);
  p.option({"--profile"}, false, "also time the forward pass by sublayer (attention, ffn, lm head)");
  p.option({"--no-mmap"}, false, "read the model into memory instead of mapping it");
  p.option({"-h", "--help"}, false, "show this help");
  p.parse();
  if (p.has("--help")) {
    std::printf("usage: slm bench -m MODEL [options]\n%s", p.usage().c_str());
    return 0;
  }
  if (!p.positional().empty())
    throw Error(Error::Kind::Argument, "unexpected argument '" + p.positional().front() + "'");
  const auto model_path = p.get("--model");
  if (!model_path) throw Error(Error::Kind::Argument, "-m MODEL is required");
  const auto n_prompt = int_list(p.get_or("--n-prompt", "512"), "-p", 0);
  const auto n_gen = int_list(p.get_or("--n-gen", "128"), "-n", 0);
  const auto n_depth = int_list(p.get_or("--n-depth", "0"), "-d", 0);
  const int hw = int(std::max(1u, std::thread::hardware_concurrency()));
  const auto threads = int_list(p.get_or("--threads", std::to_string(hw)), "-t", 1);
  const std::int64_t reps = p.get_int("--repetitions", 3);
  if (reps < 1 || reps > 1000) throw Error(Error::Kind::Argument, "-r must be between 1 and 1000");
  const std::string output = p.get_or("--output", "md");
  if (output != "md" && output != "csv" && output != "json")
    throw Error(Error::Kind::Argument, "-o must be md, csv or json (got '" + output + "')");
  const KvType kv = kv_type_option(p);
  bool any = false;
  for (int v : n_prompt) any = any || v > 0;
  for (int v : n_gen) any = any || v > 0;
  if (!any) throw Error(Error::Kind::Argument, "nothing to run: every -p and -n is 0");

  LoadOptions lo;
  lo.use_mmap = !p.has("--no-mmap");
  const Model model = Model::load(*model_path, lo);
  const int max_depth = *std::max_element(n_depth.begin(), n_depth.end());
  for (const auto* list : {&n_prompt, &n_gen})
    for (int v : *list)
      if (std::int64_t(v) + max_depth > model.hparams().n_ctx_train)
        throw Error(Error::Kind::Argument, std::string(list == &n_prompt ? "-p " : "-n ") + std::to_string(v) +
                                               (max_depth > 0 ? " at depth " + std::to_string(max_depth) : "") +
                                               " exceeds the model's context length (" +
                                               std::to_string(model.hparams().n_ctx_train) + ")");

  Bench b;
  b.model_path = *model_path;
  const ModelInfo info = model.info();
  b.model_type = info.architecture;
  b.model_bytes = info.file_size;
  b.params = info.n_params;
  b.weight_bytes_per_token = model::make_card(model.file()).weight_bytes_per_token;
  b.kv_type = kv == KvType::F16 ? "f16" : "f32";
  b.reps = int(reps);
  for (int t : threads)
    for (int d : n_depth) {
      for (int n : n_prompt)
        if (n > 0) b.results.push_back(run_test(model, true, n, d, t, int(reps), kv, p.has("--profile")));
      for (int n : n_gen)
        if (n > 0) b.results.push_back(run_test(model, false, n, d, t, int(reps), kv, p.has("--profile")));
    }
  const std::string text = output == "md" ? markdown(b) : output == "csv" ? csv(b) : json(b);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace slm::cli
