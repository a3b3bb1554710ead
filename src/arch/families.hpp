#pragma once
// The ArchSpec rows, one per file in this folder. registry.cpp lists them.

#include "slm/arch.hpp"

namespace slm::arch {

extern const ArchSpec kLlama;
extern const ArchSpec kQwen2;
extern const ArchSpec kGemma;
extern const ArchSpec kGemma2;
extern const ArchSpec kGemma3;

}  // namespace slm::arch
