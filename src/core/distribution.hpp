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

enum class distribution_kind { uniform, normal, normal_clipped, lognormal };

// The kind of a checked distribution (resolve it once, outside loops over synapses).
inline distribution_kind kind_of(const distribution& d) {
    if (d.kind == "uniform") return distribution_kind::uniform;
    if (d.kind == "normal") return distribution_kind::normal;
    if (d.kind == "lognormal") return distribution_kind::lognormal;
    return distribution_kind::normal_clipped;
}

// The value keyed (a, b, slot) of `rng`; normal_clipped redraws until inside [low, high], its
// attempts numbered in the high bits of the slot word. `first_normal`, when given, is the
// standard normal of the normal-based kinds' first try (a caller drawing two values from one
// Box-Muller pair); a clipped value outside its range redraws from the keyed attempts.
inline double draw(const distribution& d, distribution_kind kind, const rng_stream& rng,
                   std::uint32_t a, std::uint32_t b, std::uint32_t slot,
                   const double* first_normal = nullptr) {
    switch (kind) {
    case distribution_kind::uniform:
        return d.low + (d.high - d.low) * rng.uniform(a, b, slot);
    case distribution_kind::normal:
        return d.mean + d.std * (first_normal ? *first_normal : rng.normal(a, b, slot));
    case distribution_kind::lognormal:
        return std::exp(d.mu + d.sigma * (first_normal ? *first_normal : rng.normal(a, b, slot)));
    case distribution_kind::normal_clipped:
        break;
    }
    if (first_normal) {
        const double x = d.mean + d.std * *first_normal;
        if (x >= d.low && x <= d.high) return x;
    }
    for (std::uint32_t attempt = 0;; ++attempt) {
        const double x = d.mean + d.std * rng.normal(a, b, slot | ((attempt + 1) << 8));
        if (x >= d.low && x <= d.high) return x;
    }
}

inline double draw(const distribution& d, const rng_stream& rng, std::uint32_t a, std::uint32_t b,
                   std::uint32_t slot) {
    return draw(d, kind_of(d), rng, a, b, slot);
}

} // namespace nm
