#pragma once
// Small text helpers shared by the chat renderer and Conversation.
#include <string>
#include <string_view>

#include "slm/chat.hpp"

namespace slm::chat_detail {

// Strips leading and trailing ASCII whitespace, as the templates' `| trim` / `.strip()` do.
std::string trim(std::string_view s);
// What closes an assistant message in the family's layout (what follows the reply's text).
std::string_view assistant_turn_end(ChatTemplate t) noexcept;

}  // namespace slm::chat_detail
