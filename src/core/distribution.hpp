// Drawing per-neuron and per-synapse values from nm::distribution with counter-based randomness:
// value i of a stream is the same whatever order or thread draws it.
#pragma once

#include "core/philox.hpp"
#include "nm/errors.hpp"
#include "nm/experiment.hpp"

#include <cmath>
#include <string>

namespace nm {

// Throws bad_parameter naming `what` when the distribution's parameters are unusable.
inline void check_distribution(const distribution& d, const std::string& what) {
    auto fail = [&](const std::string& why) {
        throw bad_parameter(what + ": distribution \"" + d.kind + "\" " + why);
    };
    if (d.kind == "uniform") {
        if (!(d.low < d.high))
            fail("needs low < high (got low = " + std::to_string(d.low) +
                 ", high = " + std::to_string(d.high) + ")");
    } else if (d.kind == "normal") {
        if (!(d.std >= 0)) fail("needs std >= 0 (got " + std::to_string(d.std) + ")");
    } else if (d.kind == "normal_clipped") {
        if (!(d.std >= 0)) fail("needs std >= 0 (got " + std::to_string(d.std) + ")");
        if (!(d.low < d.high)) fail("needs low < high");
        if (d.high <= d.mean - 8 * d.std || d.low >= d.mean + 8 * d.std)
            fail("has [low, high] outside mean ± 8 std: no value can be drawn");
    } else if (d.kind == "lognormal") {
        if (!(d.sigma >= 0)) fail("needs sigma >= 0 (got " + std::to_string(d.sigma) + ")");
    } else {
        throw bad_parameter(what + ": unknown distribution \"" + d.kind +
                            "\"; valid: uniform, normal, normal_clipped, lognormal");
    }
}

// The value keyed (a, b, slot) of `rng`; normal_clipped redraws until inside [low, high], its
// attempts numbered in the high bits of the slot word.
inline double draw(const distribution& d, const rng_stream& rng, std::uint32_t a, std::uint32_t b,
                   std::uint32_t slot) {
    if (d.kind == "uniform") return d.low + (d.high - d.low) * rng.uniform(a, b, slot);
    if (d.kind == "normal") return d.mean + d.std * rng.normal(a, b, slot);
    if (d.kind == "lognormal") return std::exp(d.mu + d.sigma * rng.normal(a, b, slot));
    for (std::uint32_t attempt = 0;; ++attempt) {
        const double x = d.mean + d.std * rng.normal(a, b, slot | ((attempt + 1) << 8));
        if (x >= d.low && x <= d.high) return x;
    }
}

} // namespace nm
