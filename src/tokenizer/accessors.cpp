// Tokenizer's per-token and per-vocabulary accessors.

#include <algorithm>

#include "tokenizer/tokenizer_impl.hpp"

namespace slm {

std::string Tokenizer::token_to_piece(std::int32_t id, bool render_special) const {
  impl_->check_id(id);
  return impl_->make_piece(id, render_special);
}

std::string_view Tokenizer::piece(std::int32_t id) const {
  impl_->check_id(id);
  return impl_->pieces[id];
}

std::string_view Tokenizer::text(std::int32_t id) const {
  impl_->check_id(id);
  return impl_->texts[id];
}

float Tokenizer::score(std::int32_t id) const {
  impl_->check_id(id);
  return impl_->scores[id];
}

std::int32_t Tokenizer::find(std::string_view text) const noexcept { return impl_->find(text); }

bool Tokenizer::is_control(std::int32_t id) const noexcept {
  return id >= 0 && static_cast<std::size_t>(id) < impl_->size() &&
         (impl_->attrs[id] & kAttrControl);
}
bool Tokenizer::is_byte(std::int32_t id) const noexcept {
  return id >= 0 && static_cast<std::size_t>(id) < impl_->size() &&
         (impl_->attrs[id] & kAttrByte);
}
bool Tokenizer::is_end_of_generation(std::int32_t id) const noexcept {
  return std::binary_search(impl_->eog_ids.begin(), impl_->eog_ids.end(), id);
}
const std::vector<std::int32_t>& Tokenizer::end_of_generation_ids() const noexcept {
  return impl_->eog_ids;
}
std::int32_t Tokenizer::bos() const noexcept { return impl_->bos; }
std::int32_t Tokenizer::eos() const noexcept { return impl_->eos; }
std::int32_t Tokenizer::eot() const noexcept { return impl_->eot; }
std::int32_t Tokenizer::unk() const noexcept { return impl_->unk; }
std::int32_t Tokenizer::pad() const noexcept { return impl_->pad; }
bool Tokenizer::add_bos() const noexcept { return impl_->add_bos; }
bool Tokenizer::add_eos() const noexcept { return impl_->add_eos; }
bool Tokenizer::add_space_prefix() const noexcept { return impl_->add_space_prefix; }
bool Tokenizer::clean_spaces() const noexcept { return impl_->clean_spaces; }
std::size_t Tokenizer::size() const noexcept { return impl_->size(); }
TokenizerKind Tokenizer::kind() const noexcept { return impl_->kind; }
const std::string& Tokenizer::pre() const noexcept { return impl_->pre_name; }
const std::vector<std::string>& Tokenizer::warnings() const noexcept { return impl_->warnings; }

}  // namespace slm
