// Chat format names and detection from a model's metadata.
#include <string>

#include "gguf/reader.hpp"
#include "slm/chat.hpp"
#include "slm/error.hpp"
#include "slm/model.hpp"

namespace slm {
namespace {

struct NamedTemplate {
  const char* name;
  ChatTemplate kind;
};
constexpr NamedTemplate kNames[] = {
    {"none", ChatTemplate::None},     {"chatml", ChatTemplate::ChatML}, {"gemma", ChatTemplate::Gemma},
    {"llama3", ChatTemplate::Llama3}, {"llama2", ChatTemplate::Llama2}, {"llama2-sys", ChatTemplate::Llama2Sys},
    {"mistral-v3", ChatTemplate::MistralV3},
};

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// SmolLM2's template inserts a fixed system turn when the first message is not a system one:
//   {% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are ...<|im_end|>\n' }}
// We take the text between "<|im_start|>system" + newline and "<|im_end|>" inside that branch.
// The newline may be a real one or a Jinja escape ("\n" as two characters).
std::string default_system_prompt(std::string_view tmpl) {
  const auto branch = tmpl.find("!= 'system'");
  if (branch == std::string_view::npos) return {};
  const auto endif = tmpl.find("endif", branch);
  const std::string_view marker = "<|im_start|>system";
  const auto start = tmpl.find(marker, branch);
  if (start == std::string_view::npos || start > endif) return {};
  std::size_t body = start + marker.size();
  if (tmpl.substr(body, 1) == "\n") {
    body += 1;
  } else if (tmpl.substr(body, 2) == "\\n") {
    body += 2;
  } else {
    return {};
  }
  const auto stop = tmpl.find("<|im_end|>", body);
  if (stop == std::string_view::npos || stop > endif) return {};
  std::string text;
  for (std::size_t i = body; i < stop; ++i) {
    if (tmpl[i] == '\\' && i + 1 < stop && tmpl[i + 1] == 'n') {
      text += '\n';
      ++i;
    } else {
      text += tmpl[i];
    }
  }
  return text;
}

}  // namespace

const char* to_string(ChatTemplate t) noexcept {
  for (const auto& n : kNames)
    if (n.kind == t) return n.name;
  return "?";
}

ChatTemplate chat_template_from_name(std::string_view name) {
  if (name == "mistral") return ChatTemplate::Llama2;
  for (const auto& n : kNames)
    if (name == n.name) return n.kind;
  std::string known;
  for (const auto& n : kNames) known += std::string(known.empty() ? "" : ", ") + n.name;
  throw Error(Error::Kind::Argument,
              "unknown chat template '" + std::string(name) + "' (known: " + known + ", mistral)");
}

ChatFormat detect_chat_format(std::string_view tmpl, std::string_view architecture) {
  ChatFormat f;
  // Same precedence as llama.cpp's llm_chat_detect_template for these four families.
  if (contains(tmpl, "<|im_start|>")) {
    f.kind = ChatTemplate::ChatML;
    f.default_system = default_system_prompt(tmpl);
  } else if (contains(tmpl, "[INST]")) {
    // Mistral's v3 templates (tool blocks) drop the spaces around "[/INST]"; llama.cpp tells
    // them from v1 (" [INST]") and v3-tekken ("[INST]" without a trailing space) the same way.
    if (contains(tmpl, "[AVAILABLE_TOOLS]") && !contains(tmpl, " [INST]") && !contains(tmpl, "\"[INST]\"")) {
      f.kind = ChatTemplate::MistralV3;
    } else {
      f.kind = contains(tmpl, "<<SYS>>") ? ChatTemplate::Llama2Sys : ChatTemplate::Llama2;
    }
  } else if (contains(tmpl, "<start_of_turn>")) {
    f.kind = ChatTemplate::Gemma;
  } else if (contains(tmpl, "<|start_header_id|>")) {
    f.kind = ChatTemplate::Llama3;
  } else if (tmpl.empty() && architecture.rfind("gemma", 0) == 0) {
    // Gemma instruction models share one turn format; some GGUF conversions (Gemma 3 270M)
    // omit the template key.
    f.kind = ChatTemplate::Gemma;
  }
  f.declared = f.kind != ChatTemplate::None && !tmpl.empty();
  return f;
}

ChatFormat chat_format_of(const Model& model) {
  const auto& file = model.file();
  const std::string tmpl = file.get_optional<std::string>("tokenizer.chat_template").value_or("");
  const std::string arch = file.get_optional<std::string>("general.architecture").value_or("");
  return detect_chat_format(tmpl, arch);
}

}  // namespace slm
