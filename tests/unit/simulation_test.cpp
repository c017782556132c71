// The step loop: identical spikes for any thread count, seeds that matter, exact synaptic-event
// counts, Poisson drive statistics, recorder windows, and run-once semantics.
#include "helpers.hpp"

#include <nm/errors.hpp>

#include <gtest/gtest.h>

#include <cmath>

namespace nm::test {
namespace {

// Everything random at once: escape noise, Poisson drive, noise current, drawn weights/delays.
experiment noisy_network(int threads, std::uint64_t seed) {
    experiment e = make_experiment(0.1, 200.0, seed, threads);
    add_population(e, "exc", 403, "lif",
                   params({{"tau_m", 20.0},
                           {"v_th", 20.0},
                           {"v_reset", 10.0},
                           {"t_ref", 2.0},
                           {"noise", std::string("erf")},
                           {"sigma", 1.0}}),
                   params({{"v", distribution{"uniform", 0.0, 20.0}}}));
    add_population(e, "inh", 101, "alif", params({{"tau_m", 10.0}, {"v_th", 20.0}, {"beta", 2.0}}));
    connection_rule p = rule("fixed_probability");
    p.p = 0.1;
    add_projection(e, "exc", "exc", p, distribution{"normal", 0, 0, 0.2, 0.05},
                   distribution{"uniform", 0.5, 3.0});
    add_projection(e, "exc", "inh", p, 0.3, 1.0);
    connection_rule k = rule("fixed_indegree");
    k.k = 20;
    add_projection(e, "inh", "exc", k, -1.0, distribution{"normal_clipped", 0.1, 5.0, 2.0, 1.0});
    auto& drive = add_stimulus(e, "poisson", "exc", params({{"rate", 15000.0}, {"weight", 0.1}}));
    drive.targets.push_back("inh");
    add_stimulus(e, "noise", "inh", params({{"mean", 15.0}, {"std", 5.0}}));
    record(e, "spikes", "exc");
    record(e, "spikes", "inh");
    record(e, "v", "exc", {0, 200, 402}, 0.5);
    return e;
}

bool same_spikes(const run_result& a, const run_result& b) {
    if (a.spikes.size() != b.spikes.size()) return false;
    for (std::size_t i = 0; i < a.spikes.size(); ++i)
        if (a.spikes[i].step != b.spikes[i].step || a.spikes[i].neuron != b.spikes[i].neuron ||
            a.spikes[i].population != b.spikes[i].population)
            return false;
    return true;
}

TEST(determinism, same_seed_gives_identical_spikes_for_1_2_and_3_threads) {
    const run_result one = run(noisy_network(1, 11));
    ASSERT_GT(one.spikes.size(), 1000u);
    const run_result again = run(noisy_network(1, 11));
    const run_result two = run(noisy_network(2, 11));
    const run_result three = run(noisy_network(3, 11));
    EXPECT_TRUE(same_spikes(one, again));
    EXPECT_TRUE(same_spikes(one, two));
    EXPECT_TRUE(same_spikes(one, three));
    EXPECT_EQ(one.traces[0].values, two.traces[0].values); // bit-identical state
    EXPECT_EQ(one.synaptic_events, three.synaptic_events);
}

TEST(determinism, a_different_seed_gives_different_spikes) {
    EXPECT_FALSE(same_spikes(run(noisy_network(2, 11)), run(noisy_network(2, 12))));
}

TEST(counting, synaptic_events_are_spikes_times_fan_out) {
    experiment e = make_experiment(0.1, 50.0, 3, 2);
    add_population(e, "src", 10, "lif", params({{"tau_m", 10.0}}));
    add_population(e, "dst", 7, "lif", params({{"tau_m", 10.0}, {"v_th", 1e9}}));
    add_stimulus(e, "dc", "src", params({{"amplitude", 2.0}}));
    add_projection(e, "src", "dst", rule("all_to_all"), 0.1, 1.0);
    const run_result res = run(e);
    ASSERT_GT(res.populations[0].spikes, 0u);
    EXPECT_EQ(res.synaptic_events, res.populations[0].spikes * 7);
    EXPECT_EQ(res.populations[1].spikes, 0u);
}

TEST(stimuli, poisson_drive_delivers_rate_times_duration_events) {
    // An IF neuron that never fires integrates w·k for k Poisson events.
    const double rate = 800.0, duration = 500.0, w = 0.5;
    experiment e = make_experiment(0.1, duration, 9, 2);
    add_population(e, "n", 1000, "lif", params({{"tau_m", INFINITY}, {"v_th", 1e12}}));
    add_stimulus(e, "poisson", "n", params({{"rate", rate}, {"weight", w}}));
    std::vector<std::uint64_t> all(1000);
    for (std::uint64_t i = 0; i < all.size(); ++i) all[i] = i;
    record(e, "v", "n", all, 0.1);
    e.records.back().start = duration - 0.1; // one sample, after the last step
    const run_result res = run(e);
    const double expected = rate * duration * 1e-3;
    double mean = 0, sq = 0;
    for (double v : res.traces[0].values) {
        mean += v / w;
        sq += (v / w) * (v / w);
    }
    mean /= 1000;
    const double var = sq / 1000 - mean * mean;
    EXPECT_NEAR(mean, expected, 4 * std::sqrt(expected / 1000));
    EXPECT_NEAR(var / expected, 1.0, 0.2); // Fano factor 1
}

TEST(stimuli, start_stop_and_neuron_subsets_are_respected) {
    experiment e = make_experiment(0.1, 30.0);
    add_population(e, "n", 4, "lif", params({{"tau_m", INFINITY}, {"v_th", 1e9}}));
    auto& dc =
        add_stimulus(e, "dc", "n", params({{"amplitude", 1.0}, {"start", 10.0}, {"stop", 20.0}}));
    dc.neurons = {1, 3};
    record(e, "v", "n", {0, 1, 2, 3}, 0.1);
    const run_result res = run(e);
    const auto& vals = res.traces[0].values;
    const std::size_t last = res.traces[0].times_ms.size() - 1;
    EXPECT_DOUBLE_EQ(vals[last * 4 + 0], 0.0);
    EXPECT_NEAR(vals[last * 4 + 1], 10.0, 1e-9); // 100 steps × r·I·dt = 0.1
    EXPECT_DOUBLE_EQ(vals[last * 4 + 2], 0.0);
    EXPECT_NEAR(vals[last * 4 + 3], 10.0, 1e-9);
}

TEST(recording, spike_window_and_subset) {
    experiment e = make_experiment(0.1, 100.0);
    add_population(e, "n", 3, "lif", params({{"tau_m", 10.0}}));
    add_stimulus(e, "dc", "n", params({{"amplitude", 3.0}}));
    record_spec r;
    r.what = "spikes";
    r.population = "n";
    r.neurons = {2};
    r.start = 20.0;
    r.stop = 60.0;
    e.records.push_back(r);
    const run_result res = run(e);
    ASSERT_FALSE(res.spikes.empty());
    for (const auto& s : res.spikes) {
        EXPECT_EQ(s.neuron, 2u);
        EXPECT_GE(s.step, 200u);
        EXPECT_LT(s.step, 600u);
    }
    EXPECT_GT(res.populations[0].spikes, res.spikes.size()); // counters see every spike
}

// The port sets read inside the neuron loop (core/port_readers.hpp) against the general path
// (a delivery pass, then the neuron loop), which per-neuron parameters select: the same
// arithmetic, so the same spikes and the same voltages to the bit; except that blocks of COBA
// neurons may take the short (Padé) gain of the conductance step, within 2e-10 of the
// exponential, so their voltages agree to rounding-level error instead.
experiment port_network(const std::string& kind, int ports, bool per_neuron_tau, int threads = 2) {
    constexpr std::uint64_t n = 300;
    experiment e = make_experiment(0.1, 300.0, 5, threads);
    const value tau_m = per_neuron_tau ? value(std::vector<double>(n, 20.0)) : value(20.0);
    add_population(e, "net", n, "lif",
                   params({{"tau_m", tau_m},
                           {"v_leak", -60.0},
                           {"v_th", -50.0},
                           {"v_reset", -60.0},
                           {"t_ref", 2.0}}),
                   params({{"v", distribution{"uniform", -60.0, -50.0}}}));
    connection_rule p = rule("fixed_probability");
    p.p = 0.1;
    const bool cond = kind == "cond_exp";
    const double w_exc = cond ? 0.05 : kind == "delta" ? 0.5 : 0.3;
    auto& exc = add_projection(e, "net", "net", p, distribution{"uniform", 0.0, w_exc},
                               distribution{"uniform", 0.1, 2.0});
    exc.synapse.kind = kind;
    exc.synapse.tau_syn = 5.0;
    if (ports == 2) {
        auto& inh =
            add_projection(e, "net", "net", p,
                           distribution{"uniform", cond ? 0.0 : -w_exc, cond ? w_exc : 0.0}, 1.0);
        inh.synapse.kind = kind;
        inh.synapse.tau_syn = 10.0;
        inh.synapse.e_rev = -80.0;
    }
    auto& drive =
        add_stimulus(e, "poisson", "net", params({{"rate", 4000.0}, {"weight", cond ? 0.1 : 1.0}}));
    drive.synapse = kind; // into the excitatory port
    drive.tau_syn = 5.0;
    if (cond) { // strong inhibition on a few neurons: their blocks need the exponential gain
        auto& strong =
            add_stimulus(e, "poisson", "net", params({{"rate", 200.0}, {"weight", 300.0}}));
        strong.synapse = kind;
        strong.tau_syn = 10.0;
        strong.e_rev = -80.0;
        for (std::uint64_t i = 90; i < 110; ++i) strong.neurons.push_back(i);
    }
    record(e, "spikes", "net");
    record(e, "v", "net", {0, 150, 299});
    return e;
}

TEST(port_readers, fused_ports_match_the_delivery_pass) {
    for (const auto& [kind, ports] : std::vector<std::pair<std::string, int>>{
             {"delta", 1}, {"exp", 1}, {"exp", 2}, {"cond_exp", 2}}) {
        SCOPED_TRACE(kind + " x" + std::to_string(ports));
        const run_result fused = run(port_network(kind, ports, false));
        const run_result delivered = run(port_network(kind, ports, true));
        EXPECT_GT(fused.spikes.size(), 1000u);
        EXPECT_TRUE(same_spikes(fused, delivered));
        const std::vector<double>&a = fused.traces[0].values, &b = delivered.traces[0].values;
        ASSERT_EQ(a.size(), b.size());
        if (kind != "cond_exp") {
            EXPECT_EQ(a, b);
            continue;
        }
        double worst = 0.0;
        for (std::size_t k = 0; k < a.size(); ++k) worst = std::max(worst, std::fabs(a[k] - b[k]));
        EXPECT_LT(worst, 1e-9); // mV
        EXPECT_GT(worst, 0.0);  // the short gain was taken
        // Blocks of 64 neurons choose the gain; chunks begin on block boundaries, so the choice
        // (hence every bit) is the same for any thread count.
        const run_result one = run(port_network(kind, ports, false, 1));
        const run_result three = run(port_network(kind, ports, false, 3));
        EXPECT_TRUE(same_spikes(one, three));
        EXPECT_EQ(one.traces[0].values, three.traces[0].values);
        EXPECT_EQ(one.traces[0].values, a);
    }
}

TEST(simulation, runs_once) {
    experiment e = make_experiment(0.1, 1.0);
    add_population(e, "n", 1, "lif");
    simulation sim(e);
    sim.run();
    EXPECT_THROW(sim.run(), nm::error);
}

TEST(simulation, isi_cv_of_a_regular_neuron_is_zero) {
    experiment e = make_experiment(0.1, 200.0);
    add_population(e, "n", 2, "lif", params({{"tau_m", 10.0}}));
    add_stimulus(e, "dc", "n", params({{"amplitude", 1.25}}));
    const run_result res = run(e);
    EXPECT_NEAR(res.populations[0].isi_cv, 0.0, 1e-12);
    EXPECT_GT(res.populations[0].rate_hz, 10.0);
}

} // namespace
} // namespace nm::test

namespace nm::test {
namespace {

TEST(stimuli, encoded_values_arrive_as_their_code_says) {
    // Latency code over 9 steps: value x fires at step (1 − x)·8; 0 stays silent.
    experiment e = make_experiment(0.1, 2.0);
    add_population(e, "in", 5, "lif", params({{"tau_m", INFINITY}}));
    add_stimulus(e, "encoded", "in",
                 params({{"scheme", std::string("latency")},
                         {"values", std::vector<double>{1.0, 0.75, 0.5, 0.25, 0.0}},
                         {"steps", 9.0},
                         {"weight", 2.0},
                         {"start", 0.5}}));
    record(e, "spikes", "in");
    const run_result res = run(e);
    for (std::uint32_t n = 0; n < 4; ++n) {
        const auto steps = spike_steps(res, 0, n);
        ASSERT_EQ(steps.size(), 1u) << n;
        EXPECT_EQ(steps[0], 5u + 2 * n) << n; // start = 0.5 ms = step 5
    }
    EXPECT_TRUE(spike_steps(res, 0, 4).empty());

    experiment bad = e;
    bad.stimuli[0].params.push_back({"dt", 1.0, "here"});
    EXPECT_THROW(run(bad), nm::error);
    experiment mismatch = e;
    mismatch.populations[0].size = 6;
    EXPECT_THROW(run(mismatch), nm::error);
}

} // namespace
} // namespace nm::test
