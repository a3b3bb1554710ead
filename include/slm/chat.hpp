#pragma once
// Chat formatting: messages → the prompt text an instruction-tuned model was trained on.
//
// Not a Jinja engine. GGUF files carry their Jinja template in `tokenizer.chat_template`; we
// recognise the family from marker substrings (as llama.cpp's built-in templates do) and render
// that family's layout in C++:
//   "<start_of_turn>"       → Gemma turns      (Gemma 1/2/3)
//   "<|start_header_id|>"   → Llama 3 headers  (Llama 3.x)
//   "<|im_start|>"          → ChatML           (Qwen2, SmolLM2, ...)
//   "[INST]"                → Llama 2 / Mistral ("<<SYS>>" selects the system block,
//                             "[AVAILABLE_TOOLS]" the Mistral v3 spacing)
// Without the key the architecture decides (gemma* → Gemma: Gemma 3 270M's file has no template).
// The rendered text never contains BOS: the tokenizer adds it as the model's metadata says.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace slm {

class Model;

enum class ChatTemplate {
  None,       // no chat format: text is passed through unchanged (base models)
  ChatML,     // <|im_start|>role\ncontent<|im_end|>\n
  Gemma,      // <start_of_turn>user\ncontent<end_of_turn>\n, "assistant" → "model"
  Llama3,     // <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>
  Llama2,     // [INST] content [/INST] (system text folded into the first turn; Mistral v0.1)
  Llama2Sys,  // [INST] <<SYS>>\nsystem\n<</SYS>>\n\ncontent [/INST]
  MistralV3,  // [INST] content[/INST] reply</s> (Mistral 7B v0.3: templates with [AVAILABLE_TOOLS])
};

struct ChatMessage {
  std::string role;  // "system", "user" or "assistant"
  std::string content;
};

struct ChatFormat {
  ChatTemplate kind = ChatTemplate::None;
  // System prompt the template inserts when the conversation has none (SmolLM2's template
  // does: "You are a helpful AI assistant named SmolLM, ..."); empty = none.
  std::string default_system;
  // True when the format was recognised in the file's tokenizer.chat_template, false when it was
  // inferred (architecture fallback) or forced. Instruction-tuned conversions carry a template;
  // a file without one is often a base model (gemma-3-270m is), which does not follow turns.
  bool declared = false;
};

// "none", "chatml", "gemma", "llama3", "llama2", "llama2-sys", "mistral-v3".
const char* to_string(ChatTemplate t) noexcept;
// Inverse of to_string (also accepts "mistral" = llama2). Throws slm::Error(Argument) listing
// the known names.
ChatTemplate chat_template_from_name(std::string_view name);

// Recognises the family from a `tokenizer.chat_template` string (may be empty: then
// `architecture`, the general.architecture value, decides). kind None if nothing matches.
ChatFormat detect_chat_format(std::string_view template_text, std::string_view architecture);
// detect_chat_format() on a loaded model's metadata.
ChatFormat chat_format_of(const Model& model);

// The prompt for `messages`; with add_generation_prompt it ends with the opening of the
// assistant's turn. Throws slm::Error(Argument) for ChatTemplate::None or an unknown role.
std::string render_chat(const ChatFormat& format, std::span<const ChatMessage> messages,
                        bool add_generation_prompt);

// A conversation kept in step with a Session: each user turn yields only the text that is new
// since the previous turn, so the session appends those tokens and keeps its KV cache.
//
//   Conversation c(format, system);
//   feed(c.add_user("Hi"));          // the whole prompt the first time
//   c.add_assistant(reply);          // what the session generated (already in its cache)
//   feed(c.add_user("And then?"));   // end of the reply's turn + the new user turn
class Conversation {
 public:
  explicit Conversation(ChatFormat format, std::string system = {});

  // Appends a user message; returns the text to feed the session next (ends with the
  // generation prompt).
  std::string add_user(std::string_view content);
  // Records the reply generated after the last add_user(). Its tokens are in the session already,
  // so the next add_user() starts after it.
  void add_assistant(std::string_view content);

  const std::vector<ChatMessage>& messages() const noexcept { return messages_; }
  const ChatFormat& format() const noexcept { return format_; }

 private:
  ChatFormat format_;
  std::vector<ChatMessage> messages_;
  std::size_t fed_ = 0;  // bytes of the rendered conversation the session has seen
};

}  // namespace slm
