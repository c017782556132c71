// LIF against closed-form solutions: firing period under constant current, subthreshold decay,
// IF ramps, reset kinds, graded spikes and escape-noise firing probabilities.
#include "helpers.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace nm::test {
namespace {

struct period_case {
    double current, t_ref;
};

class lif_period : public ::testing::TestWithParam<period_case> {};

// T = τ·ln(RI / (RI − θ)) + τ_ref (Gerstner et al. 2014, eq. 1.11), to within one step.
TEST_P(lif_period, matches_analytic_period_within_one_step) {
    const auto [current, t_ref] = GetParam();
    const double tau = 10.0, r = 1.0, theta = 1.0, dt = 0.1;
    experiment e = make_experiment(dt, 300.0);
    add_population(e, "n", 1, "lif",
                   params({{"tau_m", tau}, {"r", r}, {"v_th", theta}, {"t_ref", t_ref}}));
    add_stimulus(e, "dc", "n", params({{"amplitude", current}}));
    record(e, "spikes", "n");
    const run_result res = run(e);
    const auto steps = spike_steps(res, 0, 0);
    ASSERT_GE(steps.size(), 5u);
    const double analytic = tau * std::log(r * current / (r * current - theta)) + t_ref;
    for (std::size_t k = 1; k < steps.size(); ++k) {
        const double isi = (steps[k] - steps[k - 1]) * dt;
        EXPECT_GE(isi, analytic - 1e-9);
        EXPECT_LT(isi, analytic + dt);
    }
}

INSTANTIATE_TEST_SUITE_P(currents, lif_period,
                         ::testing::Values(period_case{1.1, 0.0}, period_case{1.5, 0.0},
                                           period_case{3.0, 0.0}, period_case{1.5, 2.0},
                                           period_case{5.0, 5.0}));

TEST(lif, subthreshold_decay_is_exponential_to_1e6) {
    const double tau = 20.0, v0 = 10.0;
    experiment e = make_experiment(0.1, 100.0);
    add_population(e, "n", 1, "lif", params({{"tau_m", tau}, {"v_th", 1e6}}), params({{"v", v0}}));
    record(e, "v", "n", {0}, 0.1);
    const run_result res = run(e);
    const trace_record& tr = res.traces.at(0);
    ASSERT_EQ(tr.times_ms.size(), 1000u);
    for (std::size_t k = 0; k < tr.times_ms.size(); ++k) {
        const double expected = v0 * std::exp(-tr.times_ms[k] / tau);
        EXPECT_NEAR(tr.values[k] / expected, 1.0, 1e-6) << "t = " << tr.times_ms[k];
    }
}

TEST(lif, relaxes_to_v_leak_plus_r_i) {
    experiment e = make_experiment(0.1, 200.0);
    add_population(
        e, "n", 1, "lif",
        params({{"tau_m", 5.0}, {"v_leak", -65.0}, {"r", 10.0}, {"v_th", 0.0}, {"v_reset", -70.0}}),
        params({{"v", -65.0}}));
    add_stimulus(e, "dc", "n", params({{"amplitude", 0.5}}));
    record(e, "v", "n", {0}, 1.0);
    const run_result res = run(e);
    EXPECT_NEAR(res.traces[0].values.back(), -65.0 + 10.0 * 0.5, 1e-9);
}

// dt = 0.125 ms and I = 3 make each IF step add exactly 0.375 (binary-exact arithmetic).
experiment if_ramp(const std::string& reset) {
    experiment e = make_experiment(0.125, 12.5); // 100 steps
    add_population(e, "n", 1, "lif", params({{"tau_m", INFINITY}, {"r", 1.0}, {"reset", reset}}));
    add_stimulus(e, "dc", "n", params({{"amplitude", 3.0}}));
    record(e, "spikes", "n");
    return e;
}

TEST(lif, if_neuron_integrates_r_i_dt) {
    experiment e = make_experiment(0.125, 8.0);
    add_population(e, "n", 1, "lif", params({{"tau_m", INFINITY}, {"v_th", 1e9}}));
    add_stimulus(e, "dc", "n", params({{"amplitude", 2.0}}));
    record(e, "v", "n", {0}, 0.125);
    const run_result res = run(e);
    for (std::size_t k = 0; k < res.traces[0].values.size(); ++k)
        EXPECT_DOUBLE_EQ(res.traces[0].values[k], 2.0 * 0.125 * (k + 1));
}

TEST(lif, soft_hard_and_no_reset_spike_counts) {
    // soft: floor(100 · 0.375) = 37; hard: a spike every ceil(1 / 0.375) = 3 steps → 33;
    // none: every step from the third on → 98.
    EXPECT_EQ(run(if_ramp("soft")).spikes.size(), 37u);
    EXPECT_EQ(run(if_ramp("hard")).spikes.size(), 33u);
    EXPECT_EQ(run(if_ramp("none")).spikes.size(), 98u);
}

TEST(lif, graded_spikes_are_floor_of_v_over_threshold_capped) {
    experiment e = make_experiment(0.1, 5.0);
    add_population(e, "n", 1, "lif",
                   params({{"tau_m", INFINITY}, {"n_max", 5.0}, {"reset", std::string("soft")}}));
    auto& kick = add_stimulus(e, "spike_times", "n", params({{"weight", 3.7}}));
    kick.times = {1.0};
    auto& big = add_stimulus(e, "spike_times", "n", params({{"weight", 7.2}}));
    big.times = {2.0};
    record(e, "spikes", "n");
    const run_result res = run(e);
    // 3.7 → n = 3, v = 0.7; 0.7 + 7.2 = 7.9 → n = 5 (cap), v = 2.9 → next step n = 2, v = 0.9.
    ASSERT_EQ(res.spikes.size(), 3u);
    EXPECT_EQ(res.spikes[0].count, 3u);
    EXPECT_EQ(res.spikes[1].count, 5u);
    EXPECT_EQ(res.spikes[2].count, 2u);
    EXPECT_EQ(res.spikes[2].step, res.spikes[1].step + 1);
}

struct noise_case {
    std::string noise;
    double offset_sigmas; // v* − v_th in units of σ
    double n_max;
};

class escape_noise : public ::testing::TestWithParam<noise_case> {};

// With τ_m → 0 every step is a fresh trial at v* = r·I, so the spike count over 10^5 trials is
// binomial with the escape probability of models/spiking.hpp.
TEST_P(escape_noise, firing_frequency_matches_formula_within_4_sigma) {
    const auto& [noise, offset, n_max] = GetParam();
    const double sigma = 0.2, v_th = 1.0, vstar = v_th + offset * sigma;
    experiment e = make_experiment(0.1, 100.0, 7); // 1000 steps × 100 neurons
    add_population(e, "n", 100, "lif",
                   params({{"tau_m", 1e-6},
                           {"v_th", v_th},
                           {"noise", noise},
                           {"sigma", sigma},
                           {"n_max", n_max}}));
    add_stimulus(e, "dc", "n", params({{"amplitude", vstar}}));
    record(e, "spikes", "n");
    const run_result res = run(e);
    auto p = [&](double x) {
        return noise == "erf" ? 0.5 * (1 + std::erf(x / (std::sqrt(2.0) * sigma)))
                              : 0.5 + std::atan(x / sigma) / M_PI;
    };
    double mean = 0, second = 0; // of n per trial: P(n >= k) = p(v* − k·v_th)
    for (int k = 1; k <= n_max; ++k) {
        mean += p(vstar - k * v_th);
        second += (2 * k - 1) * p(vstar - k * v_th);
    }
    const double trials = 1e5, sd = std::sqrt((second - mean * mean) / trials);
    double total = 0;
    for (const auto& s : res.spikes) total += s.count;
    EXPECT_NEAR(total / trials, mean, 4 * sd);
}

INSTANTIATE_TEST_SUITE_P(kinds, escape_noise,
                         ::testing::Values(noise_case{"erf", 0.5, 1}, noise_case{"erf", -1.0, 1},
                                           noise_case{"arctan", 0.5, 1},
                                           noise_case{"arctan", -2.0, 1},
                                           noise_case{"erf", 10.0, 4}));

} // namespace
} // namespace nm::test
