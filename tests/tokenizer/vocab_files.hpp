#pragma once
// Test helpers: loading tokenizers through the GGUF reader, and llama.cpp's tokenizer test
// vectors (tests/data/vocab/README.md describes the format).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gguf/reader.hpp"
#include "slm/tokenizer.hpp"
#include "tokenizer/load.hpp"

namespace slm::test {

inline std::filesystem::path data_dir() { return SLM_TEST_DATA_DIR; }
inline std::filesystem::path models_dir() { return SLM_MODELS_DIR; }

inline Tokenizer load_vocab(const std::filesystem::path& path) {
  const gguf::File file = gguf::File::open(path);
  return tokenizer::load_tokenizer(file);
}

inline std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct VocabCase {
  std::string text;
  std::vector<std::int32_t> ids;
};

inline std::vector<VocabCase> read_vocab_cases(const std::filesystem::path& gguf_path) {
  const std::string inp = read_all(gguf_path.string() + ".inp");
  const std::string outp = read_all(gguf_path.string() + ".out");
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  std::size_t pos = 0;
  for (std::size_t m; (m = inp.find(sep, pos)) != std::string::npos; pos = m + sep.size()) {
    texts.push_back(inp.substr(pos, m - pos));
  }
  std::vector<VocabCase> cases;
  std::istringstream lines(outp);
  std::string line;
  for (const std::string& t : texts) {
    if (!std::getline(lines, line)) throw std::runtime_error("fewer .out lines than inputs");
    VocabCase c{t, {}};
    std::istringstream ids(line);
    for (std::int32_t id; ids >> id;) c.ids.push_back(id);
    cases.push_back(std::move(c));
  }
  return cases;
}

inline std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20) out += "\\x" + std::to_string(c);
    else out += static_cast<char>(c);
  }
  return out;
}

}  // namespace slm::test
