#pragma once
// Test helper: runs tests/kernels/quant_oracle.py (with $SLM_PYTHON, else python3) and reads
// the records it writes (format documented in that script).

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "kernels/dtype.hpp"

namespace slm::kernels::test {

struct Record {
  std::uint32_t kind;  // 0: src blocks -> dst floats (dequantize); 1: src floats -> dst blocks
  DType type;
  std::string name;
  std::int64_t n;
  std::vector<std::uint8_t> src, dst;
};

// Runs `quant_oracle.py command OUT extra...`; returns the script's exit status (77: the oracle
// is not installed) and, on success, its records in `out`.
inline int run_oracle(const std::string& command, const std::string& extra, std::vector<Record>& out) {
  namespace fs = std::filesystem;
  const char* py = std::getenv("SLM_PYTHON");
  const std::string python = py != nullptr && *py != '\0' ? py : "python3";
  const fs::path file = fs::temp_directory_path() /
                        ("slm_oracle_" + command + "_" + std::to_string(::getpid()) + ".bin");
  const std::string cmd = "'" + python + "' '" SLM_SOURCE_DIR "/tests/kernels/quant_oracle.py' " + command + " '" +
                          file.string() + "' " + extra;
  const int rc = std::system(cmd.c_str());
  const int status = rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  if (status != 0) {
    fs::remove(file);
    return status;
  }
  std::ifstream in(file, std::ios::binary);
  auto rd = [&](void* p, std::size_t n) { in.read(static_cast<char*>(p), static_cast<std::streamsize>(n)); };
  while (in.peek() != EOF) {
    Record r;
    std::uint32_t type, name_len;
    std::uint64_t n, ns, nd;
    rd(&r.kind, 4);
    rd(&type, 4);
    rd(&name_len, 4);
    r.type = static_cast<DType>(type);
    r.name.resize(name_len);
    rd(r.name.data(), name_len);
    rd(&n, 8);
    rd(&ns, 8);
    r.n = static_cast<std::int64_t>(n);
    r.src.resize(ns);
    rd(r.src.data(), ns);
    rd(&nd, 8);
    r.dst.resize(nd);
    rd(r.dst.data(), nd);
    if (!in) break;
    out.push_back(std::move(r));
  }
  fs::remove(file);
  return 0;
}

}  // namespace slm::kernels::test
