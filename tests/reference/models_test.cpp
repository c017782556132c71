// ALIF, resonate-and-fire, leaky integrator, current (exp, alpha) and conductance synapses
// against closed forms and convergence orders; delays against exact arrival steps.
#include "helpers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
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

// A delta synapse with a complex weight kicks v to w + i·w_im (the real weight constant or
// drawn: each path of the propagation), from where the neuron rotates as above.
TEST(rf, a_complex_weight_kicks_then_rotates) {
    const double tau = 30.0, freq = 40.0, dt = 0.1;
    for (const bool drawn : {false, true}) {
        experiment e = make_experiment(dt, 30.0);
        add_population(e, "src", 1, "lif");
        add_population(e, "n", 1, "rf", params({{"tau_m", tau}, {"freq", freq}, {"v_th", 1e9}}));
        stimulus_spec& kick = add_stimulus(e, "spike_times", "src", params({{"weight", 2.0}}));
        kick.times = {5.0};
        connection_rule listed = rule("explicit"); // one weight per synapse: stored per synapse
        listed.pre = {0};
        listed.post = {0};
        listed.weights = {0.5};
        projection_spec& p =
            add_projection(e, "src", "n", drawn ? listed : rule("one_to_one"), 0.5, 1.0);
        p.synapse.weight_im = 0.3;
        record(e, "v", "n", {0}, dt);
        record(e, "v_im", "n", {0}, dt);
        const run_result res = run(e);
        const auto& re = res.traces[0].values;
        const auto& im = res.traces[1].values;
        std::size_t k = 0;
        while (k < re.size() && re[k] == 0.0) ++k;
        ASSERT_LT(k + 50, re.size()) << "the kick must arrive";
        const std::complex<double> lambda =
            std::exp(dt * std::complex<double>(-1.0 / tau, 2 * std::numbers::pi * freq * 1e-3));
        std::complex<double> v(0.5f, 0.3f); // weights are stored as floats
        for (std::size_t j = k; j < k + 50; ++j, v *= lambda) {
            EXPECT_NEAR(re[j], v.real(), 1e-12) << (drawn ? "drawn, " : "") << "sample " << j;
            EXPECT_NEAR(im[j], v.imag(), 1e-12) << (drawn ? "drawn, " : "") << "sample " << j;
        }
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

// A LIF (τm = 10 ms, r = 2, no firing) receiving one spike of weight 3 at t = 1 ms through a
// `kind` current port with τs = 2 ms; v and i_syn recorded every step.
run_result single_spike_psp(const std::string& kind) {
    experiment e = make_experiment(0.1, 60.0);
    add_population(e, "n", 1, "lif", params({{"tau_m", 10.0}, {"r", 2.0}, {"v_th", 1e9}}));
    auto& s = add_stimulus(e, "spike_times", "n", params({{"weight", 3.0}}));
    s.times = {1.0};
    s.synapse = kind;
    s.tau_syn = 2.0;
    record(e, "v", "n", {0}, 0.1);
    record(e, "i_syn", "n", {0}, 0.1);
    return run(e);
}

// One spike into an exponential-current port: the PSP of a LIF with a decaying current,
//   v(s) = (r·w/τm)·(e^{-s/τm} − e^{-s/τs}) / (1/τs − 1/τm),
// where s counts from the end of the arrival step (the current acts from the next step).
TEST(cuba_synapse, psp_matches_closed_form) {
    const double tau_m = 10.0, tau_s = 2.0, w = 3.0, r = 2.0;
    const run_result res = single_spike_psp("exp");
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

// One spike into an alpha-current port (peak w at τs after arrival): with k = 1/τs - 1/τm,
//   v(s) = (r/τm)·(w·e/τs)·e^{-s/τm}·(1 - e^{-ks}(1 + ks))/k².
TEST(alpha_synapse, psp_matches_closed_form_and_the_current_peaks_at_tau) {
    const double tau_m = 10.0, tau_s = 2.0, w = 3.0, r = 2.0;
    const run_result res = single_spike_psp("alpha");
    const double arrival = 1.1, k = 1 / tau_s - 1 / tau_m;
    double peak = 0.0, peak_t = 0.0;
    for (std::size_t j = 0; j < res.traces[0].times_ms.size(); ++j) {
        const double t = res.traces[0].times_ms[j], since = std::max(0.0, t - arrival);
        const double v = (r / tau_m) * (w * std::numbers::e / tau_s) * std::exp(-since / tau_m) *
                         (1 - std::exp(-k * since) * (1 + k * since)) / (k * k);
        EXPECT_NEAR(res.traces[0].values[j], v, 1e-9) << "t = " << t;
        if (res.traces[1].values[j] > peak) {
            peak = res.traces[1].values[j];
            peak_t = since;
        }
    }
    EXPECT_NEAR(peak, w, 1e-9);
    EXPECT_NEAR(peak_t, tau_s, 1e-9);
}

// A conductance that stays on (τs far longer than the run) makes the membrane linear again:
//   v(s) = v∞ + (v_leak - v∞)·e^{-(1 + r·g)s/τm},  v∞ = (v_leak + r·g·E)/(1 + r·g),
// which the exponential midpoint rule reproduces exactly.
TEST(conductance_synapse, constant_conductance_relaxes_to_the_weighted_reversal) {
    const double tau_m = 20.0, v_leak = -60.0, g = 0.5, e_rev = 0.0, dt = 0.1;
    experiment e = make_experiment(dt, 50.0);
    add_population(e, "n", 1, "lif", params({{"tau_m", tau_m}, {"v_leak", v_leak}, {"v_th", 1e9}}),
                   params({{"v", v_leak}}));
    auto& s = add_stimulus(e, "spike_times", "n", params({{"weight", g}}));
    s.times = {1.0};
    s.synapse = "cond_exp";
    s.tau_syn = 1e12;
    s.e_rev = e_rev;
    record(e, "v", "n", {0}, dt);
    const run_result res = run(e);
    const double v_inf = (v_leak + g * e_rev) / (1 + g), arrival = 1.1;
    for (std::size_t j = 0; j < res.traces[0].times_ms.size(); ++j) {
        const double t = res.traces[0].times_ms[j], since = std::max(0.0, t - arrival);
        const double v = v_inf + (v_leak - v_inf) * std::exp(-(1 + g) * since / tau_m);
        EXPECT_NEAR(res.traces[0].values[j], v, 1e-9) << "t = " << t;
    }
}

// A decaying conductance (cond_exp and cond_alpha, into lif and into the RK45 path of
// exp_lif): halving dt divides the error by ~4 (second order), and the potential never
// crosses the reversal potential however strong the synapse.
class conductance_order : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(conductance_order, second_order_in_dt_and_bounded_by_e_rev) {
    const auto [model, kind] = GetParam();
    auto v_at = [&](double dt, double weight) {
        experiment e = make_experiment(dt, 12.0);
        // v_t far above: exp_lif's spike current is negligible, both models are the same LIF.
        auto p = params({{"tau_m", 20.0}, {"v_leak", -60.0}, {"v_reset", -60.0}});
        const bool lif = std::string(model) == "lif";
        for (const auto& q : lif ? params({{"v_th", 1e9}})
                                 : params({{"v_t", 1e3}, {"v_peak", 2e3}, {"t_ref", 0.0}}))
            p.push_back(q);
        add_population(e, "n", 1, model, p, params({{"v", -60.0}}));
        auto& s = add_stimulus(e, "spike_times", "n", params({{"weight", weight}}));
        s.times = {2.0 - dt}; // arrives at t = 2 ms whatever dt
        s.synapse = kind;
        s.tau_syn = 3.0;
        s.e_rev = -80.0;
        record(e, "v", "n", {0}, dt);
        return run(e).traces[0];
    };
    auto end = [&](double dt) { return v_at(dt, 2.0).values.back(); };
    // Both ports are exact at step ends and the membrane has no other error term, so the fine
    // run is a reference for the coarse ones.
    const double exact = end(0.0025);
    const double e1 = std::fabs(end(0.2) - exact), e2 = std::fabs(end(0.1) - exact),
                 e3 = std::fabs(end(0.05) - exact);
    EXPECT_NEAR(std::log2(e1 / e2), 2.0, 0.3);
    EXPECT_NEAR(std::log2(e2 / e3), 2.0, 0.3);
    for (double v : v_at(0.1, 1e4).values) EXPECT_GE(v, -80.0 - 1e-9);
}

INSTANTIATE_TEST_SUITE_P(
    ports, conductance_order,
    ::testing::Values(std::pair{"lif", "cond_exp"}, std::pair{"lif", "cond_alpha"},
                      std::pair{"exp_lif", "cond_exp"}, std::pair{"exp_lif", "cond_alpha"}),
    [](const auto& info) { return std::string(info.param.first) + "_" + info.param.second; });

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
