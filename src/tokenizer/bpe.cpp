// Byte-level BPE (tokenizer.ggml.model = "gpt2").
//
// The pre-tokenizer splits the text into words; each word's bytes are mapped to printable
// codepoints (GPT-2's byte table: printable Latin-1 bytes map to themselves, the other 68
// bytes to U+0100.. in order) and the word is cut into those characters. Then, repeatedly,
// the adjacent pair with the lowest merge rank (tokenizer.ggml.merges order; ties: leftmost)
// is merged, until no adjacent pair is a merge. Each final symbol is looked up as a token.

#include <queue>
#include <string>
#include <vector>

#include "tokenizer/symbols.hpp"
#include "tokenizer/tokenizer_impl.hpp"
#include "tokenizer/unicode.hpp"

namespace slm::tokenizer {
namespace {

constexpr bool maps_to_itself(int b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

// Byte -> codepoint and back. The 68 bytes that are not printable Latin-1 take U+0100..U+0143.
constexpr std::uint32_t kFirstExtra = 256;
constexpr std::uint32_t kEndExtra = 256 + 68;
struct ByteTable {
  std::uint32_t to_cp[256]{};
  std::int16_t from_cp[kEndExtra]{};  // -1: not a byte-level character
  constexpr ByteTable() {
    for (std::uint32_t cp = 0; cp < kEndExtra; ++cp) from_cp[cp] = -1;
    std::uint32_t next = kFirstExtra;
    for (int b = 0; b < 256; ++b) {
      to_cp[b] = maps_to_itself(b) ? static_cast<std::uint32_t>(b) : next++;
      from_cp[to_cp[b]] = static_cast<std::int16_t>(b);
    }
  }
};
constexpr ByteTable kByteTable;


struct Bigram {
  std::int32_t rank;
  int left;
  int right;
  std::size_t left_n, right_n;  // sizes when queued
};

struct BigramOrder {  // lowest rank first, then leftmost
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

void bpe_word(const Tokenizer::Impl& vocab, std::string_view word, std::string& scratch,
              std::vector<std::int32_t>& out) {
  if (vocab.ignore_merges) {
    const std::int32_t id = vocab.find(word);
    if (id >= 0) {
      out.push_back(id);
      return;
    }
  }
  std::vector<Symbol> symbols = utf8_symbols(word);
  if (symbols.empty()) return;

  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
  auto try_pair = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[left];
    const Symbol& r = symbols[right];
    const std::int32_t rank =
        vocab.find_merge(word.substr(l.offset, l.n), word.substr(r.offset, r.n), scratch);
    if (rank < 0) return;
    queue.push({rank, left, right, l.n, r.n});
  };
  for (int i = 1; i < static_cast<int>(symbols.size()); ++i) try_pair(i - 1, i);

  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& l = symbols[b.left];
    Symbol& r = symbols[b.right];
    if (l.n != b.left_n || r.n != b.right_n) continue;  // stale
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) symbols[r.next].prev = b.left;
    try_pair(l.prev, b.left);
    try_pair(b.left, l.next);
  }

  for (int i = 0; i != -1; i = symbols[i].next) {
    const std::string_view piece = word.substr(symbols[i].offset, symbols[i].n);
    const std::int32_t id = vocab.find(piece);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    // Not a token (a vocabulary without some byte characters): llama.cpp looks each byte up
    // as a one-character token and drops the ones it does not find.
    for (char c : piece) {
      const std::int32_t byte_id = vocab.find(std::string_view(&c, 1));
      if (byte_id >= 0) out.push_back(byte_id);
    }
  }
}

}  // namespace

std::uint32_t byte_to_codepoint(std::uint8_t b) noexcept { return kByteTable.to_cp[b]; }

int codepoint_to_byte(std::uint32_t cp) noexcept {
  return cp < kEndExtra ? kByteTable.from_cp[cp] : -1;
}

void bpe_encode(const Tokenizer::Impl& vocab, std::string_view text,
                std::vector<std::int32_t>& out) {
  std::string scratch;
  std::string encoded;
  for (const std::string& word : pre_tokenize(vocab.pre, text)) {
    encoded.clear();
    for (unsigned char c : word) append_utf8(encoded, kByteTable.to_cp[c]);
    bpe_word(vocab, encoded, scratch, out);
  }
}

}  // namespace slm::tokenizer
