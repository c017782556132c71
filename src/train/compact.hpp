// Compact storage of what a float training step keeps from forward for backward: spikes as bits
// (exact: float spikes are 0 or 1) and membrane potentials as bfloat16 (8 significant bits,
// rounded to nearest even; the surrogate derivative read from it moves by well under 1%).
// Double precision (the gradient checks) keeps everything exactly.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace nm::train {

inline std::uint16_t to_bf16(float x) {
    const std::uint32_t u = std::bit_cast<std::uint32_t>(x);
    return static_cast<std::uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}
inline float from_bf16(std::uint16_t h) {
    return std::bit_cast<float>(std::uint32_t{h} << 16);
}

// Bit k of words[k / 64] set where x[k] != 0, for k < n (the last word's rest cleared); returns
// whether every value is 0 or 1.
bool pack_bits(const float* x, std::size_t n, std::uint64_t* words);

// A [T·B·n] array of 0/1 values as bits.
class spike_bits {
public:
    // A word at a time, built and read in a register.
    template<class Real>
    void pack(const Real* s, std::size_t n) {
        bits_.resize((n + 63) / 64);
        size_ = n;
        if constexpr (std::is_same_v<Real, float>) {
            pack_bits(s, n, bits_.data());
            return;
        }
        for (std::size_t w = 0; w < bits_.size(); ++w) {
            const std::size_t base = w * 64, count = n - base < 64 ? n - base : 64;
            std::uint64_t word = 0;
            for (std::size_t b = 0; b < count; ++b)
                word |= static_cast<std::uint64_t>(s[base + b] != 0) << b;
            bits_[w] = word;
        }
    }
    template<class Real>
    void unpack(Real* s) const {
        for (std::size_t w = 0; w < bits_.size(); ++w) {
            const std::size_t base = w * 64, count = size_ - base < 64 ? size_ - base : 64;
            const std::uint64_t word = bits_[w];
            for (std::size_t b = 0; b < count; ++b)
                s[base + b] = static_cast<Real>((word >> b) & 1);
        }
    }
    // Values k .. k + count - 1 into s; whole words through 32-bit halves, whose fixed-count
    // loops vectorise (the neuron loops' backward unpacks a row per step).
    template<class Real>
    void unpack(std::size_t k, std::size_t count, Real* s) const {
        std::size_t i = 0;
        for (; i < count && (k + i) % 64 != 0; ++i) s[i] = static_cast<Real>(at(k + i));
        for (; i + 64 <= count; i += 64)
            for (std::size_t half = 0; half < 2; ++half) {
                const auto word = static_cast<std::uint32_t>(bits_[(k + i) / 64] >> (32 * half));
                Real* out = s + i + 32 * half;
                for (unsigned b = 0; b < 32; ++b) out[b] = static_cast<Real>((word >> b) & 1u);
            }
        for (; i < count; ++i) s[i] = static_cast<Real>(at(k + i));
    }
    // Filling in place: reset to n zeros, then set the ones.
    void reset(std::size_t n) {
        bits_.assign((n + 63) / 64, 0);
        size_ = n;
    }
    void set(std::size_t k, bool one) {
        bits_[k >> 6] |= static_cast<std::uint64_t>(one) << (k & 63);
    }
    bool at(std::size_t k) const { return (bits_[k >> 6] >> (k & 63)) & 1; }
    std::size_t bytes() const { return bits_.size() * sizeof(std::uint64_t); }

private:
    std::vector<std::uint64_t> bits_;
    std::size_t size_ = 0;
};

} // namespace nm::train
