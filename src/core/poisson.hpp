// Poisson counts for a fixed mean by table inversion: one 32-bit random word per draw. A guide
// table indexed by the word's top bits starts the search at the answer for all but the few
// cells that straddle a CDF step, so a draw is a lookup and one well-predicted comparison.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

namespace nm {

class poisson_sampler {
public:
    poisson_sampler() = default;
    explicit poisson_sampler(double mean) {
        if (mean <= 0) return;
        // threshold_[k] = P(X <= k) scaled to 2^32; the last one is 2^32 so every word stops.
        double p = std::exp(-mean), sum = p;
        for (std::uint32_t k = 1; 1.0 - sum > 1e-12 && k < 1'000'000; ++k) {
            threshold_.push_back(scaled(sum));
            p *= mean / k;
            sum += p;
        }
        threshold_.push_back(std::uint64_t{1} << 32);
        const int bits = std::max(10, static_cast<int>(std::bit_width(threshold_.size())) + 4);
        shift_ = 32 - std::min(bits, 24);
        guide_.resize(std::size_t{1} << (32 - shift_));
        std::uint32_t k = 0;
        for (std::size_t g = 0; g < guide_.size(); ++g) {
            const std::uint64_t lowest = std::uint64_t{g} << shift_;
            while (lowest >= threshold_[k]) ++k;
            guide_[g] = k;
        }
    }

    std::uint32_t operator()(std::uint32_t word) const {
        if (threshold_.empty()) return 0;
        std::uint32_t k = guide_[word >> shift_];
        while (word >= threshold_[k]) ++k;
        return k;
    }

    // P(X <= k) scaled to 2^32, k = 0, 1, ...: a draw is the first k whose threshold exceeds the
    // word (device backends search them directly).
    const std::vector<std::uint64_t>& thresholds() const { return threshold_; }

private:
    static std::uint64_t scaled(double cdf) {
        return static_cast<std::uint64_t>(std::min(cdf, 1.0) * 4294967296.0);
    }

    std::vector<std::uint64_t> threshold_;
    std::vector<std::uint32_t> guide_;
    int shift_ = 22;
};

} // namespace nm
