// Compact storage of what a float training step keeps from forward for backward: spikes as bits
// (exact: float spikes are 0 or 1) and membrane potentials as bfloat16 (8 significant bits,
// rounded to nearest even, or one step back where that crossed the threshold; the surrogate
// derivative read from it moves by well under 1%).
// Double precision (the gradient checks) keeps everything exactly.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace nm::train {

inline std::uint16_t to_bf16(float x) {
    const std::uint32_t u = std::bit_cast<std::uint32_t>(x);
    return static_cast<std::uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}
inline float from_bf16(std::uint16_t h) {
    return std::bit_cast<float>(std::uint32_t{h} << 16);
}

// x as bfloat16 on the same side of the threshold as x itself: where rounding crossed it, one
// step back toward x (which then lies between the two). A neuron's spike, x >= threshold, can
// then be read again from the kept potential, and needs no bits of its own.
inline std::uint16_t to_bf16_on_side(float x, float threshold) {
    const std::uint16_t h = to_bf16(x);
    const float r = from_bf16(h);
    const bool crossed = (r >= threshold) != (x >= threshold);
    const bool up = r < x, negative = (h & 0x8000u) != 0;
    return static_cast<std::uint16_t>(h + (crossed ? (up != negative ? 1 : -1) : 0));
}

// Bit k of words[k / 64] set where x[k] != 0, for k < n (the last word's rest cleared); returns
// whether every value is 0 or 1.
bool pack_bits(const float* x, std::size_t n, std::uint64_t* words);

} // namespace nm::train
