// What the GPU kernels' tests share: random inputs (never zeros) and the relative error of a
// float result against the double-precision CPU layers.
#pragma once

#include "core/philox.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

namespace nm::test {

inline std::vector<float> random_values(std::size_t n, std::uint64_t seed, double low,
                                        double high) {
    const rng_stream rng(seed, 77);
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i] =
            static_cast<float>(low + (high - low) * rng.uniform(static_cast<std::uint32_t>(i), 0));
    return v;
}

// ‖a − b‖ / ‖b‖, with NaN anywhere failing.
inline double relative_error(const std::vector<float>& a, const std::vector<double>& b) {
    double d = 0, r = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (!std::isfinite(a[i])) return INFINITY;
        d += (a[i] - b[i]) * (a[i] - b[i]);
        r += b[i] * b[i];
    }
    return std::sqrt(d / r);
}

template<class Real>
std::vector<Real> cast(const std::vector<float>& v) {
    return std::vector<Real>(v.begin(), v.end());
}

} // namespace nm::test
