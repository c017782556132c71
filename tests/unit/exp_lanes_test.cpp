// The vectorisable exp against libm: within 2 ulp over the clamped range, and the exponential
// step gain (1 - e^{-x})/x against expm1 on both sides of its series/direct switch, and its
// short (Padé) form within its bound.
#include "core/exp_lanes.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace {

double ulps(double got, double want) {
    return std::fabs(got - want) / (std::numeric_limits<double>::epsilon() * std::fabs(want));
}

TEST(exp_lanes, within_two_ulp_of_libm) {
    double worst = 0.0;
    for (double x = -700.0; x <= 700.0; x += 0.0137)
        worst = std::max(worst, ulps(nm::exp_lanes(x), std::exp(x)));
    for (double x = -1.0; x <= 1.0; x += 1.3e-5)
        worst = std::max(worst, ulps(nm::exp_lanes(x), std::exp(x)));
    EXPECT_LT(worst, 2.0);
    EXPECT_EQ(nm::exp_lanes(0.0), 1.0);
}

TEST(exp_lanes, clamps_instead_of_overflowing) {
    EXPECT_GT(nm::exp_lanes(-1e4), 0.0);
    EXPECT_LT(nm::exp_lanes(-1e4), 1e-300);
    EXPECT_TRUE(std::isfinite(nm::exp_lanes(1e4)));
}

TEST(exp_lanes, step_gain_matches_expm1) {
    EXPECT_EQ(nm::one_minus_exp_over(0.0), 1.0);
    for (double x : {1e-12, 1e-6, 9.99e-4, 1e-3, 1.001e-3, 0.01, 0.5, 3.0, 40.0, 800.0}) {
        const double want = -std::expm1(-x) / x;
        EXPECT_NEAR(nm::one_minus_exp_over(x), want, 1e-12 * want) << "x = " << x;
    }
}

TEST(exp_lanes, short_step_gain_within_its_bound) {
    double worst = 0.0;
    const double limit = nm::short_gain_limit;
    for (double x = -limit; x <= limit; x += limit / 4096) {
        const double want = x == 0.0 ? 1.0 : -std::expm1(-x) / x;
        worst = std::max(worst, std::fabs(nm::one_minus_exp_over_short(x) / want - 1.0));
    }
    EXPECT_LT(worst, 2e-10);
    EXPECT_GT(worst, 1e-11); // the bound is the approximation's, not rounding's
    // Beyond the limit it drifts away: the caller must check the range.
    EXPECT_GT(std::fabs(nm::one_minus_exp_over_short(4.0) / (-std::expm1(-4.0) / 4.0) - 1.0), 1e-5);
}

} // namespace
