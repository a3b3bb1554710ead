#include "interrupt.hpp"

#include <csignal>

#include <signal.h>  // sigaction

namespace slm::cli {
namespace {

std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

extern "C" void on_sigint(int) {
  if (g_interrupted.exchange(true)) {  // not yet taken up: the user insists
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
  }
}

}  // namespace

void catch_sigint() {
  struct sigaction old {};
  if (::sigaction(SIGINT, nullptr, &old) != 0 || old.sa_handler == SIG_IGN) return;
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
}

std::atomic<bool>& interrupted() noexcept { return g_interrupted; }

}  // namespace slm::cli
