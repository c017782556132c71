// Philox4x32-10 against Random123's known answers; uniform, normal and Poisson draws against
// their moments.
#include "core/philox.hpp"
#include "core/poisson.hpp"
#include "core/ziggurat.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace nm {
namespace {

TEST(philox, matches_random123_known_answers) {
    const philox_block zero = philox4x32(0, 0, 0, 0, 0, 0);
    EXPECT_EQ(zero.w[0], 0x6627e8d5u);
    EXPECT_EQ(zero.w[1], 0xe169c58du);
    EXPECT_EQ(zero.w[2], 0xbc57ac4cu);
    EXPECT_EQ(zero.w[3], 0x9b00dbd8u);
    const std::uint32_t f = 0xffffffffu;
    const philox_block ones = philox4x32(f, f, f, f, f, f);
    EXPECT_EQ(ones.w[0], 0x408f276du);
    EXPECT_EQ(ones.w[3], 0x6d5451fdu);
    const philox_block pi =
        philox4x32(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u);
    EXPECT_EQ(pi.w[0], 0xd16cfe09u);
    EXPECT_EQ(pi.w[1], 0x94fdccebu);
    EXPECT_EQ(pi.w[2], 0x5001e420u);
    EXPECT_EQ(pi.w[3], 0x24126ea1u);
}

TEST(philox, lanes_equal_single_blocks) {
    std::uint32_t words[4 * 8];
    philox4x32_lanes<8>(0xfffffffcu, 77, 5, 9, 0x12345678u, 0x9abcdef0u, words); // c0 wraps
    for (std::uint32_t l = 0; l < 8; ++l) {
        const philox_block b = philox4x32(0xfffffffcu + l, 77, 5, 9, 0x12345678u, 0x9abcdef0u);
        for (int w = 0; w < 4; ++w)
            EXPECT_EQ(words[4 * l + w], b.w[w]) << "lane " << l << " word " << w;
    }
}

TEST(philox, streams_and_seeds_differ) {
    const rng_stream a(1, 7), b(1, 8), c(2, 7);
    EXPECT_NE(a.uniform(3, 4), b.uniform(3, 4));
    EXPECT_NE(a.uniform(3, 4), c.uniform(3, 4));
    EXPECT_EQ(a.uniform(3, 4), rng_stream(1, 7).uniform(3, 4));
}

TEST(philox, uniform_and_normal_moments) {
    const rng_stream rng(42, 1);
    const int n = 200000;
    double su = 0, su2 = 0, sn = 0, sn2 = 0;
    for (int i = 0; i < n; ++i) {
        const double u = rng.uniform(i, 0), z = rng.normal(i, 1);
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
        su += u;
        su2 += u * u;
        sn += z;
        sn2 += z * z;
    }
    // Means within 4 standard errors; variances within 2%.
    EXPECT_NEAR(su / n, 0.5, 4 * std::sqrt(1.0 / 12 / n));
    EXPECT_NEAR(su2 / n - 0.25, 1.0 / 12, 0.02 / 12);
    EXPECT_NEAR(sn / n, 0.0, 4 / std::sqrt(n));
    EXPECT_NEAR(sn2 / n, 1.0, 0.02);
}

// The ziggurat against the normal distribution: the empirical CDF of 400,000 values (both of
// each pair) within the Kolmogorov-Smirnov bound at 0.1% (1.95/sqrt(n)), tail masses beyond
// 2, 3 and r = 3.44 (where the tail sampler takes over) within 4 standard errors, the two values
// of a pair uncorrelated, and the same values for the same keys.
TEST(ziggurat, values_follow_the_normal_distribution) {
    const rng_stream rng(7, 3);
    std::vector<double> z;
    double s01 = 0.0;
    for (std::uint32_t i = 0; i < 200000; ++i) {
        const auto [a, b] = ziggurat_pair(rng, i, 5, 3);
        z.push_back(a);
        z.push_back(b);
        s01 += a * b;
    }
    const auto n = static_cast<double>(z.size());
    EXPECT_NEAR(s01 / (n / 2), 0.0, 4 / std::sqrt(n / 2));
    std::sort(z.begin(), z.end());
    double ks = 0.0;
    for (std::size_t k = 0; k < z.size(); ++k) {
        const double cdf = 0.5 * std::erfc(-z[k] / std::sqrt(2.0));
        ks = std::max({ks, std::abs(cdf - k / n), std::abs(cdf - (k + 1) / n)});
    }
    EXPECT_LT(ks, 1.95 / std::sqrt(n));
    for (double edge : {2.0, 3.0, ziggurat_tables::r}) {
        const double p = std::erfc(edge / std::sqrt(2.0)); // P(|z| > edge)
        const auto beyond = static_cast<double>(
            std::count_if(z.begin(), z.end(), [&](double x) { return std::abs(x) > edge; }));
        EXPECT_NEAR(beyond / n, p, 4 * std::sqrt(p * (1 - p) / n)) << "edge " << edge;
    }
    EXPECT_EQ(ziggurat_pair(rng, 11, 5, 3), ziggurat_pair(rng, 11, 5, 3));
}

class poisson_means : public ::testing::TestWithParam<double> {};

TEST_P(poisson_means, mean_variance_and_zero_probability) {
    const double mean = GetParam();
    const poisson_sampler sample(mean);
    const rng_stream rng(3, 9);
    const int n = 400000;
    double s = 0, s2 = 0;
    int zeros = 0;
    for (int i = 0; i < n; ++i) {
        const double k = sample(rng.block(i, 0).w[0]);
        s += k;
        s2 += k * k;
        zeros += k == 0;
    }
    const double m = s / n, var = s2 / n - m * m;
    EXPECT_NEAR(m, mean, 4 * std::sqrt(mean / n));
    EXPECT_NEAR(var, mean, 0.02 * mean + 4 * std::sqrt(2.0 * mean * mean / n));
    const double p0 = std::exp(-mean);
    EXPECT_NEAR(static_cast<double>(zeros) / n, p0, 4 * std::sqrt(p0 * (1 - p0) / n) + 1e-9);
}

INSTANTIATE_TEST_SUITE_P(rates, poisson_means, ::testing::Values(0.05, 2.0, 30.0, 400.0));

TEST(poisson, zero_mean_gives_zero) {
    const poisson_sampler none(0.0);
    EXPECT_EQ(none(0xffffffffu), 0u);
    EXPECT_EQ(none(0u), 0u);
}

} // namespace
} // namespace nm
