#pragma once
// slm — the whole public API in one include.
//
//   #include <slm/slm.hpp>
//   slm::Model model = slm::Model::load("models/gemma-3-270m-q4_k_m.gguf");
//   slm::Session session(model);
//   auto prompt = model.tokenizer().encode(
//       slm::render_chat(slm::chat_format_of(model), std::vector<slm::ChatMessage>{{"user", "Hi!"}}, true),
//       /*add_special=*/true, /*parse_special=*/true);
//   slm::generate(session, model.tokenizer(), prompt, {}, [](std::string_view piece) { ...; return true; });

// Kept equal to project(slm VERSION ...) in the top-level CMakeLists.txt.
#define SLM_VERSION_MAJOR 0
#define SLM_VERSION_MINOR 1
#define SLM_VERSION_PATCH 0
#define SLM_VERSION "0.1.0"

#include "slm/arch.hpp"
#include "slm/chat.hpp"
#include "slm/error.hpp"
#include "slm/generate.hpp"
#include "slm/model.hpp"
#include "slm/sampler.hpp"
#include "slm/session.hpp"
#include "slm/tokenizer.hpp"
