// Uses only the installed public headers (include/slm/): throws and catches slm::Error and
// prints its one-line form, which exercises code compiled into the installed libslm.
#include <cstdio>
#include <cstring>

#include "slm/error.hpp"

int main() {
  try {
    throw slm::Error(slm::Error::Kind::Format, "bad magic", "model.gguf", "general.architecture", 4);
  } catch (const slm::Error& e) {
    const char* want = "model.gguf: at offset 4: 'general.architecture': bad magic";
    if (std::strcmp(e.what(), want) != 0 || e.kind() != slm::Error::Kind::Format || e.offset() != 4) {
      std::fprintf(stderr, "unexpected error text: %s\n", e.what());
      return 1;
    }
    std::printf("consumer ok: %s (kind %s)\n", e.what(), slm::to_string(e.kind()));
    return 0;
  }
}
