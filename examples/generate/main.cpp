// Load a model, format a question with the model's chat template, stream the answer.
//   slm_generate MODEL.gguf "question" [max_tokens]
#include <slm/slm.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL.gguf PROMPT [MAX_TOKENS]   (slm %s)\n", argv[0], SLM_VERSION);
    return 2;
  }
  try {
    slm::Model model = slm::Model::load(argv[1]);
    const slm::Tokenizer& tokenizer = model.tokenizer();
    slm::Session session(model);

    // Instruction models get their chat format; others complete the raw text.
    const slm::ChatFormat format = slm::chat_format_of(model);
    std::string text = argv[2];
    if (format.kind != slm::ChatTemplate::None) {
      const std::vector<slm::ChatMessage> messages = {{"user", argv[2]}};
      text = slm::render_chat(format, messages, /*add_generation_prompt=*/true);
    }
    const std::vector<std::int32_t> prompt = tokenizer.encode(text, /*add_special=*/true, /*parse_special=*/true);

    slm::GenerateOptions options;
    options.max_tokens = argc > 3 ? std::atoi(argv[3]) : 128;
    options.sampler.temperature = 0.0f;  // greedy: the same answer every run

    const slm::GenerateStats stats =
        slm::generate(session, tokenizer, prompt, options, [](std::string_view piece) {
          std::fwrite(piece.data(), 1, piece.size(), stdout);
          std::fflush(stdout);
          return true;
        });
    std::fprintf(stderr, "\n[%d prompt tokens, %d generated, %.1f tokens/s, stopped: %s]\n", stats.prompt_tokens,
                 stats.generated_tokens, stats.tokens_per_second, slm::to_string(stats.stop_reason));
    return 0;
  } catch (const slm::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
