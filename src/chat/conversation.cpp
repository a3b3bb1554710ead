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
  // Advance to where the template closes the reply; that closing stays unseen and opens the
  // next add_user() text. (The rendered reply may differ from the generated one in whitespace:
  // some templates trim it. The session keeps what was generated.)
  messages_.push_back({"assistant", std::string(content)});
  const std::string text = render_chat(format_, messages_, false);
  const std::string_view end = chat_detail::assistant_turn_end(format_.kind);
  if (text.size() < end.size() || text.compare(text.size() - end.size(), end.size(), end) != 0 ||
      text.size() - end.size() < fed_)
    throw Error(Error::Kind::Argument, "chat: the reply does not render as expected for this format");
  fed_ = text.size() - end.size();
}

}  // namespace slm
