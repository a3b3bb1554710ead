// Rendering messages in each family's chat layout. The layouts (including which ones trim the
// message text) follow the templates shipped with the models, as llama.cpp's built-in
// renderer reproduces them (src/llama-chat.cpp, llm_chat_apply_template).
#include <string>

#include "chat/text.hpp"
#include "slm/chat.hpp"
#include "slm/error.hpp"

namespace slm {
namespace {

void check_role(const ChatMessage& m) {
  if (m.role != "system" && m.role != "user" && m.role != "assistant")
    throw Error(Error::Kind::Argument,
                "chat: unknown role '" + m.role + "' (expected system, user or assistant)");
}

void render_chatml(const ChatFormat& f, std::span<const ChatMessage> msgs, bool add_gen, std::string& out) {
  if (!f.default_system.empty() && (msgs.empty() || msgs.front().role != "system"))
    out += "<|im_start|>system\n" + f.default_system + "<|im_end|>\n";
  for (const auto& m : msgs) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
  if (add_gen) out += "<|im_start|>assistant\n";
}

void render_gemma(std::span<const ChatMessage> msgs, bool add_gen, std::string& out) {
  // Gemma has no system role: the system text opens the next user turn.
  std::string system;
  for (const auto& m : msgs) {
    if (m.role == "system") {
      system += chat_detail::trim(m.content);
      continue;
    }
    const std::string role = m.role == "assistant" ? "model" : m.role;
    out += "<start_of_turn>" + role + "\n";
    if (!system.empty() && role != "model") {
      out += system + "\n\n";
      system.clear();
    }
    out += chat_detail::trim(m.content) + "<end_of_turn>\n";
  }
  if (add_gen) out += "<start_of_turn>model\n";
}

void render_llama3(std::span<const ChatMessage> msgs, bool add_gen, std::string& out) {
  for (const auto& m : msgs)
    out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + chat_detail::trim(m.content) + "<|eot_id|>";
  if (add_gen) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
}

void render_llama2(bool sys_tags, std::span<const ChatMessage> msgs, std::string& out) {
  // BOS opens the first turn through the tokenizer; later turns follow the previous "</s>".
  // There is no generation prompt: the model answers right after "[/INST]".
  bool inside_turn = true;
  out += "[INST] ";
  for (const auto& m : msgs) {
    if (!inside_turn) {
      inside_turn = true;
      out += "[INST] ";
    }
    if (m.role == "system") {
      out += sys_tags ? "<<SYS>>\n" + m.content + "\n<</SYS>>\n\n" : m.content + "\n";
    } else if (m.role == "user") {
      out += m.content + " [/INST]";
    } else {
      out += m.content + "</s>";
      inside_turn = false;
    }
  }
}

void render_mistral_v3(std::span<const ChatMessage> msgs, std::string& out) {
  // The published template puts the system text before the LAST user message; like llama.cpp we
  // put it in the first turn, so that earlier turns never change (Conversation relies on it).
  bool inside_turn = false;
  for (const auto& m : msgs) {
    if (!inside_turn) {
      out += "[INST] ";
      inside_turn = true;
    }
    if (m.role == "system") {
      out += m.content + "\n\n";
    } else if (m.role == "user") {
      out += m.content + "[/INST]";
    } else {
      out += " " + chat_detail::trim(m.content) + "</s>";
      inside_turn = false;
    }
  }
}

}  // namespace

namespace chat_detail {

std::string trim(std::string_view s) {
  const char* ws = " \t\n\r\f\v";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

std::string_view assistant_turn_end(ChatTemplate t) noexcept {
  switch (t) {
    case ChatTemplate::ChatML: return "<|im_end|>\n";
    case ChatTemplate::Gemma: return "<end_of_turn>\n";
    case ChatTemplate::Llama3: return "<|eot_id|>";
    case ChatTemplate::Llama2:
    case ChatTemplate::Llama2Sys:
    case ChatTemplate::MistralV3: return "</s>";
    case ChatTemplate::None: break;
  }
  return {};
}

}  // namespace chat_detail

std::string render_chat(const ChatFormat& format, std::span<const ChatMessage> messages, bool add_generation_prompt) {
  for (const auto& m : messages) check_role(m);
  std::string out;
  switch (format.kind) {
    case ChatTemplate::None:
      throw Error(Error::Kind::Argument, "chat: the model has no chat template (use --chat-template NAME)");
    case ChatTemplate::ChatML:
      render_chatml(format, messages, add_generation_prompt, out);
      break;
    case ChatTemplate::Gemma:
      render_gemma(messages, add_generation_prompt, out);
      break;
    case ChatTemplate::Llama3:
      render_llama3(messages, add_generation_prompt, out);
      break;
    case ChatTemplate::Llama2:
    case ChatTemplate::Llama2Sys:
      render_llama2(format.kind == ChatTemplate::Llama2Sys, messages, out);
      break;
    case ChatTemplate::MistralV3:
      render_mistral_v3(messages, out);
      break;
  }
  return out;
}

}  // namespace slm
