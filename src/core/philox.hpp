// Philox4x32-10 counter-based RNG (Salmon et al., SC'11): a random word is a pure function of
// (key, counter), so a draw keyed by (seed, stream, neuron, step) is the same for any thread
// count, rank count or backend.
#pragma once

#include "core/hd.hpp"

#include <cmath>
#include <cstdint>

namespace nm {

struct philox_block {
    std::uint32_t w[4];
};

NM_HD philox_block philox4x32(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2,
                              std::uint32_t c3, std::uint32_t k0, std::uint32_t k1) {
    constexpr std::uint32_t m0 = 0xD2511F53u, m1 = 0xCD9E8D57u;
    constexpr std::uint32_t w0 = 0x9E3779B9u, w1 = 0xBB67AE85u;
    for (int round = 0; round < 10; ++round) {
        const std::uint64_t p0 = std::uint64_t{m0} * c0;
        const std::uint64_t p1 = std::uint64_t{m1} * c2;
        const auto hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
        const auto hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += w0;
        k1 += w1;
    }
    return {{c0, c1, c2, c3}};
}

// Uniform in [0, 1) with 24 bits (exact in float and double).
NM_HD double to_unit(std::uint32_t x) { return (x >> 8) * (1.0 / 16777216.0); }

// Uniform in (0, 1): safe for log().
NM_HD double to_open_unit(std::uint32_t x) { return ((x >> 8) + 0.5) * (1.0 / 16777216.0); }

// Uniform in [0, 1) with 53 bits from two words.
NM_HD double to_unit53(std::uint32_t hi, std::uint32_t lo) {
    return ((std::uint64_t{hi} << 21) ^ (lo >> 11)) * (1.0 / 9007199254740992.0);
}

// A named source of random numbers: one seed and one stream (a population, a stimulus, a
// projection...), indexed by (index, step, slot). Every draw is independent of evaluation order.
class rng_stream {
public:
    rng_stream() = default;
    rng_stream(std::uint64_t seed, std::uint32_t stream)
        : k0_(static_cast<std::uint32_t>(seed)), k1_(static_cast<std::uint32_t>(seed >> 32)),
          stream_(stream) {}

    NM_HD philox_block block(std::uint32_t index, std::uint32_t step, std::uint32_t slot = 0) const {
        return philox4x32(index, step, stream_, slot, k0_, k1_);
    }

    NM_HD double uniform(std::uint32_t index, std::uint32_t step, std::uint32_t slot = 0) const {
        const philox_block b = block(index, step, slot);
        return to_unit53(b.w[0], b.w[1]);
    }

    // Standard normal by Box-Muller over one block.
    NM_HD double normal(std::uint32_t index, std::uint32_t step, std::uint32_t slot = 0) const {
        const philox_block b = block(index, step, slot);
        const double u1 = to_unit53(b.w[0], b.w[1]);
        const double u2 = to_unit53(b.w[2], b.w[3]);
        return std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(6.283185307179586 * u2);
    }

private:
    std::uint32_t k0_ = 0, k1_ = 0, stream_ = 0;
};

} // namespace nm

namespace nm {

// Stream numbers: what the randomness is for, and which population/stimulus/projection owns it.
enum class purpose : std::uint32_t { firing = 1, params, init, stimulus, connect, synapse };

inline std::uint32_t stream_id(purpose p, std::uint32_t owner) {
    return (static_cast<std::uint32_t>(p) << 24) | (owner & 0xFFFFFFu);
}

} // namespace nm
