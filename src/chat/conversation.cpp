// Conversation: renders the whole history each turn and hands out only the unseen suffix.
// This relies on a property all supported layouts have: rendering a prefix of the messages with
// the generation prompt yields a prefix of rendering them all, and an assistant message
// renders as (generation prompt) + content + (closing of the turn).
#include <string>

#include "chat/text.hpp"
#include "slm/chat.hpp"
#include "slm/error.hpp"

namespace slm {

Conversation::Conversation(ChatFormat format, std::string system) : format_(std::move(format)) {
  if (format_.kind == ChatTemplate::None)
    throw Error(Error::Kind::Argument, "chat: the model has no chat template (use --chat-template NAME)");
  if (!system.empty()) messages_.push_back({"system", std::move(system)});
}

std::string Conversation::add_user(std::string_view content) {
  messages_.push_back({"user", std::string(content)});
  std::string text = render_chat(format_, messages_, true);
  if (fed_ > text.size())
    throw Error(Error::Kind::Argument, "chat: conversation history no longer renders as a prefix");
  std::string fresh = text.substr(fed_);
  fed_ = text.size();
  return fresh;
}

void Conversation::add_assistant(std::string_view content) {
  // The session already holds the reply's tokens (up to, not including, its end-of-turn token).
  // Advance past the reply as the template renders it; the turn's closing stays unseen and
  // opens the next add_user() text.
  const std::string rendered = chat_detail::trims_content(format_.kind) ? chat_detail::trim(content)
                                                                          : std::string(content);
  messages_.push_back({"assistant", std::string(content)});
  fed_ += rendered.size();
}

}  // namespace slm
