#pragma once
// Options of the architecture card shared by `slm inspect` and `slm compare`:
//   --bandwidth GBPS   memory bandwidth for the tokens/s ceiling (default: a ~0.3 s probe)
//   --ctx-pos N        position of the generated token for the attention cost (default 512)

#include <cstdio>

#include "args.hpp"
#include "model/card.hpp"
#include "util/bandwidth.hpp"

namespace slm::cli {

inline void declare_card_options(ArgParser& p) {
  p.option({"--bandwidth"}, true, "memory bandwidth in GB/s for the card's tokens/s ceiling (default: measure)");
  p.option({"--ctx-pos"}, true, "token position for the card's attention cost (default 512)");
}

// Probes the bandwidth only when not given (and only when called: a card is about to be made).
inline model::CardOptions card_options(const ArgParser& p, int threads) {
  model::CardOptions o;
  o.attn_position = p.get_int("--ctx-pos", 512);
  if (o.attn_position < 0) throw Error(Error::Kind::Argument, "--ctx-pos must be >= 0");
  if (p.has("--bandwidth")) {
    o.bandwidth_gbps = p.get_double("--bandwidth", 0);
    if (!(o.bandwidth_gbps > 0)) throw Error(Error::Kind::Argument, "--bandwidth must be > 0 (GB/s)");
    o.bandwidth_source = "--bandwidth";
  } else {
    o.bandwidth_gbps = util::measure_read_bandwidth_gbps(threads);
    o.bandwidth_source = "read probe, " + std::string(threads > 0 ? std::to_string(threads) : "all") + " threads";
  }
  return o;
}

}  // namespace slm::cli
