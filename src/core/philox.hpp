// Philox4x32-10 counter-based RNG (Salmon et al., SC'11): a random word is a pure function of
// (key, counter), so a draw keyed by (seed, stream, neuron, step) is the same for any thread
// count, rank count or backend.
#pragma once

#include "core/hd.hpp"

#include <cmath>
#include <cstdint>

#if defined(__SSE2__) && !defined(__CUDACC__)
#include <emmintrin.h>
#endif

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

// Philox blocks for L consecutive first counter words (c0 + l, c1, c2, c3), equal to L calls of
// philox4x32, laid out block after block: out[4·l + w] is word w of block l (so with one block
// per four neurons, out[i] belongs to neuron i). Where many neighbouring neurons draw at once
// (Poisson drive) this runs four blocks per SSE2 register: the 32x32->64 multiplies of four
// lanes take two instructions.
template<int L>
inline void philox4x32_lanes(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2, std::uint32_t c3,
                             std::uint32_t k0, std::uint32_t k1, std::uint32_t (&out)[4 * L]) {
#if defined(__SSE2__) && !defined(__CUDACC__)
    static_assert(L % 4 == 0, "lanes come in groups of four");
    const __m128i m0 = _mm_set1_epi32(static_cast<int>(0xD2511F53u));
    const __m128i m1 = _mm_set1_epi32(static_cast<int>(0xCD9E8D57u));
    // The high and low 32-bit halves of the four products x·m, lane by lane.
    auto mul_hi_lo = [](__m128i x, __m128i m, __m128i& hi, __m128i& lo) {
        const __m128i even = _mm_mul_epu32(x, m);                    // lanes 0, 2
        const __m128i odd = _mm_mul_epu32(_mm_srli_epi64(x, 32), m); // lanes 1, 3
        const __m128i a = _mm_unpacklo_epi32(even, odd);             // lo0 lo1 hi0 hi1
        const __m128i b = _mm_unpackhi_epi32(even, odd);             // lo2 lo3 hi2 hi3
        lo = _mm_unpacklo_epi64(a, b);
        hi = _mm_unpackhi_epi64(a, b);
    };
    for (int g = 0; g < L; g += 4) {
        __m128i x0 =
            _mm_add_epi32(_mm_set1_epi32(static_cast<int>(c0 + g)), _mm_setr_epi32(0, 1, 2, 3));
        __m128i x1 = _mm_set1_epi32(static_cast<int>(c1));
        __m128i x2 = _mm_set1_epi32(static_cast<int>(c2));
        __m128i x3 = _mm_set1_epi32(static_cast<int>(c3));
        std::uint32_t a = k0, b = k1;
        for (int round = 0; round < 10; ++round) {
            __m128i hi0, lo0, hi1, lo1;
            mul_hi_lo(x0, m0, hi0, lo0);
            mul_hi_lo(x2, m1, hi1, lo1);
            x0 = _mm_xor_si128(_mm_xor_si128(hi1, x1), _mm_set1_epi32(static_cast<int>(a)));
            x1 = lo1;
            x2 = _mm_xor_si128(_mm_xor_si128(hi0, x3), _mm_set1_epi32(static_cast<int>(b)));
            x3 = lo0;
            a += 0x9E3779B9u;
            b += 0xBB67AE85u;
        }
        // Transpose words-by-lane into blocks: row l = (x0, x1, x2, x3) of lane l.
        const __m128i t0 = _mm_unpacklo_epi32(x0, x1), t1 = _mm_unpacklo_epi32(x2, x3);
        const __m128i t2 = _mm_unpackhi_epi32(x0, x1), t3 = _mm_unpackhi_epi32(x2, x3);
        auto* row = reinterpret_cast<__m128i*>(&out[4 * g]);
        _mm_storeu_si128(row + 0, _mm_unpacklo_epi64(t0, t1));
        _mm_storeu_si128(row + 1, _mm_unpackhi_epi64(t0, t1));
        _mm_storeu_si128(row + 2, _mm_unpacklo_epi64(t2, t3));
        _mm_storeu_si128(row + 3, _mm_unpackhi_epi64(t2, t3));
    }
#else
    for (int l = 0; l < L; ++l) {
        const philox_block blk = philox4x32(c0 + static_cast<std::uint32_t>(l), c1, c2, c3, k0, k1);
        for (int w = 0; w < 4; ++w) out[4 * l + w] = blk.w[w];
    }
#endif
}

// Uniform in [0, 1) with 24 bits (exact in float and double).
NM_HD double to_unit(std::uint32_t x) {
    return (x >> 8) * (1.0 / 16777216.0);
}

// Uniform in (0, 1): safe for log().
NM_HD double to_open_unit(std::uint32_t x) {
    return ((x >> 8) + 0.5) * (1.0 / 16777216.0);
}

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

    NM_HD philox_block block(std::uint32_t index, std::uint32_t step,
                             std::uint32_t slot = 0) const {
        return philox4x32(index, step, stream_, slot, k0_, k1_);
    }

    // The blocks of indices first .. first + L - 1 (same step and slot) at once.
    template<int L>
    void blocks(std::uint32_t first, std::uint32_t step, std::uint32_t (&out)[4 * L],
                std::uint32_t slot = 0) const {
        philox4x32_lanes<L>(first, step, stream_, slot, k0_, k1_, out);
    }

    NM_HD double uniform(std::uint32_t index, std::uint32_t step, std::uint32_t slot = 0) const {
        const philox_block b = block(index, step, slot);
        return to_unit53(b.w[0], b.w[1]);
    }

    // Standard normal by Box-Muller over one block (1 - u1 is exact and in (0, 1]: a plain log,
    // cheaper than log1p, is safe).
    NM_HD double normal(std::uint32_t index, std::uint32_t step, std::uint32_t slot = 0) const {
        const philox_block b = block(index, step, slot);
        const double u1 = to_unit53(b.w[0], b.w[1]);
        const double u2 = to_unit53(b.w[2], b.w[3]);
        return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(6.283185307179586 * u2);
    }

    std::uint32_t key0() const { return k0_; }
    std::uint32_t key1() const { return k1_; }
    std::uint32_t stream() const { return stream_; }

private:
    std::uint32_t k0_ = 0, k1_ = 0, stream_ = 0;
};

} // namespace nm

namespace nm {

// Stream numbers: what the randomness is for, and which population/stimulus/projection owns it.
enum class purpose : std::uint32_t {
    firing = 1,
    params,
    init,
    stimulus,
    connect,
    synapse,
    device_pulse,
    device_variation,
    device_read,
    trial_order,
    trial_input
};

inline std::uint32_t stream_id(purpose p, std::uint32_t owner) {
    return (static_cast<std::uint32_t>(p) << 24) | (owner & 0xFFFFFFu);
}

} // namespace nm
