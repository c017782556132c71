// Pair STDP against its definition: the analytic window for single pairs, all-to-all against
// nearest-neighbour pairing summed by hand over a fixed spike train, bounds, determinism across
// thread counts, and zero learning rates leaving the network untouched.
#include "helpers.hpp"

#include <nm/errors.hpp>
#include <nm/io.hpp>

#include "plasticity/memristor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <tuple>

namespace nm::test {
namespace {

const std::string examples = std::string(NM_SOURCE_DIR) + "/examples/";

const weight_record& weights_of(const run_result& r, const std::string& projection) {
    for (const auto& w : r.weights)
        if (w.projection == projection) return w;
    throw std::runtime_error("no plastic projection " + projection);
}

// examples/stdp_window.toml: synapse i pairs one pre and one post spike; its change is
// A+·exp(-Δt/τ+) or -A-·exp(Δt/τ-) with Δt from the recorded spike times.
TEST(stdp, single_pairs_reproduce_the_exponential_window) {
    const run_result res = run(load_experiment(examples + "stdp_window.toml"));
    const weight_record& w = weights_of(res, "\"pre\" -> \"post\"");
    ASSERT_EQ(w.weight.size(), 39u);
    int potentiated = 0, depressed = 0;
    for (std::size_t k = 0; k < w.weight.size(); ++k) {
        const auto pre = spike_times(res, 1, w.pre[k]), post = spike_times(res, 2, w.post[k]);
        ASSERT_EQ(pre.size(), 1u);
        ASSERT_EQ(post.size(), 1u);
        const double dt = post[0] - pre[0];
        EXPECT_NEAR(dt, -95.0 + 5.0 * static_cast<double>(w.post[k]), 1e-9);
        const double expected = dt > 0   ? 0.1 * std::exp(-dt / 20.0)
                                : dt < 0 ? -0.12 * std::exp(dt / 20.0)
                                         : 0.0;
        EXPECT_NEAR(w.weight[k] - 0.5, expected, 1e-6) << "dt = " << dt;
        potentiated += dt > 0;
        depressed += dt < 0;
    }
    EXPECT_EQ(potentiated, 19);
    EXPECT_EQ(depressed, 19);
}

// With a presynaptic target x_tar every post spike also moves each of its synapses by −A+·x_tar
// (Diehl & Cook 2015): the window shifts down by A+·x_tar, for either sign of Δt.
TEST(stdp, presynaptic_target_shifts_the_window_by_a_plus_x_tar) {
    experiment e = load_experiment(examples + "stdp_window.toml");
    e.projections.back().synapse.plasticity.params.push_back({"x_tar", 0.05, ""});
    const run_result res = run(e);
    const weight_record& w = weights_of(res, "\"pre\" -> \"post\"");
    ASSERT_EQ(w.weight.size(), 39u);
    for (std::size_t k = 0; k < w.weight.size(); ++k) {
        const double dt = spike_times(res, 2, w.post[k])[0] - spike_times(res, 1, w.pre[k])[0];
        const double window = dt > 0   ? 0.1 * std::exp(-dt / 20.0)
                              : dt < 0 ? -0.12 * std::exp(dt / 20.0)
                                       : 0.0;
        EXPECT_NEAR(w.weight[k] - 0.5, window - 0.1 * 0.05, 1e-6) << "dt = " << dt;
    }
}

// The change the definitions give for one synapse and fixed spike trains (times in ms).
double all_pairs(const std::vector<double>& pre, const std::vector<double>& post, double a_plus,
                 double a_minus, double tau) {
    double dw = 0.0;
    for (double tp : pre)
        for (double tq : post) {
            if (tq > tp) dw += a_plus * std::exp(-(tq - tp) / tau);
            if (tq < tp) dw -= a_minus * std::exp((tq - tp) / tau);
        }
    return dw;
}
// Symmetric nearest-neighbour: each post spike pairs with the latest earlier pre spike, each
// pre spike with the latest earlier post spike (Morrison et al. 2008, Fig. 7A).
double nearest_pairs(const std::vector<double>& pre, const std::vector<double>& post, double a_plus,
                     double a_minus, double tau) {
    auto latest_before = [](const std::vector<double>& ts, double t) {
        double best = -1.0;
        for (double x : ts)
            if (x < t) best = x;
        return best;
    };
    double dw = 0.0;
    for (double tq : post)
        if (const double tp = latest_before(pre, tq); tp >= 0)
            dw += a_plus * std::exp(-(tq - tp) / tau);
    for (double tp : pre)
        if (const double tq = latest_before(post, tp); tq >= 0)
            dw -= a_minus * std::exp(-(tp - tq) / tau);
    return dw;
}

// One plastic synapse pre -> post of initial weight w under `rule`, with both neurons forced to
// spike at the given times (the post neuron's threshold is far above what the synapse gives).
experiment forced_pair(const std::vector<double>& pre_times, const std::vector<double>& post_times,
                       double w, const std::string& rule_name, std::vector<param> rule_params,
                       double duration) {
    experiment e = make_experiment(0.1, duration);
    add_population(e, "pre", 1, "lif");
    add_population(e, "post", 1, "lif", params({{"v_th", 100.0}}));
    add_stimulus(e, "spike_times", "pre", params({{"weight", 2.0}})).times = pre_times;
    add_stimulus(e, "spike_times", "post", params({{"weight", 200.0}})).times = post_times;
    auto& p = add_projection(e, "pre", "post", rule("one_to_one"), w, 1.0);
    p.synapse.plasticity.rule = rule_name;
    p.synapse.plasticity.params = std::move(rule_params);
    record(e, "spikes", "pre");
    record(e, "spikes", "post");
    return e;
}

TEST(stdp, all_to_all_and_nearest_pairing_follow_their_definitions) {
    for (const std::string pairing : {"all", "nearest"}) {
        const experiment e = forced_pair({10.0, 15.0, 50.0, 52.0}, {30.0, 40.0, 60.0}, 0.1, "stdp",
                                         params({{"a_plus", 0.01},
                                                 {"a_minus", 0.012},
                                                 {"tau_plus", 20.0},
                                                 {"tau_minus", 20.0},
                                                 {"w_min", 0.0},
                                                 {"w_max", 1.0},
                                                 {"pairing", pairing}}),
                                         100.0);
        const run_result res = run(e);
        const auto pre = spike_times(res, 0, 0), post = spike_times(res, 1, 0);
        ASSERT_EQ(pre.size(), 4u);
        ASSERT_EQ(post.size(), 3u);
        const double expected = pairing == "all" ? all_pairs(pre, post, 0.01, 0.012, 20.0)
                                                 : nearest_pairs(pre, post, 0.01, 0.012, 20.0);
        EXPECT_NEAR(weights_of(res, "\"pre\" -> \"post\"").weight[0] - 0.1, expected, 1e-6)
            << pairing;
    }
    // The two differ on this train (two pre spikes before the first post spike, two posts
    // before the third pre spike), so the check above tells them apart.
    const std::vector<double> pre{10.1, 15.1, 50.1, 52.1}, post{30.1, 40.1, 60.1};
    EXPECT_GT(std::fabs(all_pairs(pre, post, 0.01, 0.012, 20.0) -
                        nearest_pairs(pre, post, 0.01, 0.012, 20.0)),
              1e-3);
}

// The triplet rule summed over all earlier spikes, straight from Pfister & Gerstner's
// definition (no traces): at a post spike r1·(A2+ + A3+·o2), at a pre spike -o1·(A2- + A3-·r2).
struct triplet_set {
    double a2p, a3p, a2m, a3m, tp, tm, tx, ty;
};
double triplet_sum(const std::vector<double>& pre, const std::vector<double>& post,
                   const triplet_set& s) {
    auto trace = [](const std::vector<double>& ts, double t, double tau) {
        double x = 0.0;
        for (double u : ts)
            if (u < t) x += std::exp(-(t - u) / tau);
        return x;
    };
    double dw = 0.0;
    for (double t : post) dw += trace(pre, t, s.tp) * (s.a2p + s.a3p * trace(post, t, s.ty));
    for (double t : pre) dw -= trace(post, t, s.tm) * (s.a2m + s.a3m * trace(pre, t, s.tx));
    return dw;
}

// 60 pairings at f Hz, post 10 ms after (Δt = +10) or before (Δt = -10) each pre spike, with
// the `triplet` rule's defaults (the visual-cortex set). Returns the weight change and checks
// it against the direct sum over the recorded spikes.
double pairing_change(double f, double delta) {
    const double period = 1000.0 / f;
    std::vector<double> pre_times, post_times;
    for (int k = 0; k < 60; ++k) {
        pre_times.push_back(100.0 + k * period);
        post_times.push_back(100.0 + k * period + delta);
    }
    // Weights are float32: start at 1 (resolution 1.2e-7) with room for the largest change.
    const experiment e =
        forced_pair(pre_times, post_times, 1.0, "triplet", params({{"w_min", 0.0}, {"w_max", 2.0}}),
                    100.0 + 60 * period + 100.0);
    const run_result res = run(e);
    const auto pre = spike_times(res, 0, 0), post = spike_times(res, 1, 0);
    EXPECT_EQ(pre.size(), 60u);
    EXPECT_EQ(post.size(), 60u);
    const double dw = res.weights.at(0).weight[0] - 1.0;
    const triplet_set visual{5e-10, 6.2e-3, 7e-3, 2.3e-4, 16.8, 33.7, 101.0, 125.0};
    EXPECT_NEAR(dw, triplet_sum(pre, post, visual), 1e-5) << f << " Hz, dt = " << delta;
    return dw;
}

// Sjöström et al. (2001) as the triplet model reproduces it (Pfister & Gerstner 2006, Fig. 4):
// post-before-pre depresses at low frequency and turns to potentiation at high frequency;
// pre-before-post potentiation grows with frequency.
TEST(triplet_stdp, weight_change_against_pairing_frequency) {
    std::vector<double> ltp, ltd;
    for (double f : {1.0, 10.0, 20.0, 40.0, 50.0}) {
        ltp.push_back(pairing_change(f, 10.0));
        ltd.push_back(pairing_change(f, -10.0));
    }
    EXPECT_LT(ltd.front(), 0.0);         // depression at 1 Hz
    EXPECT_GT(ltd.back(), 0.0);          // potentiation at 50 Hz
    EXPECT_NEAR(ltp.front(), 0.0, 1e-3); // A2+ ~ 0: no potentiation without post bursts
    for (std::size_t k = 1; k < ltp.size(); ++k) EXPECT_GT(ltp[k], ltp[k - 1]);
    EXPECT_GT(ltd.back(), ltd[ltd.size() - 2]);
}

// A small Brunel-style network with STDP on exc -> exc.
experiment plastic_network(int threads, double a_plus, double a_minus, const char* dependence) {
    experiment e = make_experiment(0.1, 300.0, 7, threads);
    for (const char* name : {"exc", "inh"})
        add_population(
            e, name, std::string(name) == "exc" ? 400 : 100, "lif",
            params({{"tau_m", 20.0}, {"v_th", 20.0}, {"v_reset", 10.0}, {"t_ref", 2.0}}));
    connection_rule in_e = rule("fixed_indegree"), in_i = rule("fixed_indegree");
    in_e.k = 40;
    in_i.k = 10;
    auto& ee = add_projection(e, "exc", "exc", in_e, 0.5, 1.5);
    ee.synapse.plasticity.rule = "stdp";
    ee.synapse.plasticity.params = params({{"a_plus", a_plus},
                                           {"a_minus", a_minus},
                                           {"w_min", 0.0},
                                           {"w_max", 1.0},
                                           {"dependence", std::string(dependence)}});
    add_projection(e, "exc", "inh", in_e, 0.5, 1.5);
    add_projection(e, "inh", "exc", in_i, -2.5, 1.5);
    add_projection(e, "inh", "inh", in_i, -2.5, 1.5);
    auto& drive = add_stimulus(e, "poisson", "exc", params({{"rate", 4000.0}, {"weight", 0.5}}));
    drive.targets = {"exc", "inh"};
    record(e, "spikes", "exc");
    return e;
}

TEST(stdp, weights_and_spikes_do_not_depend_on_thread_count) {
    const run_result one = run(plastic_network(1, 0.02, 0.021, "additive"));
    const run_result two = run(plastic_network(2, 0.02, 0.021, "additive"));
    ASSERT_GT(one.spikes.size(), 100u);
    ASSERT_EQ(one.spikes.size(), two.spikes.size());
    for (std::size_t k = 0; k < one.spikes.size(); ++k) {
        EXPECT_EQ(one.spikes[k].step, two.spikes[k].step);
        EXPECT_EQ(one.spikes[k].neuron, two.spikes[k].neuron);
    }
    // Same synapses (as a multiset of pre, post, weight), whatever the shard layout.
    auto sorted = [](const weight_record& w) {
        std::vector<std::tuple<std::uint32_t, std::uint32_t, float>> v;
        for (std::size_t k = 0; k < w.weight.size(); ++k)
            v.emplace_back(w.pre[k], w.post[k], w.weight[k]);
        std::sort(v.begin(), v.end());
        return v;
    };
    const auto a = sorted(one.weights.at(0)), b = sorted(two.weights.at(0));
    EXPECT_EQ(a, b);
    EXPECT_GT(one.weights.at(0).updates, 0u);
}

TEST(stdp, zero_learning_rates_leave_spikes_identical_to_static_synapses) {
    experiment plastic = plastic_network(2, 0.0, 0.0, "additive");
    experiment fixed = plastic;
    fixed.projections[0].synapse.plasticity = {};
    const run_result a = run(plastic), b = run(fixed);
    ASSERT_EQ(a.spikes.size(), b.spikes.size());
    for (std::size_t k = 0; k < a.spikes.size(); ++k) {
        EXPECT_EQ(a.spikes[k].step, b.spikes[k].step);
        EXPECT_EQ(a.spikes[k].neuron, b.spikes[k].neuron);
    }
    for (float w : a.weights.at(0).weight) EXPECT_EQ(w, 0.5f);
}

TEST(stdp, weights_stay_within_their_bounds) {
    for (const char* dependence : {"additive", "multiplicative"}) {
        const run_result r = run(plastic_network(2, 0.5, 0.1, dependence));
        const auto& w = r.weights.at(0).weight;
        float lo = 1.0f, hi = 0.0f;
        for (float x : w) {
            lo = std::min(lo, x);
            hi = std::max(hi, x);
        }
        EXPECT_GE(lo, 0.0f) << dependence;
        EXPECT_LE(hi, 1.0f) << dependence;
        EXPECT_GT(hi, 0.6f) << dependence; // strong potentiation did move weights up
    }
}

TEST(stdp, bad_settings_are_refused) {
    experiment e = plastic_network(1, 0.01, 0.01, "additive");
    e.projections[0].synapse.plasticity.rule = "stpd";
    EXPECT_THROW(
        {
            try {
                run(e);
            } catch (const bad_config& err) {
                EXPECT_NE(std::string(err.what()).find("did you mean \"stdp\""), std::string::npos);
                throw;
            }
        },
        bad_config);
    e = plastic_network(1, 0.01, 0.01, "additive");
    e.projections[0].synapse.weight = 2.0; // outside [0, 1]
    EXPECT_THROW(run(e), bad_parameter);
    e = plastic_network(1, 0.01, 0.01, "additive");
    e.projections[0].synapse.plasticity.params.push_back({"tau_plus", -1.0, ""});
    EXPECT_THROW(run(e), bad_parameter);
}

using plasticity::memristor;

memristor::coeffs device(double levels, double nonlinearity, double c2c = 0, double d2d = 0,
                         double tau = INFINITY) {
    memristor::params p;
    p.levels = levels;
    p.nonlinearity = nonlinearity;
    p.sigma_c2c = c2c;
    p.sigma_d2d = d2d;
    p.tau_retention = tau;
    p.e_program = 1e-12;
    return memristor::derive(p, 0.0, 1.0, 0.1);
}

// Linear device: every reachable conductance is on the grid of `levels` values, and levels - 1
// pulses span the range exactly.
TEST(memristor, linear_device_moves_on_its_level_grid) {
    const auto c = device(17, 0.0);
    const rng_stream rng(1, 1);
    std::uint32_t pulses = 0;
    double g = memristor::program(c, 0.0, 1.0, 1.0, rng, 0, 0, pulses);
    EXPECT_NEAR(g, 1.0, 1e-12);
    EXPECT_EQ(pulses, 16u);
    g = memristor::program(c, g, 0.52, 1.0, rng, 0, 0, pulses); // 7.68 steps down -> 8
    EXPECT_NEAR(g, 0.5, 1e-12);
    EXPECT_EQ(pulses, 24u);
    g = memristor::program(c, g, 0.52, 1.0, rng, 0, 0, pulses); // less than half a level: none
    EXPECT_EQ(pulses, 24u);
}

// Non-linear device: potentiation steps shrink as G rises, depression steps as G falls; the
// steps are Δ0·exp(-ν·fraction) exactly.
TEST(memristor, nonlinear_steps_shrink_towards_the_bound) {
    const double nu = 3.0;
    const auto c = device(33, nu);
    const rng_stream rng(1, 1);
    std::uint32_t pulses = 0;
    double g = 0.0, last_step = 1.0;
    for (int k = 0; k < 10; ++k) {
        const double next = memristor::program(c, g, g + c.nominal, 1.0, rng, 0, 0, pulses);
        const double step = next - g;
        EXPECT_NEAR(step, c.step0 * std::exp(-nu * g), 1e-12);
        EXPECT_LT(step, last_step);
        last_step = step;
        g = next;
    }
    double down = memristor::program(c, 0.5, 0.5 - c.nominal, 1.0, rng, 0, 0, pulses);
    EXPECT_NEAR(0.5 - down, c.step0 * std::exp(-nu * 0.5), 1e-12);
}

// Cycle-to-cycle noise: pulse steps scatter with the configured relative std; device-to-device
// factors are fixed per synapse and spread with theirs.
TEST(memristor, variability_statistics_match_their_settings) {
    const auto c = device(1001, 0.0, 0.2);
    const rng_stream rng(7, 3);
    std::uint32_t pulses = 0;
    double sum = 0, sq = 0;
    const int n = 20000;
    for (int k = 0; k < n; ++k) {
        const double step =
            memristor::program(c, 0.5, 0.5 + c.nominal, 1.0, rng, 4, 9, pulses) - 0.5;
        sum += step;
        sq += step * step;
    }
    const double mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
    EXPECT_NEAR(mean / c.nominal, 1.0, 0.01);
    EXPECT_NEAR(sd / mean, 0.2, 0.01);

    const rng_stream var(7, 4);
    double fsum = 0, fsq = 0;
    for (std::uint32_t syn = 0; syn < 20000; ++syn) {
        const double f = 1.0 + 0.1 * var.normal(syn, 1);
        fsum += f;
        fsq += f * f;
        EXPECT_EQ(f, 1.0 + 0.1 * var.normal(syn, 1)); // the same device every time
    }
    EXPECT_NEAR(std::sqrt(fsq / 20000 - (fsum / 20000) * (fsum / 20000)), 0.1, 0.005);
}

TEST(memristor, retention_relaxes_towards_g_min) {
    const auto c = device(17, 0.0, 0.0, 0.0, 50.0);
    EXPECT_NEAR(memristor::relaxed(c, 0.8, 100.0, 600.0), 0.8 * std::exp(-1.0), 1e-12);
    EXPECT_EQ(memristor::relaxed(device(17, 0.0), 0.8, 0.0, 1e6), 0.8);
    EXPECT_THROW(device(1.5, 0.0), bad_parameter);
}

// In a network: a device projection only holds grid conductances, counts its pulses (energy =
// pulses x e_program) and reports them.
TEST(memristor, device_synapses_in_a_network_report_endurance) {
    experiment e = plastic_network(2, 0.05, 0.05, "additive");
    e.projections[0].synapse.weight = 0.5;
    for (auto [name, v] :
         std::vector<std::pair<std::string, double>>{{"levels", 9.0}, {"e_program", 2e-12}})
        e.projections[0].synapse.plasticity.params.push_back({name, v, ""});
    const run_result r = run(e);
    const weight_record& w = r.weights.at(0);
    ASSERT_GT(w.pulses_total, 0u);
    EXPECT_GE(w.pulses_max, 1u);
    EXPECT_NEAR(w.program_energy_j, 2e-12 * static_cast<double>(w.pulses_total), 1e-24);
    for (float g : w.weight) {
        const double level = g * 8.0;
        EXPECT_NEAR(level, std::round(level), 1e-5) << g;
    }
}

// Read noise: one spike through 2000 device synapses of conductance 0.5 with sigma_read = 0.1
// gives jumps of mean 0.5 and std 0.05 (no learning: rates zero).
TEST(memristor, read_noise_scatters_delivered_weights) {
    experiment e = make_experiment(0.1, 3.0);
    add_population(e, "pre", 1, "lif");
    add_population(e, "post", 2000, "lif", params({{"v_th", 100.0}, {"tau_m", 1e9}}));
    add_stimulus(e, "spike_times", "pre", params({{"weight", 2.0}})).times = {0.5};
    auto& p = add_projection(e, "pre", "post", rule("all_to_all"), 0.5, 1.0);
    p.synapse.plasticity.rule = "stdp";
    p.synapse.plasticity.params =
        params({{"a_plus", 0.0}, {"a_minus", 0.0}, {"levels", 9.0}, {"sigma_read", 0.1}});
    std::vector<std::uint64_t> all(2000);
    for (std::uint64_t k = 0; k < all.size(); ++k) all[k] = k;
    record(e, "v", "post", all, 3.0 - 0.1);
    const run_result r = run(e);
    const auto& values = r.traces.at(0).values;
    ASSERT_GE(values.size(), 2000u);
    const std::vector<double> v(values.end() - 2000, values.end()); // the last sample, after it
    double sum = 0, sq = 0;
    for (double x : v) {
        sum += x;
        sq += x * x;
    }
    const double mean = sum / 2000, sd = std::sqrt(sq / 2000 - mean * mean);
    EXPECT_NEAR(mean, 0.5, 0.005);
    EXPECT_NEAR(sd, 0.05, 0.004);
}

// Reward-modulated STDP: one pre/post pair (Δt = +10 ms) leaves an eligibility
// e = A+·exp(-10/τ+) at the post spike; a reward R at time T changes the weight by
// η·R·e·exp(-(T - t_post)/τ_e). Without reward, or with the reward before the pair, nothing.
double rewarded_change(std::vector<double> reward_times, std::vector<double> amounts,
                       double* post_time = nullptr) {
    experiment e =
        forced_pair({10.0}, {20.0}, 0.5, "rstdp",
                    params({{"a_plus", 0.01}, {"tau_elig", 200.0}, {"eta", 2.0}}), 600.0);
    e.projections[0].synapse.plasticity.reward_times = std::move(reward_times);
    e.projections[0].synapse.plasticity.reward_amounts = std::move(amounts);
    const run_result r = run(e);
    if (post_time) *post_time = spike_times(r, 1, 0).at(0);
    return r.weights.at(0).weight[0] - 0.5;
}

TEST(rstdp, reward_converts_the_eligibility_into_a_weight_change) {
    double t_post = 0.0;
    const double dw = rewarded_change({300.0}, {1.5}, &t_post);
    const double eligibility = 0.01 * std::exp(-10.0 / 20.0);
    EXPECT_NEAR(dw, 2.0 * 1.5 * eligibility * std::exp(-(300.0 - t_post) / 200.0), 1e-6);
    EXPECT_GT(dw, 1e-3);
    EXPECT_NEAR(rewarded_change({300.0}, {-1.5}), -dw, 1e-6); // punishment depresses
    EXPECT_EQ(rewarded_change({}, {}), 0.0);                  // no reward, no learning
    EXPECT_EQ(rewarded_change({5.0}, {1.0}), 0.0);            // reward before the pair
    // Two rewards add, each seeing the decayed trace.
    EXPECT_NEAR(rewarded_change({300.0, 400.0}, {1.0, 1.0}),
                2.0 * eligibility *
                    (std::exp(-(300.0 - t_post) / 200.0) + std::exp(-(400.0 - t_post) / 200.0)),
                1e-6);
}

TEST(rstdp, reward_settings_are_checked) {
    experiment e = make_experiment(0.1, 10.0);
    add_population(e, "a", 1, "lif");
    auto& p = add_projection(e, "a", "a", rule("one_to_one"), 0.5, 1.0);
    p.synapse.plasticity.rule = "rstdp";
    p.synapse.plasticity.reward_times = {1.0, 2.0};
    p.synapse.plasticity.reward_amounts = {1.0};
    EXPECT_THROW(run(e), bad_config);
    e.projections[0].synapse.plasticity.rule = "stdp";
    e.projections[0].synapse.plasticity.reward_amounts = {1.0, 1.0};
    EXPECT_THROW(run(e), bad_config); // rewards need rstdp
}

// Synaptic scaling on a silent target: every 100 ms its weights grow by 1 + η·r_target·0.1 s
// exactly (the rate estimate is 0), ten times in one second.
TEST(synaptic_scaling, a_silent_neuron_scales_its_inputs_up_by_the_formula) {
    experiment e = make_experiment(0.1, 1000.0);
    add_population(e, "pre", 3, "lif");
    add_population(e, "post", 2, "lif");
    auto& p = add_projection(e, "pre", "post", rule("all_to_all"), 0.5, 1.0);
    p.synapse.plasticity.rule = "stdp";
    p.synapse.plasticity.params = params({{"a_plus", 0.0},
                                          {"a_minus", 0.0},
                                          {"w_max", 100.0},
                                          {"scaling_rate", 0.4},
                                          {"target_rate", 5.0},
                                          {"rate_interval", 100.0}});
    const run_result r = run(e);
    for (float w : r.weights.at(0).weight)
        EXPECT_NEAR(w, 0.5 * std::pow(1.0 + 0.4 * 5.0 * 0.1, 10), 1e-5);
}

// Closed loop: a neuron driven at ~40 Hz by 200 plastic inputs settles near its 5 Hz target.
TEST(synaptic_scaling, an_overdriven_neuron_settles_near_its_target_rate) {
    experiment e = make_experiment(0.1, 30000.0);
    add_population(e, "pre", 200, "lif");
    add_population(e, "post", 1, "lif", params({{"tau_m", 20.0}, {"v_th", 20.0}}));
    add_stimulus(e, "poisson", "pre", params({{"rate", 10.0}, {"weight", 2.0}}));
    auto& p = add_projection(e, "pre", "post", rule("all_to_all"), 1.0, 1.0);
    p.synapse.plasticity.rule = "stdp";
    p.synapse.plasticity.params = params({{"a_plus", 0.0},
                                          {"a_minus", 0.0},
                                          {"w_max", 10.0},
                                          {"scaling_rate", 0.02},
                                          {"target_rate", 5.0}});
    record(e, "spikes", "post");
    const auto t = spike_times(run(e), 1, 0);
    auto rate = [&](double from, double to) {
        return static_cast<double>(std::count_if(t.begin(), t.end(),
                                                 [&](double x) { return x >= from && x < to; })) /
               ((to - from) * 1e-3);
    };
    EXPECT_GT(rate(0.0, 1000.0), 20.0);
    EXPECT_NEAR(rate(20000.0, 30000.0), 5.0, 1.5);
}

// Rate rules on forced regular trains (pre 20 Hz, post 10 Hz; the synapse cannot move the post
// neuron): Hebb grows at η·r_pre·r_post, Oja settles at w = r_pre/r_post.
double rate_rule_weight(const std::string& rule_name, double eta, double duration) {
    std::vector<double> pre, post;
    for (double t = 5.0; t < duration; t += 50.0) pre.push_back(t);
    for (double t = 30.0; t < duration; t += 100.0) post.push_back(t);
    const experiment e =
        forced_pair(pre, post, 0.5, rule_name,
                    params({{"eta", eta}, {"w_max", 10.0}, {"tau_rate", 2000.0}}), duration);
    return run(e).weights.at(0).weight[0];
}

TEST(rate_rules, hebb_grows_at_the_product_of_the_rates) {
    const double eta = 1e-4;
    const double growth = rate_rule_weight("hebb", eta, 30000.0) -
                          rate_rule_weight("hebb", eta, 20000.0); // both past the trace's rise
    EXPECT_NEAR(growth, eta * 20.0 * 10.0 * 10.0, 0.05 * eta * 20.0 * 10.0 * 10.0);
}

TEST(rate_rules, oja_converges_to_the_rate_ratio) {
    EXPECT_NEAR(rate_rule_weight("oja", 0.01, 30000.0), 20.0 / 10.0, 0.1);
    // Hebb alone has no such fixed point: it runs to the bound.
    EXPECT_FLOAT_EQ(rate_rule_weight("hebb", 0.01, 30000.0), 10.0f);
}

} // namespace
} // namespace nm::test
