#pragma once
// Small text helpers shared by the chat renderer and Conversation.
#include <string>
#include <string_view>

#include "slm/chat.hpp"

namespace slm::chat_detail {

// Strips leading and trailing ASCII whitespace, as the templates' `| trim` / `.strip()` do.
std::string trim(std::string_view s);
// Whether the family's template trims message text (so a message's rendered length may differ).
bool trims_content(ChatTemplate t) noexcept;

}  // namespace slm::chat_detail
