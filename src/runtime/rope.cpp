// RoPE angles per position. Built exactly as llama.cpp's rope cache builds them, by repeated
// f32 multiplication theta_{i+1} = theta_i * base^(-2/n_rot) starting from theta_0 = pos, then
// divided by the frequency factor and multiplied by the linear scale. Computing
// pos * base^(-2i/n_rot) in double instead changes the last bits of the angle, which the tiny
// random golden models amplify into visible logit differences.
#include "runtime/state.hpp"

namespace slm::runtime {

void rope_angles(const RopeFreqs& f, float pos, std::int64_t n_pairs, float* angles) {
  float theta = pos;
  for (std::int64_t i = 0; i < n_pairs; ++i) {
    angles[i] = f.freq_scale * (f.factors ? theta / f.factors[i] : theta);
    theta *= f.theta_scale;
  }
}

}  // namespace slm::runtime
