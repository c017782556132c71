// ALIF, resonate-and-fire, leaky integrator and CuBa synapses against closed forms; delays
// against exact arrival steps.
#include "helpers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace nm::test {
namespace {

TEST(alif, adaptation_decays_exactly_and_spacing_grows) {
    const double tau_a = 50.0, dt = 0.1;
    experiment e = make_experiment(dt, 100.0);
    add_population(e, "n", 1, "alif", params({{"tau_m", 10.0}, {"tau_a", tau_a}, {"beta", 0.5}}));
    auto& kick = add_stimulus(e, "spike_times", "n", params({{"weight", 2.0}}));
    kick.times = {1.0};
    record(e, "a", "n", {0}, dt);
    const run_result res = run(e);
    const auto& a = res.traces[0].values;
    // The spike happens in step 10: a = 1 after it, then a = ρ^k.
    EXPECT_DOUBLE_EQ(a[9], 0.0);
    for (std::size_t k = 10; k < a.size(); ++k)
        EXPECT_NEAR(a[k], std::pow(std::exp(-dt / tau_a), static_cast<double>(k - 10)), 1e-12);

    experiment driven = make_experiment(dt, 300.0);
    add_population(driven, "n", 1, "alif",
                   params({{"tau_m", 10.0}, {"tau_a", 200.0}, {"beta", 0.3}}));
    add_stimulus(driven, "dc", "n", params({{"amplitude", 2.0}}));
    record(driven, "spikes", "n");
    const auto steps = spike_steps(run(driven), 0, 0);
    ASSERT_GE(steps.size(), 6u);
    EXPECT_GT(steps[5] - steps[4], steps[1] - steps[0]); // spike-frequency adaptation
}

TEST(rf, free_oscillation_is_a_damped_rotation) {
    const double tau = 30.0, freq = 40.0, dt = 0.1;
    experiment e = make_experiment(dt, 100.0);
    add_population(e, "n", 1, "rf", params({{"tau_m", tau}, {"freq", freq}, {"v_th", 1e9}}),
                   params({{"v", 1.0}}));
    record(e, "v", "n", {0}, dt);
    record(e, "v_im", "n", {0}, dt);
    const run_result res = run(e);
    const double omega = 2 * std::numbers::pi * freq * 1e-3;
    for (std::size_t k = 0; k < res.traces[0].times_ms.size(); ++k) {
        const double t = res.traces[0].times_ms[k];
        EXPECT_NEAR(res.traces[0].values[k], std::exp(-t / tau) * std::cos(omega * t), 1e-12);
        EXPECT_NEAR(res.traces[1].values[k], std::exp(-t / tau) * std::sin(omega * t), 1e-12);
    }
}

class rf_resonance : public ::testing::TestWithParam<double> {};

// A bank tuned to 5, 10, ..., 60 Hz driven by a sinusoid: the matching neuron rings most.
TEST_P(rf_resonance, largest_response_at_the_drive_frequency) {
    const double drive = GetParam();
    std::vector<double> freqs;
    for (int f = 5; f <= 60; f += 5) freqs.push_back(f);
    std::vector<std::uint64_t> all;
    for (std::uint64_t i = 0; i < freqs.size(); ++i) all.push_back(i);
    experiment e = make_experiment(0.1, 1000.0);
    add_population(e, "bank", freqs.size(), "rf",
                   params({{"tau_m", 100.0}, {"freq", freqs}, {"v_th", 1e9}}));
    add_stimulus(e, "ac", "bank", params({{"amplitude", 1.0}, {"freq", drive}}));
    record(e, "v", "bank", all, 1.0);
    record(e, "v_im", "bank", all, 1.0);
    const run_result res = run(e);
    std::vector<double> amplitude(freqs.size(), 0.0);
    const auto& re = res.traces[0].values;
    const auto& im = res.traces[1].values;
    for (std::size_t k = res.traces[0].times_ms.size() / 2; k < res.traces[0].times_ms.size(); ++k)
        for (std::size_t j = 0; j < freqs.size(); ++j)
            amplitude[j] = std::max(amplitude[j],
                                    std::hypot(re[k * freqs.size() + j], im[k * freqs.size() + j]));
    const auto best = std::max_element(amplitude.begin(), amplitude.end()) - amplitude.begin();
    EXPECT_DOUBLE_EQ(freqs[best], drive);
}

INSTANTIATE_TEST_SUITE_P(drives, rf_resonance, ::testing::Values(10.0, 25.0, 45.0));

TEST(li, decays_to_v_leak_and_never_spikes) {
    experiment e = make_experiment(0.1, 200.0);
    add_population(e, "n", 1, "li", params({{"tau_m", 5.0}, {"v_leak", 2.0}}),
                   params({{"v", 12.0}}));
    add_stimulus(e, "dc", "n", params({{"amplitude", 100.0}}));
    record(e, "v", "n", {0}, 0.1);
    record(e, "spikes", "n");
    const run_result res = run(e);
    EXPECT_TRUE(res.spikes.empty());
    EXPECT_NEAR(res.traces[0].values.back(), 2.0 + 100.0, 1e-6);
}

// One spike into an exponential-current port: the PSP of a LIF with a decaying current,
//   v(s) = (r·w/τm)·(e^{-s/τm} − e^{-s/τs}) / (1/τs − 1/τm),
// where s counts from the end of the arrival step (the current acts from the next step).
TEST(cuba_synapse, psp_matches_closed_form) {
    const double tau_m = 10.0, tau_s = 2.0, w = 3.0, r = 2.0, dt = 0.1;
    experiment e = make_experiment(dt, 60.0);
    add_population(e, "n", 1, "lif", params({{"tau_m", tau_m}, {"r", r}, {"v_th", 1e9}}));
    auto& s = add_stimulus(e, "spike_times", "n", params({{"weight", w}}));
    s.times = {1.0};
    s.synapse = "exp";
    s.tau_syn = tau_s;
    record(e, "v", "n", {0}, dt);
    record(e, "i_syn", "n", {0}, dt);
    const run_result res = run(e);
    const double arrival = 1.1; // end of step 10
    for (std::size_t k = 0; k < res.traces[0].times_ms.size(); ++k) {
        const double t = res.traces[0].times_ms[k], since = t - arrival;
        const double v = since < 1e-9 ? 0.0
                                      : (r * w / tau_m) *
                                            (std::exp(-since / tau_m) - std::exp(-since / tau_s)) /
                                            (1 / tau_s - 1 / tau_m);
        EXPECT_NEAR(res.traces[0].values[k], v, 1e-9) << "t = " << t;
        const double i = since < -1e-9 ? 0.0 : w * std::exp(-since / tau_s);
        EXPECT_NEAR(res.traces[1].values[k], i, 1e-9) << "t = " << t;
    }
}

TEST(delays, an_event_sent_at_step_k_with_delay_d_arrives_at_k_plus_d) {
    experiment e = make_experiment(0.1, 10.0);
    add_population(e, "src", 1, "lif", params({{"tau_m", 10.0}}));
    add_population(e, "dst", 4, "lif", params({{"tau_m", 10.0}}));
    auto& kick = add_stimulus(e, "spike_times", "src", params({{"weight", 5.0}}));
    kick.times = {1.0};
    connection_rule r = rule("explicit");
    r.pre = {0, 0, 0, 0};
    r.post = {0, 1, 2, 3};
    r.delays = {0.1, 0.5, 1.5, 3.0};
    add_projection(e, "src", "dst", r, 5.0, 0.1);
    record(e, "spikes", "src");
    record(e, "spikes", "dst");
    const run_result res = run(e);
    const auto src = spike_steps(res, 0, 0);
    ASSERT_EQ(src.size(), 1u);
    EXPECT_EQ(src[0], 10u);
    const std::uint32_t delays[] = {1, 5, 15, 30};
    for (std::uint32_t j = 0; j < 4; ++j) {
        const auto dst = spike_steps(res, 1, j);
        ASSERT_EQ(dst.size(), 1u) << "target " << j;
        EXPECT_EQ(dst[0], src[0] + delays[j]) << "target " << j;
    }
}

} // namespace
} // namespace nm::test
