// exp and (1 - e^{-x})/x written as straight-line arithmetic, so that a neuron loop calling them
// per neuron stays vectorisable (a libm call keeps the whole loop scalar). Accuracy: within
// 2 ulp of std::exp on [-700, 700] (tests/unit/exp_lanes_test.cpp).
//
// exp: x = n·ln2 + r with |r| ≤ ln2/2, e^r by its Taylor polynomial to degree 12 (truncation
// below 2e-16 relative), 2^n added to the result's exponent bits. n comes out of the rounding
// constant 1.5·2^52 (its low mantissa bits hold n after the addition), so no float-to-integer
// conversion is needed (SSE2 has none for 64-bit lanes).
#pragma once

#include "core/hd.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>

namespace nm {

NM_HD_INLINE double exp_lanes(double x) {
    constexpr double log2e = 1.4426950408889634074;
    constexpr double ln2_hi = 6.93147180369123816490e-01; // ln2 with its low 32 bits cleared
    constexpr double ln2_lo = 1.90821492927058770002e-10;
    constexpr double round = 0x1.8p52;
    x = std::clamp(x, -700.0, 700.0);
    const double shifted = x * log2e + round;
    const double n = shifted - round;
    const double r = (x - n * ln2_hi) - n * ln2_lo;
    double p = 1.0 / 479001600.0; // 1/12!
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    const std::uint64_t scale = std::bit_cast<std::uint64_t>(shifted) << 52;
    return std::bit_cast<double>(std::bit_cast<std::uint64_t>(p) + scale);
}

// (1 - e^{-x})/x for x ≥ 0, the gain of an exponential step; → 1 as x → 0, where the direct
// form cancels (below x = 1e-3 the series to x^5 is exact to 1e-18).
NM_HD_INLINE double one_minus_exp_over(double x) {
    const double series =
        1.0 - x * (1.0 / 2 - x * (1.0 / 6 - x * (1.0 / 24 - x * (1.0 / 120 - x * (1.0 / 720)))));
    const double direct = (1.0 - exp_lanes(-x)) / std::max(x, 1e-3);
    return x > 1e-3 ? direct : series;
}

// The same gain for |x| ≤ short_gain_limit from the (4,4) Padé approximant of e^{-x}, whose
// 1 − R(x) has the factor x: (1 + x²/42) / (1 + x/2 + 3x²/28 + x³/84 + x⁴/1680), no exponential
// and no cancellation. Relative error below 2e-10 on that range (tests/unit/exp_lanes_test.cpp),
// four orders under the local error of the second-order conductance step that uses it.
inline constexpr double short_gain_limit = 0.5;

NM_HD_INLINE double one_minus_exp_over_short(double x) {
    const double numerator = 1.0 + x * x * (1.0 / 42);
    return numerator / (1.0 + x * (1.0 / 2 + x * (3.0 / 28 + x * (1.0 / 84 + x * (1.0 / 1680)))));
}

} // namespace nm
