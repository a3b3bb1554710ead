// SentencePiece-style tokenization (tokenizer.ggml.model = "llama").
//
// The text (spaces already replaced by U+2581) is cut into UTF-8 characters. Then, repeatedly,
// the adjacent pair whose concatenation is a vocabulary token with the highest score is
// merged (ties: leftmost first), until no adjacent pair forms a token. A final symbol that is
// not a token is written as its bytes, each through its <0xNN> byte token. This is how
// llama.cpp's SPM tokenizer works (a score-driven BPE, not SentencePiece's unigram Viterbi).

#include <queue>
#include <string_view>
#include <vector>

#include "tokenizer/symbols.hpp"
#include "tokenizer/tokenizer_impl.hpp"
#include "tokenizer/unicode.hpp"

namespace slm::tokenizer {
namespace {


struct Bigram {
  float score;
  int left;
  int right;
  std::size_t size;  // bytes of left + right when the pair was queued
};

struct BigramOrder {  // priority_queue puts the "largest" first: highest score, then leftmost
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

void spm_encode(const Tokenizer::Impl& vocab, std::string_view text,
                std::vector<std::int32_t>& out) {
  std::vector<Symbol> symbols = utf8_symbols(text);
  if (symbols.empty()) return;

  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
  auto try_pair = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[left];
    const Symbol& r = symbols[right];
    const std::int32_t id = vocab.find(text.substr(l.offset, l.n + r.n));
    if (id < 0) return;
    queue.push({vocab.scores[id], left, right, l.n + r.n});
  };
  for (int i = 1; i < static_cast<int>(symbols.size()); ++i) try_pair(i - 1, i);

  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& l = symbols[b.left];
    Symbol& r = symbols[b.right];
    // A pair queued before one of its symbols changed is stale.
    if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) symbols[r.next].prev = b.left;
    try_pair(l.prev, b.left);
    try_pair(b.left, l.next);
  }

  for (int i = 0; i != -1; i = symbols[i].next) {
    const Symbol& s = symbols[i];
    const std::string_view piece = text.substr(s.offset, s.n);
    const std::int32_t id = vocab.find(piece);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    // Merges only ever form tokens, so a symbol that is not one is a single character the
    // vocabulary lacks: write its bytes.
    for (unsigned char c : piece) {
      std::int32_t byte_id = vocab.byte_ids[c];
      if (byte_id < 0) byte_id = vocab.find(std::string_view(reinterpret_cast<const char*>(&c), 1));
      if (byte_id < 0) byte_id = vocab.unk;  // llama.cpp would throw here; never crash
      if (byte_id >= 0) out.push_back(byte_id);
    }
  }
}

}  // namespace slm::tokenizer
