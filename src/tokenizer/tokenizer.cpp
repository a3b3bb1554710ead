// Building a Tokenizer from vocabulary data (validation, special tokens, defaults) and
// encoding. The defaults and the special-token rules follow llama.cpp's vocabulary loader,
// so that ids match it token for token.

#include <algorithm>
#include <array>
#include <cmath>

#include "slm/error.hpp"
#include "tokenizer/tokenizer_impl.hpp"
#include "tokenizer/unicode.hpp"
#include "tokenizer/vocab_data.hpp"

namespace slm {
namespace {

constexpr std::size_t kMaxTokenBytes = 64 * 1024;
constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581, SentencePiece's space

// Tokens that end generation, recognised by their text (llama.cpp's list, without the names
// that need its gpt-oss / solar / Gemma 4 workarounds, families slm does not support).
constexpr std::array<std::string_view, 16> kEogNames = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "</s>",
    "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>",
    "<eos>", "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>", "[e~["};
// Candidates for EOT when the file names none, in order of preference.
constexpr std::array<std::string_view, 11> kEotNames = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>", "_<EOT>", "[EOT]",
    "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>", "<end_of_utterance>"};
// Fill-in-the-middle tokens llama.cpp marks as control (pad/repo/file-sep also end generation).
constexpr std::array<std::string_view, 24> kFimControlNames = {
    "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "begin\xEF\xBD\x9C>",
    "<PRE>", "\xE2\x96\x81<PRE>", "<|code_prefix|>", "<|prefix|>",
    "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<\xEF\xBD\x9C" "fim\xE2\x96\x81hole\xEF\xBD\x9C>",
    "<SUF>", "\xE2\x96\x81<SUF>", "<|code_suffix|>", "<|suffix|>",
    "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<\xEF\xBD\x9C" "fim\xE2\x96\x81" "end\xEF\xBD\x9C>",
    "<MID>", "\xE2\x96\x81<MID>", "<|code_middle|>", "<|middle|>"};
constexpr std::array<std::string_view, 11> kFimEogNames = {
    "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]", "<|fim_repo|>", "<|repo_name|>",
    "<fim-repo>", "<REPO>", "<reponame>", "<|file_sep|>"};

[[noreturn]] void fail(const std::string& source, const std::string& key, std::string msg,
                       Error::Kind kind = Error::Kind::Format) {
  throw Error(kind, std::move(msg), source, key);
}

std::uint8_t attr_of_type(std::int32_t type) {
  switch (type) {
    case tokenizer::kTypeNormal: return kAttrNormal;
    case tokenizer::kTypeUnknown: return kAttrUnknown;
    case tokenizer::kTypeControl: return kAttrControl;
    case tokenizer::kTypeUserDefined: return kAttrUserDefined;
    case tokenizer::kTypeUnused: return kAttrUnused;
    case tokenizer::kTypeByte: return kAttrByte;
    default: return kAttrUndefined;
  }
}

void load_tokens(Tokenizer::Impl& v, tokenizer::VocabData& d) {
  const std::size_t n = d.tokens.size();
  if (n == 0) fail(d.source, "tokenizer.ggml.tokens", "the vocabulary is empty");
  if (n > 0x7FFFFFFF) fail(d.source, "tokenizer.ggml.tokens", "too many tokens");
  if (!d.scores.empty() && d.scores.size() < n) {
    fail(d.source, "tokenizer.ggml.scores",
         "has " + std::to_string(d.scores.size()) + " entries for " + std::to_string(n) +
             " tokens");
  }
  if (!d.token_types.empty() && d.token_types.size() < n) {
    fail(d.source, "tokenizer.ggml.token_type",
         "has " + std::to_string(d.token_types.size()) + " entries for " + std::to_string(n) +
             " tokens");
  }
  v.scores.assign(n, 0.0f);
  if (!d.scores.empty()) std::copy_n(d.scores.begin(), n, v.scores.begin());
  v.attrs.assign(n, kAttrNormal);
  v.texts.reserve(n, d.tokens.text_bytes());
  for (std::size_t i = 0; i < n; ++i) {
    const std::string_view t = d.tokens[i];
    if (t.size() > kMaxTokenBytes) {
      fail(d.source, "tokenizer.ggml.tokens",
           "token " + std::to_string(i) + " is " + std::to_string(t.size()) +
               " bytes long (limit 64 KiB)");
    }
    if (!tokenizer::is_valid_utf8(t)) {
      fail(d.source, "tokenizer.ggml.tokens", "token " + std::to_string(i) + " is not UTF-8");
    }
    if (t.empty()) {
      v.texts.push_back("[EMPTY_" + std::to_string(i) + "]");  // as llama.cpp names it
    } else {
      v.texts.push_back(t);
    }
    if (!d.token_types.empty()) v.attrs[i] = attr_of_type(d.token_types[i]);
  }
  d.tokens = {};
  v.token_index.build(v.texts, tokenizer::StringIndex::Duplicates::KeepLast);
}

void load_merges(Tokenizer::Impl& v, tokenizer::VocabData& d) {
  v.merges = std::move(d.merges);
  for (std::size_t i = 0; i < v.merges.size(); ++i) {
    const std::string_view m = v.merges[i];
    // The separator is the first space after the first character ("a b"); the parts never
    // contain spaces in byte-level vocabularies (space is mapped to U+0120).
    const std::size_t sp = m.size() > 1 ? m.find(' ', 1) : std::string_view::npos;
    if (sp == std::string_view::npos || sp + 1 >= m.size()) {
      fail(d.source, "tokenizer.ggml.merges",
           "merge " + std::to_string(i) + " is not a pair \"a b\": \"" + std::string(m) + "\"");
    }
    if (v.find(m.substr(0, sp)) < 0 || v.find(m.substr(sp + 1)) < 0) {
      fail(d.source, "tokenizer.ggml.merges",
           "merge " + std::to_string(i) + " names a token not in the vocabulary: \"" +
               std::string(m) + "\"");
    }
  }
  v.merge_index.build(v.merges, tokenizer::StringIndex::Duplicates::KeepFirst);
}

// A default id that does not exist in this vocabulary is dropped; an id the file gives must
// exist.
void set_id(const Tokenizer::Impl& v, const tokenizer::VocabData& d, std::int32_t& id,
            const std::optional<std::uint32_t>& given, const char* key) {
  if (id >= static_cast<std::int64_t>(v.size())) id = -1;
  if (!given) return;
  if (*given >= v.size()) {
    fail(d.source, key,
         "token id " + std::to_string(*given) + " is outside the vocabulary (" +
             std::to_string(v.size()) + " tokens)");
  }
  id = static_cast<std::int32_t>(*given);
}

void find_special_tokens(Tokenizer::Impl& v, const tokenizer::VocabData& d) {
  auto mark_control = [&](std::int32_t id) { v.attrs[id] |= kAttrControl; };
  if (!d.eot_id) {
    for (std::string_view name : kEotNames) {
      const std::int32_t id = v.find(name);
      if (id >= 0) {
        v.eot = id;
        mark_control(id);
        break;
      }
    }
  }
  if (!d.eom_id) {
    const std::int32_t id = v.find("<|eom_id|>");
    if (id >= 0) {
      v.eom = id;
      mark_control(id);
    }
  }
  std::vector<std::int32_t> eog;
  for (std::string_view name : kFimControlNames) {
    if (const std::int32_t id = v.find(name); id >= 0) mark_control(id);
  }
  for (std::string_view name : kFimEogNames) {
    if (const std::int32_t id = v.find(name); id >= 0) {
      mark_control(id);
      eog.push_back(id);
    }
  }
  for (std::string_view name : kEogNames) {
    if (const std::int32_t id = v.find(name); id >= 0) {
      mark_control(id);
      eog.push_back(id);
    }
  }
  for (std::int32_t id : {v.eos, v.eot, v.eom}) {
    if (id >= 0) eog.push_back(id);
  }
  std::sort(eog.begin(), eog.end());
  eog.erase(std::unique(eog.begin(), eog.end()), eog.end());
  v.eog_ids = std::move(eog);

  // Special tokens are matched longest first. Equal lengths keep the order std::sort leaves
  // them in from ascending ids, which is what llama.cpp gets (its cache is sorted the same way).
  for (std::size_t id = 0; id < v.size(); ++id) {
    if (v.attrs[id] & (kAttrControl | kAttrUserDefined | kAttrUnknown)) {
      v.special_ids.push_back(static_cast<std::int32_t>(id));
    }
  }
  std::sort(v.special_ids.begin(), v.special_ids.end(), [&](std::int32_t a, std::int32_t b) {
    return v.texts[a].size() > v.texts[b].size();
  });
}

struct Fragment {
  std::size_t offset, length;  // of the input text, when id < 0
  std::int32_t id;             // a special token, or -1 for text
};

// Splits the input at every occurrence of special-token text (llama.cpp's partition: token by
// token in cache order, each splitting all remaining text fragments left to right).
std::vector<Fragment> partition(const Tokenizer::Impl& v, std::string_view text,
                                bool parse_special) {
  std::vector<Fragment> frags;
  if (text.empty()) return frags;
  frags.push_back({0, text.size(), -1});
  std::vector<Fragment> next;
  for (std::int32_t id : v.special_ids) {
    if (!parse_special && (v.attrs[id] & (kAttrControl | kAttrUnknown))) continue;
    const std::string_view special = v.texts[id];
    bool found = false;
    for (const Fragment& f : frags) {
      if (f.id < 0 && text.substr(f.offset, f.length).find(special) != std::string_view::npos) {
        found = true;
        break;
      }
    }
    if (!found) continue;
    next.clear();
    for (const Fragment& f : frags) {
      if (f.id >= 0) {
        next.push_back(f);
        continue;
      }
      const std::string_view piece = text.substr(f.offset, f.length);
      std::size_t pos = 0;
      for (std::size_t m; (m = piece.find(special, pos)) != std::string_view::npos;) {
        if (m > pos) next.push_back({f.offset + pos, m - pos, -1});
        next.push_back({0, 0, id});
        pos = m + special.size();
      }
      if (pos < piece.size()) next.push_back({f.offset + pos, piece.size() - pos, -1});
    }
    frags.swap(next);
  }
  return frags;
}

}  // namespace

Tokenizer Tokenizer::from_data(tokenizer::VocabData data) {
  auto v = std::make_shared<Impl>();
  v->source = data.source;
  if (data.model == "llama") {
    v->kind = TokenizerKind::Spm;
  } else if (data.model == "gpt2") {
    v->kind = TokenizerKind::Bpe;
  } else {
    fail(data.source, "tokenizer.ggml.model", "unknown tokenizer model '" + data.model + "'",
         Error::Kind::Unsupported);
  }
  load_tokens(*v, data);

  if (v->kind == TokenizerKind::Spm) {
    v->bos = 1;
    v->eos = 2;
    v->unk = 0;
    v->add_space_prefix = true;
    v->add_bos = true;
    v->pre_name = data.pre;
  } else {
    v->bos = 11;  // llama.cpp's defaults for byte-level BPE
    v->eos = 11;
    v->pre_name = data.pre;
    tokenizer::PreTokenizerInfo info{tokenizer::PreTokenizer::Default, true, false, false};
    if (data.pre.empty()) {
      v->warnings.push_back(data.source +
                            ": tokenizer.ggml.pre is missing; using the 'default' pre-tokenizer "
                            "(tokenization will differ from the model's own)");
    } else if (auto found = tokenizer::find_pre_tokenizer(data.pre)) {
      info = *found;
    } else {
      fail(data.source, "tokenizer.ggml.pre", "unknown pre-tokenizer '" + data.pre + "'",
           Error::Kind::Unsupported);
    }
    v->pre = info.type;
    v->clean_spaces = info.clean_spaces;
    v->ignore_merges = info.ignore_merges;
    v->add_bos = info.add_bos;
    if (data.merges.empty()) {
      fail(data.source, "tokenizer.ggml.merges", "a BPE vocabulary needs merges");
    }
    load_merges(*v, data);
  }
  if (data.add_space_prefix) v->add_space_prefix = *data.add_space_prefix;

  set_id(*v, data, v->bos, data.bos_id, "tokenizer.ggml.bos_token_id");
  set_id(*v, data, v->eos, data.eos_id, "tokenizer.ggml.eos_token_id");
  set_id(*v, data, v->eot, data.eot_id, "tokenizer.ggml.eot_token_id");
  set_id(*v, data, v->eom, data.eom_id, "tokenizer.ggml.eom_token_id");
  set_id(*v, data, v->unk, data.unk_id, "tokenizer.ggml.unknown_token_id");
  set_id(*v, data, v->sep, data.sep_id, "tokenizer.ggml.seperator_token_id");
  set_id(*v, data, v->pad, data.pad_id, "tokenizer.ggml.padding_token_id");
  if (data.add_bos) v->add_bos = *data.add_bos;
  if (data.add_eos) v->add_eos = *data.add_eos;
  if (v->add_bos && v->bos < 0) {
    fail(data.source, "tokenizer.ggml.add_bos_token", "BOS is to be added but there is none");
  }
  if (v->add_eos && v->eos < 0) {
    fail(data.source, "tokenizer.ggml.add_eos_token", "EOS is to be added but there is none");
  }

  find_special_tokens(*v, data);

  v->byte_ids.fill(-1);
  if (v->kind == TokenizerKind::Spm) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) {
      const char name[6] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
      v->byte_ids[b] = v->find(std::string_view(name, 6));
    }
  }
  v->pieces.reserve(v->size(), v->texts.text_bytes());
  for (std::size_t id = 0; id < v->size(); ++id) v->pieces.push_back(v->make_piece(static_cast<std::int32_t>(id), true));
  return Tokenizer(std::move(v));
}

std::vector<std::int32_t> Tokenizer::encode(std::string_view text, bool add_special,
                                            bool parse_special) const {
  const Impl& v = *impl_;
  // Symbol links are 32-bit; no prompt comes near this.
  if (text.size() >= 0x7FFFFFFF) {
    throw Error(Error::Kind::Argument, "text of " + std::to_string(text.size()) +
                                           " bytes is too long to tokenize", v.source);
  }
  std::vector<std::int32_t> out;
  out.reserve(text.size() / 2 + 2);
  if (add_special && v.add_bos) out.push_back(v.bos);
  bool prev_special = true;  // SPM: a space goes before text at the start or after a special
  std::string buf;
  for (const Fragment& f : partition(v, text, parse_special)) {
    if (f.id >= 0) {
      out.push_back(f.id);
      prev_special = true;
      continue;
    }
    const std::string_view piece = text.substr(f.offset, f.length);
    if (v.kind == TokenizerKind::Spm) {
      buf.clear();
      if (v.add_space_prefix && prev_special) buf += kSpaceMark;
      for (char c : piece) {
        if (c == ' ') {
          buf += kSpaceMark;
        } else {
          buf += c;
        }
      }
      tokenizer::spm_encode(v, buf, out);
    } else {
      tokenizer::bpe_encode(v, piece, out);
    }
    prev_special = false;
  }
  if (add_special && v.add_eos) out.push_back(v.eos);
  return out;
}

Tokenizer::Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

std::int32_t Tokenizer::Impl::find_merge(std::string_view left, std::string_view right,
                                         std::string& scratch) const {
  scratch.assign(left);
  scratch += ' ';
  scratch += right;
  return merge_index.find(merges, scratch);
}

void Tokenizer::Impl::check_id(std::int32_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= texts.size()) {
    throw Error(Error::Kind::Argument,
                "token id " + std::to_string(id) + " is outside the vocabulary (" +
                    std::to_string(texts.size()) + " tokens)",
                source);
  }
}

}  // namespace slm
