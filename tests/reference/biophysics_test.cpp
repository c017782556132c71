// The ODE models against published behaviour and analytic bifurcation points: Izhikevich's
// firing classes, the Hodgkin–Huxley rheobase and f-I curve, Naud et al.'s AdEx patterns, the
// exponential-LIF and FitzHugh–Nagumo onsets, Hindmarsh–Rose bursting; and the integrators:
// RK4's fourth order, RK45's tolerance, spike times independent of dt.
#include "helpers.hpp"

#include <nm/errors.hpp>
#include <nm/io.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace nm::test {
namespace {

const std::string examples = std::string(NM_SOURCE_DIR) + "/examples/";

double longest(const std::vector<double>& x) {
    return *std::max_element(x.begin(), x.end());
}
double shortest(const std::vector<double>& x) {
    return *std::min_element(x.begin(), x.end());
}
std::size_t count_below(const std::vector<double>& x, double limit) {
    return static_cast<std::size_t>(
        std::count_if(x.begin(), x.end(), [&](double v) { return v < limit; }));
}

// Izhikevich (2003) Fig. 2, one neuron per class (examples/izhikevich_types.toml).
TEST(izhikevich, firing_classes_of_the_2003_paper) {
    const run_result res = run(load_experiment(examples + "izhikevich_types.toml"));
    const auto rs = spike_times(res, 0, 0), ib = spike_times(res, 0, 1),
               ch = spike_times(res, 0, 2), fs = spike_times(res, 0, 3),
               lts = spike_times(res, 0, 4), rebound = spike_times(res, 0, 6),
               rz = spike_times(res, 0, 8);
    for (const auto* t : {&rs, &ib, &ch, &fs, &lts}) ASSERT_GE(t->size(), 5u);
    // RS: single spikes whose intervals lengthen (adaptation), none in a burst.
    const auto rs_isi = intervals(rs);
    EXPECT_GT(shortest(rs_isi), 10.0);
    EXPECT_GT(rs_isi.back(), 1.5 * rs_isi.front());
    // IB: an initial burst (intervals < 5 ms), then tonic spikes > 20 ms apart.
    const auto ib_isi = intervals(ib);
    EXPECT_LT(ib_isi[0], 5.0);
    EXPECT_LT(ib_isi[1], 5.0);
    EXPECT_GT(std::min(ib_isi.back(), ib_isi[ib_isi.size() - 2]), 20.0);
    EXPECT_EQ(count_below(ib_isi, 10.0), 2u);
    // CH: repeated bursts: many short intervals and several long ones between bursts.
    const auto ch_isi = intervals(ch);
    EXPECT_GE(count_below(ch_isi, 6.0), 12u);
    EXPECT_GE(ch_isi.size() - count_below(ch_isi, 30.0), 4u);
    // FS: fast and without adaptation at steady state: 4x the RS rate, constant intervals.
    const auto fs_isi = intervals(fs);
    EXPECT_GT(fs.size(), 4 * rs.size());
    EXPECT_NEAR(fs_isi.back(), fs_isi[fs_isi.size() - 5], 0.01 * fs_isi.back());
    // LTS: a fast start that adapts, still faster than RS.
    const auto lts_isi = intervals(lts);
    EXPECT_LT(lts_isi.front(), 5.0);
    EXPECT_GT(lts_isi.back(), 3 * lts_isi.front());
    EXPECT_GT(lts.size(), 2 * rs.size());
    // TC: silent while hyperpolarised, a rebound burst on release at 250 ms.
    ASSERT_GE(rebound.size(), 3u);
    EXPECT_GT(rebound.front(), 250.0);
    EXPECT_LT(rebound[2], 300.0);
    // RZ: a small step makes it ring below threshold: no spike, alternating extrema.
    EXPECT_TRUE(rz.empty());
    const auto& tr = res.traces[0];
    const std::size_t n = tr.neurons.size(), from = 510; // just after the step at 50 ms
    int extrema = 0;
    for (std::size_t k = from; k + 1 < tr.times_ms.size(); ++k) {
        const double a = tr.values[(k - 1) * n + 8], b = tr.values[k * n + 8],
                     c = tr.values[(k + 1) * n + 8];
        if ((b > a && b > c) || (b < a && b < c)) ++extrema;
    }
    EXPECT_GE(extrema, 4);
}

// The same classes at dt = 0.1 (RK45) and dt = 0.01 (RK4): spike times agree to 0.02 ms,
// because crossings are timed inside the step and resets happen there.
TEST(izhikevich, spike_times_do_not_depend_on_dt_or_integrator) {
    experiment coarse = load_experiment(examples + "izhikevich_types.toml");
    coarse.simulation.duration = 200.0;
    coarse.records.resize(1);
    experiment fine = coarse;
    fine.simulation.dt = 0.01;
    fine.populations[0].params.push_back({"method", std::string("rk4"), ""});
    const run_result a = run(coarse), b = run(fine);
    for (std::uint32_t i = 0; i < 8; ++i) {
        const auto ta = spike_times(a, 0, i), tb = spike_times(b, 0, i);
        ASSERT_EQ(ta.size(), tb.size()) << "neuron " << i;
        for (std::size_t k = 0; k < ta.size(); ++k)
            EXPECT_NEAR(ta[k], tb[k], 0.02) << "neuron " << i << " spike " << k;
    }
}

// Hodgkin–Huxley (examples/hh_fi.toml): no repetitive firing up to 6.2 uA/cm2, repetitive
// from 6.3 (the classic onset near 6.2-6.3), at 50-60 Hz at onset, rising with the current.
TEST(hodgkin_huxley, rheobase_and_f_i_curve) {
    experiment e = load_experiment(examples + "hh_fi.toml");
    e.simulation.duration = 600.0;
    e.records.resize(1);
    const run_result res = run(e);
    const auto& amps = std::get<std::vector<double>>(find_param(e.populations[0].params, "i_bias"));
    double last_rate = 0.0;
    for (std::uint32_t i = 0; i < amps.size(); ++i) {
        const auto t = spike_times(res, 0, i);
        std::vector<double> late;
        for (double x : t)
            if (x > 200.0) late.push_back(x);
        const double rate =
            late.size() < 2 ? 0.0 : 1000.0 * (late.size() - 1) / (late.back() - late.front());
        if (amps[i] <= 6.2) {
            EXPECT_TRUE(late.empty()) << amps[i] << " uA/cm2";
            EXPECT_LE(t.size(), 3u) << amps[i] << " uA/cm2";
        } else {
            EXPECT_GT(rate, last_rate) << amps[i] << " uA/cm2";
            last_rate = rate;
        }
        if (amps[i] == 6.3) {
            EXPECT_GT(rate, 45.0);
            EXPECT_LT(rate, 60.0);
        }
    }
    EXPECT_GT(last_rate, 100.0);
}

// Spike times at dt = 0.1 with the default tolerance against dt = 0.01 with a tight one.
TEST(hodgkin_huxley, spike_times_match_a_tight_tolerance_reference) {
    auto make = [](double dt, double tol) {
        experiment e = make_experiment(dt, 200.0);
        add_population(e, "hh", 1, "hodgkin_huxley",
                       params({{"i_bias", 10.0}, {"atol", tol}, {"rtol", tol}}));
        record(e, "spikes", "hh");
        return run(e);
    };
    const auto a = spike_times(make(0.1, 1e-6), 0, 0), b = spike_times(make(0.01, 1e-10), 0, 0);
    ASSERT_EQ(a.size(), b.size());
    ASSERT_GE(a.size(), 10u);
    for (std::size_t k = 0; k < a.size(); ++k) EXPECT_NEAR(a[k], b[k], 1e-3) << "spike " << k;
}

// Naud et al. (2008), Table 1: tonic, adapting, initial burst, regular bursting.
TEST(adex, firing_patterns_of_naud_2008) {
    experiment e = make_experiment(0.1, 500.0);
    add_population(e, "n", 4, "adex",
                   params({{"c_m", std::vector<double>{200, 200, 130, 200}},
                           {"g_l", std::vector<double>{10, 12, 18, 10}},
                           {"e_l", std::vector<double>{-70, -70, -58, -58}},
                           {"v_t", -50.0},
                           {"delta_t", 2.0},
                           {"a", std::vector<double>{2, 2, 4, 2}},
                           {"tau_w", std::vector<double>{30, 300, 150, 120}},
                           {"b", std::vector<double>{0, 60, 120, 100}},
                           {"v_reset", std::vector<double>{-58, -58, -50, -46}},
                           {"i_bias", std::vector<double>{500, 500, 400, 210}}}),
                   params({{"v", std::vector<double>{-70, -70, -58, -58}}}));
    record(e, "spikes", "n");
    const run_result res = run(e);
    const auto tonic = intervals(spike_times(res, 0, 0)),
               adapting = intervals(spike_times(res, 0, 1)),
               burst = intervals(spike_times(res, 0, 2)),
               bursting = intervals(spike_times(res, 0, 3));
    ASSERT_GE(tonic.size(), 20u);
    EXPECT_LT(longest(tonic) / shortest(tonic), 1.1); // nearly constant intervals
    ASSERT_GE(adapting.size(), 5u);
    EXPECT_GT(adapting.back(), 4 * adapting.front());
    for (std::size_t k = 1; k < adapting.size(); ++k) EXPECT_GE(adapting[k], adapting[k - 1]);
    ASSERT_GE(burst.size(), 5u);
    EXPECT_EQ(count_below(burst, 10.0), 2u); // the burst at onset, then tonic
    EXPECT_GT(burst.back(), 40.0);
    ASSERT_GE(bursting.size(), 6u);
    EXPECT_GE(count_below(bursting, 10.0), 3u);                    // short intra-burst intervals...
    EXPECT_GE(bursting.size() - count_below(bursting, 100.0), 3u); // ...between long pauses
}

// τ dv/dt = -(v - v_leak) + Δ·exp((v - v_T)/Δ) + r·I has a resting point until the saddle-node
// at I_rh = (v_T - v_leak - Δ)/r (13 with the defaults).
TEST(exp_lif, rheobase_is_the_saddle_node_current) {
    experiment e = make_experiment(0.1, 1000.0);
    add_population(e, "n", 2, "exp_lif", params({{"i_bias", std::vector<double>{12.9, 13.2}}}));
    record(e, "spikes", "n");
    const run_result res = run(e);
    EXPECT_TRUE(spike_times(res, 0, 0).empty());
    EXPECT_GE(spike_times(res, 0, 1).size(), 3u);
}

// FitzHugh–Nagumo (a = 0.7, b = 0.8, τ_w = 12.5): the rest point loses stability where the
// Jacobian's trace vanishes, v² = 1 - b/τ_w, i.e. at I ≈ 0.331.
TEST(fitzhugh_nagumo, oscillates_above_the_hopf_current_only) {
    experiment e = make_experiment(0.05, 1000.0);
    add_population(e, "n", 2, "fitzhugh_nagumo",
                   params({{"i_bias", std::vector<double>{0.30, 0.36}}}));
    record(e, "spikes", "n");
    const run_result res = run(e);
    EXPECT_LE(spike_times(res, 0, 0).size(), 1u); // at most the onset transient
    const auto t = spike_times(res, 0, 1);
    ASSERT_GE(t.size(), 10u);
    const auto isi = intervals(t);
    EXPECT_NEAR(isi.back(), isi[isi.size() - 2], 1e-3 * isi.back()); // a limit cycle
}

// Hindmarsh–Rose with I = 2 and r = 0.006: square-wave bursts of several spikes.
TEST(hindmarsh_rose, bursts_of_several_spikes) {
    experiment e = make_experiment(0.05, 3000.0);
    add_population(e, "n", 1, "hindmarsh_rose", params({{"i_bias", 2.0}}));
    record(e, "spikes", "n");
    const auto isi = intervals(spike_times(run(e), 0, 0));
    ASSERT_GE(isi.size(), 10u);
    const double gap = 0.5 * (longest(isi) + shortest(isi));
    const std::size_t pauses = isi.size() - count_below(isi, gap);
    EXPECT_GE(pauses, 3u);
    EXPECT_GE(isi.size() / pauses, 2u); // several spikes per burst
    EXPECT_GT(longest(isi), 5 * shortest(isi));
}

// Fixed-step RK4 on FitzHugh–Nagumo's limit cycle: halving dt divides the error by ~16.
TEST(integrators, rk4_converges_at_fourth_order) {
    auto v_at_end = [](double dt, const std::string& method) {
        experiment e = make_experiment(dt, 20.0);
        add_population(
            e, "n", 1, "fitzhugh_nagumo",
            params({{"i_bias", 0.5}, {"method", method}, {"atol", 1e-12}, {"rtol", 1e-12}}));
        record(e, "v", "n", {0}, 20.0 - dt);
        return run(e).traces[0].values.back();
    };
    const double exact = v_at_end(0.01, "rk45");
    const double e1 = std::fabs(v_at_end(0.2, "rk4") - exact),
                 e2 = std::fabs(v_at_end(0.1, "rk4") - exact),
                 e3 = std::fabs(v_at_end(0.05, "rk4") - exact);
    EXPECT_NEAR(std::log2(e1 / e2), 4.0, 0.5);
    EXPECT_NEAR(std::log2(e2 / e3), 4.0, 0.5);
}

// RK45: the error follows the tolerance down.
TEST(integrators, rk45_error_follows_the_tolerance) {
    auto v_at_end = [](double tol) {
        experiment e = make_experiment(0.5, 20.0);
        add_population(
            e, "n", 1, "fitzhugh_nagumo",
            params(
                {{"i_bias", 0.5}, {"method", std::string("rk45")}, {"atol", tol}, {"rtol", tol}}));
        record(e, "v", "n", {0}, 0.5);
        return run(e).traces[0].values.back();
    };
    const double exact = v_at_end(1e-13);
    const double loose = std::fabs(v_at_end(1e-4) - exact),
                 tight = std::fabs(v_at_end(1e-8) - exact);
    EXPECT_LT(loose, 1e-3);
    EXPECT_LT(tight, 1e-7);
    EXPECT_LT(tight, loose / 100);
}

// RK4 at dt = 1 ms on FitzHugh-Nagumo driven hard blows up: the run is refused with the reason,
// not reported with NaN rates.
TEST(integrators, a_diverged_model_is_an_error_not_a_result) {
    experiment e = make_experiment(1.0, 50.0);
    add_population(e, "n", 1, "fitzhugh_nagumo", params({{"i_bias", 100.0}}));
    try {
        run(e);
        ADD_FAILURE() << "no error";
    } catch (const bad_parameter& err) {
        EXPECT_NE(std::string(err.what()).find("the model diverged"), std::string::npos);
    }
    e.simulation.dt = 0.01; // the same drive at a stable step runs
    EXPECT_NO_THROW(run(e));
}

} // namespace
} // namespace nm::test
