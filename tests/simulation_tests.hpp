// The network step on the GPU against the CPU step loop: the same spikes where every target
// receives at most one synaptic event per step (the sum's order is then fixed), the same rates
// and ISI statistics within sampling error where atomic additions reorder sums in recurrent
// networks, and every synaptic event accounted for. Shared by the GPU run (tests/gpu) and the
// emulated run (tests/emulated): the including file defines NM_SIM_SUITE, NM_NEED_SIM_DEVICE(),
// NM_NEED_LONG_SIM_DEVICE() (for the runs too long to emulate) and NM_SIM_TRACE_TOLERANCE (how
// far voltage traces may differ, relative to their values) first.
#pragma once

#include "backends/cuda/cuda.hpp"
#include "helpers.hpp"

#include <nm/errors.hpp>
#include <nm/io.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <tuple>

namespace nm {
namespace {

using test::add_population;
using test::add_projection;
using test::add_stimulus;
using test::make_experiment;
using test::params;

run_result run_on(const experiment& e, bool gpu) {
    simulation sim(e);
    return gpu ? sim.run({}, cuda::simulator()) : sim.run();
}

std::vector<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>>
spikes_of(const run_result& r) {
    std::vector<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>> out;
    for (const auto& s : r.spikes) out.emplace_back(s.step, s.population, s.neuron);
    std::sort(out.begin(), out.end());
    return out;
}

// Every population fires above `min_rate` Hz on the CPU, and on the GPU within a relative
// `rate_tolerance` of that rate and `cv_tolerance` of its ISI CV.
void expect_same_statistics(const run_result& cpu, const run_result& gpu, double min_rate,
                            double rate_tolerance, double cv_tolerance) {
    for (std::size_t p = 0; p < cpu.populations.size(); ++p) {
        const double a = cpu.populations[p].rate_hz, b = gpu.populations[p].rate_hz;
        EXPECT_GT(a, min_rate) << cpu.populations[p].name;
        EXPECT_NEAR(b, a, rate_tolerance * a) << cpu.populations[p].name;
        EXPECT_NEAR(gpu.populations[p].isi_cv, cpu.populations[p].isi_cv, cv_tolerance);
    }
}

// The spikes of a source and a target population, and the target's potential of `neurons`
// every `interval` ms.
void record_both(experiment& e, const std::string& source, const std::string& target,
                 std::vector<std::uint64_t> neurons, double interval) {
    test::record(e, "spikes", source);
    test::record(e, "spikes", target);
    test::record(e, "v", target, std::move(neurons), interval);
}

// Poisson-driven LIF neurons feeding a second population one to one, through delta,
// exponential- or alpha-current synapses with fixed or varying delays, plus a dc current;
// spikes propagated as `propagation` says.
experiment feed_forward(const std::string& synapse, bool varying_delay,
                        const std::string& propagation) {
    experiment e = make_experiment(0.1, 300.0, 11);
    const auto lif = params({{"tau_m", 20.0}, {"v_th", 15.0}, {"v_reset", 0.0}, {"t_ref", 2.0}});
    add_population(e, "in", 300, "lif", lif);
    add_population(e, "out", 300, "lif", lif);
    add_stimulus(e, "poisson", "in", params({{"rate", 9000.0}, {"weight", 0.2}}));
    add_stimulus(e, "dc", "out", params({{"amplitude", 0.3}}));
    // 9 mV jumps, or a 2 ms current of about the same effect on the membrane.
    const double weight = synapse == "delta" ? 9.0 : 120.0;
    projection_spec& p = add_projection(e, "in", "out", test::rule("one_to_one"), weight, 1.0);
    p.propagation = propagation;
    p.synapse.kind = synapse;
    if (synapse != "delta") p.synapse.tau_syn = 2.0;
    if (varying_delay) {
        distribution d;
        d.kind = "uniform";
        d.low = 0.5;
        d.high = 3.0;
        p.synapse.delay = d;
    }
    record_both(e, "in", "out", {0, 7, 299}, 0.5);
    return e;
}

TEST(NM_SIM_SUITE, feed_forward_spikes_match_the_cpu_exactly) {
    NM_NEED_SIM_DEVICE();
    for (const char* synapse : {"delta", "exp", "alpha"})
        for (bool varying : {false, true}) {
            // Delta synapses both ways; the others pre-synaptically (post: the next test).
            const char* propagation = synapse == std::string("delta") && varying ? "post" : "pre";
            const experiment e = feed_forward(synapse, varying, propagation);
            const run_result cpu = run_on(e, false), gpu = run_on(e, true);
            ASSERT_GT(cpu.populations[1].spikes, 100u)
                << "the test must make neurons fire: " << synapse;
            EXPECT_EQ(spikes_of(gpu), spikes_of(cpu))
                << synapse << (varying ? ", varying" : "") << ", " << propagation;
            EXPECT_EQ(gpu.synaptic_events, cpu.synaptic_events);
            EXPECT_EQ(gpu.populations[1].isi_cv, cpu.populations[1].isi_cv);
            ASSERT_EQ(gpu.traces.size(), 1u);
            const auto& traced = gpu.traces[0].values;
            ASSERT_EQ(traced.size(), cpu.traces[0].values.size());
            for (std::size_t q = 0; q < traced.size(); ++q)
                ASSERT_NEAR(traced[q], cpu.traces[0].values[q],
                            NM_SIM_TRACE_TOLERANCE * std::abs(cpu.traces[0].values[q]))
                    << "sample " << q;
            EXPECT_FALSE(gpu.device.empty());
        }
}

// A model the GPU steps, with a constant drive that makes it fire (model units) and the weight
// of its synapses.
struct driven_model {
    const char* name;
    double low, high; // i_bias, uniform per neuron: per-neuron coefficients on the device
    double weight;
    std::vector<param> extra = {};
};

// Neurons of `m` firing at different rates feed a second population one to one through an
// exponential current (exact kernels for the linear models, the synaptic drive for the ODE
// models) and a delta synapse; Poisson jumps perturb the first.
experiment driven(const driven_model& m) {
    experiment e = make_experiment(0.1, 100.0, 5);
    distribution bias;
    bias.kind = "uniform";
    bias.low = m.low;
    bias.high = m.high;
    std::vector<param> p = params({{"i_bias", bias}});
    p.insert(p.end(), m.extra.begin(), m.extra.end());
    add_population(e, "a", 40, m.name, p);
    add_population(e, "b", 40, m.name, p);
    add_stimulus(e, "poisson", "a", params({{"rate", 2000.0}, {"weight", 0.2 * m.weight}}));
    projection_spec& current = add_projection(e, "a", "b", test::rule("one_to_one"), m.weight, 1.0);
    current.synapse.kind = "exp";
    current.synapse.tau_syn = 2.0;
    projection_spec& delta =
        add_projection(e, "a", "b", test::rule("one_to_one"), 0.5 * m.weight, 0.5);
    if (m.name == std::string("rf")) { // complex weights, drawn or not, walked and spread
        distribution im;
        im.kind = "uniform";
        im.low = -0.3 * m.weight;
        im.high = 0.3 * m.weight;
        delta.synapse.weight_im = im;
        delta.propagation = "post";
        projection_spec& spread =
            add_projection(e, "a", "b", test::rule("one_to_one"), m.weight, 1.5);
        spread.synapse.weight_im = 0.2 * m.weight;
        spread.propagation = "pre";
    }
    record_both(e, "a", "b", {0, 17, 39}, 0.3);
    return e;
}

// Every model steps on the GPU as on the CPU: the linear ones (and escape-noise firing, from
// the same Philox stream; rf with complex weights, constant and drawn) to the same spikes; the
// ODE models, whose adaptive substeps follow the last bits of their state, to the same spikes
// at the same times within a tolerance, with at most a few spikes (1%) moved by one step or
// dropped where the device's contractions into FMA round otherwise than the host's.
TEST(NM_SIM_SUITE, every_model_matches_the_cpu) {
    NM_NEED_SIM_DEVICE();
    const std::vector<driven_model> models{
        {"lif", 1.1, 2.0, 0.3},
        {"lif", 0.6, 1.2, 0.3, params({{"noise", std::string("erf")}, {"sigma", 0.2}})},
        {"alif", 1.1, 2.0, 0.3, params({{"beta", 0.5}})},
        {"li", 0.0, 1.0, 0.3},
        {"izhikevich", 5.0, 15.0, 2.0},
        {"adex", 400.0, 700.0, 50.0},
        {"exp_lif", 18.0, 30.0, 2.0},
        {"hodgkin_huxley", 8.0, 15.0, 2.0},
        {"fitzhugh_nagumo", 0.4, 0.8, 0.05},
        {"hindmarsh_rose", 2.0, 3.5, 0.2},
        {"rf", 1.0, 3.0, 0.3, params({{"freq", 20.0}, {"tau_m", 30.0}})},
    };
    for (const driven_model& m : models) {
        SCOPED_TRACE(m.name +
                     std::string(std::any_of(m.extra.begin(), m.extra.end(),
                                             [](const param& q) { return q.name == "noise"; })
                                     ? " (escape noise)"
                                     : ""));
        const experiment e = driven(m);
        const run_result cpu = run_on(e, false), gpu = run_on(e, true);
        if (std::string(m.name) != "li") {
            ASSERT_GT(cpu.populations[1].spikes, 80u) << "the test must make them fire";
        }
        EXPECT_EQ(gpu.synaptic_events, cpu.synaptic_events);
        const auto& traced = gpu.traces[0].values;
        ASSERT_EQ(traced.size(), cpu.traces[0].values.size());
        const bool ode = std::string(m.name) != "lif" && m.name != std::string("alif") &&
                         m.name != std::string("li") && m.name != std::string("rf");
        if (!ode) {
            EXPECT_EQ(spikes_of(gpu), spikes_of(cpu));
            for (std::size_t q = 0; q < traced.size(); ++q)
                ASSERT_NEAR(traced[q], cpu.traces[0].values[q],
                            NM_SIM_TRACE_TOLERANCE * std::abs(cpu.traces[0].values[q]) + 1e-300)
                    << "sample " << q;
            continue;
        }
        // Spikes matched by (step, population, neuron); matched ones at the same time in the step.
        std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>, float> at;
        for (const spike_record& s : cpu.spikes) at[{s.step, s.population, s.neuron}] = s.offset;
        std::size_t matched = 0;
        for (const spike_record& s : gpu.spikes) {
            const auto found = at.find({s.step, s.population, s.neuron});
            if (found == at.end()) continue;
            ++matched;
            EXPECT_NEAR(s.offset, found->second, 1e-3) << "step " << s.step;
        }
        EXPECT_GE(matched, cpu.spikes.size() - cpu.spikes.size() / 100);
        EXPECT_NEAR(static_cast<double>(gpu.spikes.size()), static_cast<double>(cpu.spikes.size()),
                    static_cast<double>(cpu.spikes.size()) / 100);
        EXPECT_GE(cpu.spikes.front().offset, 0.0f) << "ODE models time their crossings";
    }
}

// Spikes of 400 Poisson-driven neurons (several per step) reach 100 targets all to all with
// varying weights, and the targets excite each other through varying delays; walked
// post-synaptically (as `auto` chooses for tables this small), the recurrent network's spikes
// and potentials are the CPU's to the bit. Sums of float weights in double are mostly exact
// whatever their order, so the order itself is checked with weights of very different sizes
// (1, 1e-9, -1: (1 + 1e-9) - 1 rounds, (1 - 1) + 1e-9 does not), from three sources firing
// together, in each order across six targets that only integrate.
TEST(NM_SIM_SUITE, post_synaptic_propagation_sums_in_the_cpus_order) {
    NM_NEED_SIM_DEVICE();
    experiment e = make_experiment(0.1, 100.0, 3);
    const auto lif = params({{"tau_m", 20.0}, {"v_th", 15.0}, {"v_reset", 0.0}, {"t_ref", 2.0}});
    add_population(e, "drive", 400, "lif", lif);
    add_population(e, "net", 100, "lif", lif);
    add_stimulus(e, "poisson", "drive", params({{"rate", 40000.0}, {"weight", 0.5}}));
    distribution weight, delay;
    weight.kind = delay.kind = "uniform";
    weight.low = -0.3;
    weight.high = 0.4;
    delay.low = 0.5;
    delay.high = 3.0;
    add_projection(e, "drive", "net", test::rule("all_to_all"), weight, 1.0);
    connection_rule recurrent = test::rule("fixed_indegree");
    recurrent.k = 20;
    add_projection(e, "net", "net", recurrent, 0.7, delay);
    test::record(e, "spikes", "net");
    test::record(e, "v", "net", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 0.1);
    for (const char* propagation : {"auto", "post"}) {
        for (auto& p : e.projections) p.propagation = propagation;
        const run_result cpu = run_on(e, false), gpu = run_on(e, true);
        ASSERT_GT(cpu.populations[1].spikes, 200u) << "the targets must fire";
        ASSERT_GT(cpu.populations[0].spikes, 2000u) << "several drive spikes per step";
        EXPECT_EQ(spikes_of(gpu), spikes_of(cpu)) << propagation;
        EXPECT_EQ(gpu.traces[0].values, cpu.traces[0].values) << propagation;
        EXPECT_EQ(gpu.synaptic_events, cpu.synaptic_events);
        EXPECT_EQ(gpu.populations[1].isi_cv, cpu.populations[1].isi_cv);
        EXPECT_EQ(gpu.device_plan,
                  "0 projections spread pre-synaptically, 2 walked post-synaptically (0 learning)");
    }

    experiment sums = make_experiment(0.1, 50.0);
    add_population(sums, "sources", 3, "lif", params({{"v_th", 1.0}}));
    add_population(sums, "sums", 6, "lif", params({{"v_th", 1e9}, {"tau_m", 1e3}}));
    add_stimulus(sums, "dc", "sources", params({{"amplitude", 2.0}}));
    connection_rule rule = test::rule("explicit");
    std::array<double, 3> w{1.0, 1e-9, -1.0};
    std::sort(w.begin(), w.end());
    for (std::uint64_t t = 0; t < 6; ++t, std::next_permutation(w.begin(), w.end()))
        for (std::uint64_t source = 0; source < 3; ++source) {
            rule.pre.push_back(source);
            rule.post.push_back(t);
            rule.weights.push_back(w[source]);
        }
    add_projection(sums, "sources", "sums", rule, 0.0, 1.0).propagation = "post";
    test::record(sums, "v", "sums");
    const run_result cpu = run_on(sums, false), gpu = run_on(sums, true);
    ASSERT_GT(cpu.populations[0].spikes, 6u) << "the sources must fire together";
    EXPECT_EQ(gpu.traces[0].values, cpu.traces[0].values);
}

// Synaptic currents and conductances are recorded on the GPU as on the CPU: i_syn (the first
// current port) and each port by name, exact kernels on lif, the synaptic drive on izhikevich,
// for exponential and alpha currents and an exponential conductance.
TEST(NM_SIM_SUITE, synaptic_port_traces_match_the_cpu) {
    NM_NEED_SIM_DEVICE();
    experiment e = make_experiment(0.1, 60.0, 7);
    add_population(e, "in", 20, "lif", params({{"tau_m", 10.0}, {"t_ref", 2.0}}));
    add_stimulus(e, "poisson", "in", params({{"rate", 6000.0}, {"weight", 0.3}}));
    const std::vector<std::string> ports{"ampa", "nmda", "gaba"};
    for (const char* target : {"lif_out", "izh_out"}) {
        if (target == std::string("lif_out"))
            add_population(e, target, 8, "lif", params({{"tau_m", 10.0}}));
        else
            add_population(e, target, 8, "izhikevich");
        const bool izh = target == std::string("izh_out");
        for (const std::string& port : ports) {
            projection_spec& p =
                add_projection(e, "in", target, test::rule("all_to_all"), 0.0, 1.0);
            p.synapse.port = port;
            p.synapse.kind = port == "ampa" ? "exp" : port == "nmda" ? "alpha" : "cond_exp";
            p.synapse.tau_syn = port == "nmda" ? 4.0 : 2.0;
            p.synapse.e_rev = izh ? -80.0 : -1.0;
            p.synapse.weight = port == "gaba" ? 0.05 : (izh ? 2.0 : 0.2);
        }
        for (const char* what : {"i_syn", "ampa", "nmda", "gaba"})
            test::record(e, what, target, {0, 3, 7}, 0.2);
    }
    const run_result cpu = run_on(e, false), gpu = run_on(e, true);
    ASSERT_EQ(gpu.traces.size(), cpu.traces.size());
    ASSERT_EQ(cpu.traces.size(), 8u);
    for (std::size_t t = 0; t < cpu.traces.size(); ++t) {
        const auto& a = gpu.traces[t].values;
        const auto& b = cpu.traces[t].values;
        ASSERT_EQ(a.size(), b.size());
        EXPECT_GT(*std::max_element(b.begin(), b.end()), 0.0) << "trace " << t << " must move";
        for (std::size_t q = 0; q < a.size(); ++q)
            ASSERT_NEAR(a[q], b[q], NM_SIM_TRACE_TOLERANCE * std::abs(b[q]) + 1e-300)
                << "trace " << t << ", sample " << q;
    }
}

// Every stimulus kind on the GPU as on the CPU, applied in the experiment's order: currents
// (dc, step, ac, chirp, noise on a subset) and arrivals through a port (Poisson on a subset,
// spike_times, an encoded latency code) on one population; the same spikes and potentials.
// (Noise draws its normals with the device's log and cos: a spike could move where they round
// otherwise than the host's, which no run has shown.)
TEST(NM_SIM_SUITE, every_stimulus_kind_matches_the_cpu) {
    NM_NEED_SIM_DEVICE();
    experiment e = make_experiment(0.1, 100.0, 9);
    add_population(e, "driven", 24, "lif", params({{"tau_m", 10.0}, {"v_th", 1.0}}));
    add_stimulus(e, "dc", "driven", params({{"amplitude", 0.4}, {"start", 10.0}}));
    stimulus_spec& step = add_stimulus(e, "step", "driven");
    step.times = {5.0, 40.0, 70.0};
    step.amplitudes = {0.3, 0.9, 0.1};
    add_stimulus(e, "ac", "driven",
                 params({{"amplitude", 0.5}, {"offset", 0.2}, {"freq", 40.0}, {"phase", 30.0}}));
    add_stimulus(e, "chirp", "driven",
                 params({{"amplitude", 0.3}, {"f_start", 5.0}, {"f_stop", 80.0}, {"stop", 90.0}}));
    add_stimulus(e, "noise", "driven", params({{"mean", 0.1}, {"std", 0.8}})).neurons = {1, 5, 6,
                                                                                         20};
    add_stimulus(e, "poisson", "driven", params({{"rate", 3000.0}, {"weight", 0.15}})).neurons = {
        0, 1, 2, 3, 17};
    stimulus_spec& times = add_stimulus(e, "spike_times", "driven", params({{"weight", 0.4}}));
    times.times = {12.0, 12.0, 33.3, 61.0};
    std::vector<double> values(24);
    for (std::size_t k = 0; k < values.size(); ++k) values[k] = static_cast<double>(k % 7) / 6.0;
    add_stimulus(e, "encoded", "driven",
                 params({{"scheme", std::string("latency")},
                         {"values", values},
                         {"steps", 50.0},
                         {"weight", 0.7},
                         {"start", 20.0}}));
    test::record(e, "spikes", "driven");
    test::record(e, "spikes", "driven", {1, 17}); // a second recorder: its spikes again
    test::record(e, "v", "driven", {0, 1, 4, 6, 17, 23}, 0.1);
    const run_result cpu = run_on(e, false), gpu = run_on(e, true);
    ASSERT_GT(cpu.populations[0].spikes, 100u) << "the stimuli must make the neurons fire";
    EXPECT_EQ(spikes_of(gpu), spikes_of(cpu));
    const auto& traced = gpu.traces[0].values;
    ASSERT_EQ(traced.size(), cpu.traces[0].values.size());
    for (std::size_t q = 0; q < traced.size(); ++q)
        ASSERT_NEAR(traced[q], cpu.traces[0].values[q],
                    NM_SIM_TRACE_TOLERANCE * std::abs(cpu.traces[0].values[q]))
            << "sample " << q;
}

// The single-neuron examples run on the GPU as written: Izhikevich's firing classes (step
// currents on subsets of neurons), the Hodgkin-Huxley f-I curve and the resonator bank under a
// chirp. Each neuron fires as often
// as on the CPU (within one spike, for neurons at the rheobase where a rounding can decide),
// its first spike at the same time.
TEST(NM_SIM_SUITE, single_neuron_examples_run_as_on_the_cpu) {
    NM_NEED_SIM_DEVICE();
    for (const char* name : {"izhikevich_types", "hh_fi", "resonator"}) {
        SCOPED_TRACE(name);
        const experiment e =
            load_experiment(std::string(NM_SOURCE_DIR) + "/examples/" + name + ".toml");
        const run_result cpu = run_on(e, false), gpu = run_on(e, true);
        ASSERT_GT(cpu.spikes_total, 30u);
        const std::uint32_t n = static_cast<std::uint32_t>(e.populations[0].size);
        for (std::uint32_t i = 0; i < n; ++i) {
            const auto a = test::spike_times(cpu, 0, i), b = test::spike_times(gpu, 0, i);
            EXPECT_NEAR(static_cast<double>(b.size()), static_cast<double>(a.size()), 1.0)
                << "neuron " << i;
            if (!a.empty() && !b.empty()) {
                EXPECT_NEAR(b[0], a[0], 1e-3) << "neuron " << i;
            }
        }
    }
}

// Plasticity on the GPU as on the CPU: two Poisson-driven sources learn onto targets that fire
// on their own and from the input, by the pair rule (all pairs, additive), nearest pairs with
// soft bounds and a presynaptic target, the triplet rule, soft-bounded STDP with synaptic
// scaling and normalisation of each target's weights (Diehl & Cook's setup), and the hebb and
// oja rate rules; one projection with varying delays, run on two CPU threads (two shards to
// merge and split back). Each synapse updates in the CPU's order from the same traces: the
// same weights to the bit, the same update counts and spikes.
// Device-model synapses learn the CPU's weights nearly everywhere: their noise draws normals
// through the device's log and cos and their retention an exp, so where a rounding moves a
// pulse count, a weight moves by a pulse and spikes can follow. Nearly all weights (99%) and
// the pulse totals (within 1%) agree.
void expect_device_weights_close(const run_result& cpu, const run_result& gpu) {
    ASSERT_EQ(gpu.weights.size(), cpu.weights.size());
    for (std::size_t k = 0; k < cpu.weights.size(); ++k) {
        const auto& a = gpu.weights[k].weight;
        const auto& b = cpu.weights[k].weight;
        ASSERT_EQ(a.size(), b.size());
        std::size_t apart = 0;
        for (std::size_t x = 0; x < a.size(); ++x) apart += std::abs(a[x] - b[x]) > 1e-5f;
        EXPECT_LE(apart, a.size() / 100) << "projection " << k;
        EXPECT_GT(cpu.weights[k].pulses_total, 1000u);
        EXPECT_NEAR(static_cast<double>(gpu.weights[k].pulses_total),
                    static_cast<double>(cpu.weights[k].pulses_total),
                    0.01 * static_cast<double>(cpu.weights[k].pulses_total));
    }
}

TEST(NM_SIM_SUITE, plasticity_learns_the_cpus_weights) {
    NM_NEED_SIM_DEVICE();
    const std::vector<std::pair<std::string, std::vector<param>>> rules{
        {"stdp", params({{"a_plus", 0.002}, {"a_minus", 0.002}, {"w_max", 0.6}})},
        {"stdp", params({{"pairing", std::string("nearest")},
                         {"dependence", std::string("multiplicative")},
                         {"a_plus", 0.01},
                         {"a_minus", 0.01},
                         {"x_tar", 0.2},
                         {"w_max", 0.6}})},
        {"triplet", params({{"a_plus", 0.0005},
                            {"a3_plus", 0.0002},
                            {"a_minus", 0.002},
                            {"a3_minus", 0.0005},
                            {"w_max", 0.6}})},
        {"stdp", params({{"dependence", std::string("multiplicative")},
                         {"a_plus", 0.01},
                         {"a_minus", 0.01},
                         {"w_max", 0.6},
                         {"w_sum", 3.0},
                         {"scaling_rate", 0.01},
                         {"target_rate", 20.0},
                         {"tau_rate", 50.0},
                         {"rate_interval", 20.0}})},
        {"hebb",
         params({{"eta", 2e-6}, {"tau_rate", 50.0}, {"rate_interval", 10.0}, {"w_max", 0.6}})},
        {"oja",
         params({{"eta", 2e-5}, {"tau_rate", 50.0}, {"rate_interval", 10.0}, {"w_max", 0.6}})},
        {"rstdp", params({{"a_plus", 0.002},
                          {"a_minus", 0.002},
                          {"tau_elig", 40.0},
                          {"eta", 3.0},
                          {"w_max", 0.6}})},
        {"stdp", params({{"a_plus", 0.01},
                         {"a_minus", 0.01},
                         {"w_max", 0.6},
                         {"levels", 32.0},
                         {"nonlinearity", 2.0},
                         {"sigma_c2c", 0.05},
                         {"sigma_d2d", 0.1},
                         {"sigma_read", 0.02},
                         {"tau_retention", 150.0}})},
    };
    for (std::size_t r = 0; r < rules.size(); ++r) {
        SCOPED_TRACE("rule " + std::to_string(r) + ": " + rules[r].first);
        experiment e = make_experiment(0.1, 200.0, 4, 2);
        const auto lif = params({{"tau_m", 10.0}, {"v_th", 1.0}, {"t_ref", 2.0}});
        add_population(e, "in", 40, "lif", lif);
        add_population(e, "in2", 10, "lif", lif);
        add_population(e, "out", 12, "lif", lif);
        add_stimulus(e, "poisson", "in", params({{"rate", 8000.0}, {"weight", 0.2}}));
        add_stimulus(e, "poisson", "in2", params({{"rate", 6000.0}, {"weight", 0.2}}));
        add_stimulus(e, "dc", "out", params({{"amplitude", 0.9}}));
        distribution weight, delay;
        weight.kind = delay.kind = "uniform";
        weight.low = 0.05;
        weight.high = 0.4;
        delay.low = 0.5;
        delay.high = 2.5;
        for (const char* source : {"in", "in2"}) {
            projection_spec& p = add_projection(e, source, "out", test::rule("all_to_all"), weight,
                                                source == std::string("in") ? value(1.0) : delay);
            p.synapse.plasticity.rule = rules[r].first;
            p.synapse.plasticity.params = rules[r].second;
            if (rules[r].first == "rstdp") {
                p.synapse.plasticity.reward_times = {30.0, 60.0, 60.0, 95.0, 150.0};
                p.synapse.plasticity.reward_amounts = {1.0, -0.5, 2.0, 1.0, -1.5};
            }
        }
        test::record(e, "spikes", "out");
        const run_result cpu = run_on(e, false), gpu = run_on(e, true);
        ASSERT_GT(cpu.populations[2].spikes, 100u) << "the targets must fire";
        ASSERT_EQ(gpu.weights.size(), 2u);
        if (r + 1 == rules.size()) {
            expect_device_weights_close(cpu, gpu);
            continue;
        }
        EXPECT_EQ(spikes_of(gpu), spikes_of(cpu));
        for (std::size_t k = 0; k < 2; ++k) {
            EXPECT_EQ(gpu.weights[k].pre, cpu.weights[k].pre);
            EXPECT_EQ(gpu.weights[k].post, cpu.weights[k].post);
            // rstdp decays its eligibility by pow(), whose last bit the device may round
            // otherwise; every other rule is plain arithmetic.
            const auto& a = gpu.weights[k].weight;
            const auto& b = cpu.weights[k].weight;
            ASSERT_EQ(a.size(), b.size());
            const float bound = rules[r].first == "rstdp" ? 1e-6f : 0.0f;
            for (std::size_t x = 0; x < a.size(); ++x)
                ASSERT_NEAR(a[x], b[x], bound) << "projection " << k << ", synapse " << x;
            EXPECT_EQ(gpu.weights[k].updates, cpu.weights[k].updates);
        }
        for (auto& p : e.projections) { // the same run without learning: the initial weights
            p.synapse.plasticity = {};
            p.synapse.plasticity.rule = "stdp";
            p.synapse.plasticity.params = params({{"a_plus", 0.0}, {"a_minus", 0.0}});
        }
        const run_result still = run_on(e, false);
        for (std::size_t k = 0; k < 2; ++k)
            EXPECT_NE(still.weights[k].weight, cpu.weights[k].weight) << "the weights must move";
        EXPECT_EQ(gpu.synaptic_events, cpu.synaptic_events);
    }
    // The STDP window example as written: one pairing per synapse at 39 delays.
    const experiment window =
        load_experiment(std::string(NM_SOURCE_DIR) + "/examples/stdp_window.toml");
    const run_result cpu = run_on(window, false), gpu = run_on(window, true);
    ASSERT_EQ(gpu.weights.size(), 1u);
    EXPECT_EQ(gpu.weights[0].weight, cpu.weights[0].weight);
}

// Learning onto resonate-and-fire neurons: the rule moves the real weights, the imaginary ones
// stay, and both reach the targets' rings; the CPU's spikes and weights (a device model's
// nearly: expect_device_weights_close).
TEST(NM_SIM_SUITE, learning_onto_a_complex_model_matches_the_cpu) {
    NM_NEED_SIM_DEVICE();
    const std::vector<param> stdp = params({{"a_plus", 0.005}, {"a_minus", 0.005}, {"w_max", 0.6}});
    std::vector<param> device = stdp;
    const auto more = params({{"levels", 32.0}, {"sigma_c2c", 0.05}, {"tau_retention", 150.0}});
    device.insert(device.end(), more.begin(), more.end());
    for (const auto& rule : {stdp, device}) {
        const bool on_device = rule.size() > stdp.size();
        SCOPED_TRACE(on_device ? "device model" : "stdp");
        experiment e = make_experiment(0.1, 200.0, 6, 2);
        add_population(e, "in", 30, "lif", params({{"tau_m", 10.0}, {"t_ref", 2.0}}));
        distribution bias, weight, weight_im;
        bias.kind = weight.kind = weight_im.kind = "uniform";
        bias.low = 1.0;
        bias.high = 3.0;
        add_population(e, "out", 12, "rf",
                       params({{"freq", 20.0}, {"tau_m", 30.0}, {"i_bias", bias}}));
        add_stimulus(e, "poisson", "in", params({{"rate", 8000.0}, {"weight", 0.2}}));
        weight.low = 0.05;
        weight.high = 0.3;
        weight_im.low = -0.1;
        weight_im.high = 0.1;
        projection_spec& p = add_projection(e, "in", "out", test::rule("all_to_all"), weight, 1.0);
        p.synapse.weight_im = weight_im;
        p.synapse.plasticity.rule = "stdp";
        p.synapse.plasticity.params = rule;
        test::record(e, "spikes", "out");
        const run_result cpu = run_on(e, false), gpu = run_on(e, true);
        ASSERT_GT(cpu.populations[1].spikes, 100u) << "the targets must fire";
        ASSERT_EQ(gpu.weights.size(), 1u);
        if (on_device) {
            expect_device_weights_close(cpu, gpu);
            continue;
        }
        EXPECT_GT(cpu.weights[0].updates, 1000u);
        EXPECT_EQ(spikes_of(gpu), spikes_of(cpu));
        EXPECT_EQ(gpu.weights[0].weight, cpu.weights[0].weight);
        EXPECT_EQ(gpu.synaptic_events, cpu.synaptic_events);
    }
}

// The trial examples on the GPU, shortened: the reward-modulated association (first-spike
// answers rewarding the rstdp projection in closed loop) and Diehl & Cook's unsupervised digits
// (soft-bounded STDP with normalisation into adaptive neurons, vote decoding). Every trial's
// responses and answers, the accuracy and the learned weights are the CPU's (rstdp's within
// 1e-6: its eligibility decays through pow()).
TEST(NM_SIM_SUITE, trial_examples_learn_as_on_the_cpu) {
    NM_NEED_SIM_DEVICE();
    for (const char* name : {"rstdp_association", "unsupervised_digits"}) {
        SCOPED_TRACE(name);
        experiment e = load_experiment(std::string(NM_SOURCE_DIR) + "/examples/" + name + ".toml");
        e.trials->learn = 12;
        e.trials->label = e.trials->label > 0 ? 6 : 0;
        e.trials->test = 6;
        e.simulation.duration = static_cast<double>(e.trials->trials()) * e.trials->trial_ms();
        e.records.clear();
        const run_result cpu = run_on(e, false), gpu = run_on(e, true);
        ASSERT_TRUE(cpu.trials && gpu.trials);
        ASSERT_GT(cpu.spikes_total, 100u);
        ASSERT_EQ(gpu.trials->rows.size(), cpu.trials->rows.size());
        for (std::size_t k = 0; k < cpu.trials->rows.size(); ++k) {
            EXPECT_EQ(gpu.trials->rows[k].spikes, cpu.trials->rows[k].spikes) << "trial " << k;
            EXPECT_EQ(gpu.trials->rows[k].prediction, cpu.trials->rows[k].prediction);
        }
        EXPECT_EQ(gpu.trials->accuracy, cpu.trials->accuracy);
        EXPECT_EQ(gpu.trials->neuron_class, cpu.trials->neuron_class);
        ASSERT_EQ(gpu.weights.size(), cpu.weights.size());
        for (std::size_t k = 0; k < cpu.weights.size(); ++k) {
            const auto& a = gpu.weights[k].weight;
            const auto& b = cpu.weights[k].weight;
            ASSERT_EQ(a.size(), b.size());
            for (std::size_t x = 0; x < a.size(); ++x)
                ASSERT_NEAR(a[x], b[x], 1e-6f) << "projection " << k << ", synapse " << x;
        }
        EXPECT_EQ(gpu.spikes_total, cpu.spikes_total);
    }
}

// Brunel's network A (examples/brunel.toml) at a tenth of its size, pre-synaptically: atomic
// additions come in any order, so only statistics are promised (rates and irregularity), and
// each spike reaches as many synapses on average as on the CPU (none is lost).
TEST(NM_SIM_SUITE, brunel_rates_match_the_cpu) {
    NM_NEED_LONG_SIM_DEVICE();
    experiment e = load_experiment(std::string(NM_SOURCE_DIR) + "/examples/brunel.toml");
    e.simulation.duration = 500.0;
    e.records.clear();
    for (auto& p : e.populations) p.size /= 10;
    for (auto& p : e.projections) {
        p.rule.k /= 10;
        p.propagation = "pre";
    }
    const run_result cpu = run_on(e, false), gpu = run_on(e, true);
    expect_same_statistics(cpu, gpu, 5.0, 0.05, 0.1);
    const double per_spike = static_cast<double>(gpu.synaptic_events) / gpu.spikes_total;
    EXPECT_NEAR(per_spike, static_cast<double>(cpu.synaptic_events) / cpu.spikes_total,
                0.02 * per_spike);
}

// COBA (examples/coba.toml, conductance synapses, Vogels & Abbott 2005), 1 s: rates and ISI CVs
// as on the CPU (the conductance step's contractions into FMAs may differ between compilers,
// so single spikes can move).
TEST(NM_SIM_SUITE, coba_rates_match_the_cpu) {
    NM_NEED_LONG_SIM_DEVICE();
    experiment e = load_experiment(std::string(NM_SOURCE_DIR) + "/examples/coba.toml");
    e.records.clear();
    const run_result cpu = run_on(e, false), gpu = run_on(e, true);
    expect_same_statistics(cpu, gpu, 15.0, 0.1, 0.2);
    // The same network with alpha-shaped conductances (rise variables on the GPU too).
    for (auto& p : e.projections) p.synapse.kind = "cond_alpha";
    const run_result cpu_alpha = run_on(e, false), gpu_alpha = run_on(e, true);
    expect_same_statistics(cpu_alpha, gpu_alpha, 1.0, 0.1, 0.2);
}

// The experiment, run on the GPU, stops with an error that says `what`.
void expect_refusal(const experiment& e, const std::string& what) {
    simulation sim(e);
    try {
        sim.run({}, cuda::simulator());
        ADD_FAILURE() << "ran on the GPU; expected: " << what;
    } catch (const bad_config& err) {
        EXPECT_NE(std::string(err.what()).find(what), std::string::npos) << err.what();
    }
}

// A network with more populations, projections and stimuli than constant memory holds runs from
// descriptors in global memory: 60 populations alternating between lif and alif (60 update
// runs), each fed by a Poisson and a dc stimulus (120) and projecting to the next five (300
// projections, spread and walked in turn). Weights are powers of two, whose sums are exact in
// any order: the same spikes as the CPU's, even through the spread's atomics.
TEST(NM_SIM_SUITE, a_network_past_constant_memory_runs_from_global_memory) {
    NM_NEED_SIM_DEVICE();
    constexpr int n_pops = 60, fan_out = 5;
    experiment e = make_experiment(0.1, 60.0, 9);
    const auto name_of = [](int k) { return std::string(1, 'p').append(std::to_string(k)); };
    for (int k = 0; k < n_pops; ++k) {
        const std::string name = name_of(k);
        if (k % 2)
            add_population(e, name, 5, "alif", params({{"beta", 0.5}}));
        else
            add_population(e, name, 5, "lif");
        add_stimulus(e, "poisson", name, params({{"rate", 400.0 + 10.0 * k}, {"weight", 0.25}}));
        add_stimulus(e, "dc", name, params({{"amplitude", 0.0625 * (k % 3)}}));
        test::record(e, "spikes", name);
    }
    int spread = 0;
    for (int k = 0; k < n_pops; ++k)
        for (int j = 1; j <= fan_out; ++j) {
            projection_spec& p =
                add_projection(e, name_of(k), name_of((k + j) % n_pops), test::rule("all_to_all"),
                               j % 2 ? 0.125 : -0.0625, 0.1 * j);
            p.propagation = (k + j) % 2 ? "pre" : "post";
            spread += (k + j) % 2;
        }
    const run_result cpu = run_on(e, false), gpu = run_on(e, true);
    for (int k = 0; k < n_pops; ++k)
        ASSERT_GT(cpu.populations[k].spikes, 5u) << "every population must fire: p" << k;
    EXPECT_EQ(spikes_of(gpu), spikes_of(cpu));
    EXPECT_EQ(gpu.synaptic_events, cpu.synaptic_events);
    EXPECT_EQ(gpu.device_plan, std::to_string(spread) + " projections spread pre-synaptically, " +
                                   std::to_string(n_pops * fan_out - spread) +
                                   " walked post-synaptically (0 learning)");
}

TEST(NM_SIM_SUITE, refuses_what_it_cannot_run_by_name) {
    NM_NEED_SIM_DEVICE();
    experiment e = make_experiment(0.1, 10.0);
    add_population(e, "in", 4, "lif");
    add_population(e, "many", 4, "lif");
    for (double tau : {1.0, 2.0, 3.0, 4.0, 5.0}) // a port per time constant
        add_projection(e, "in", "many", test::rule("one_to_one"), 0.1).synapse = [&] {
            synapse_spec syn;
            syn.kind = "exp";
            syn.tau_syn = tau;
            syn.weight = 0.1;
            return syn;
        }();
    expect_refusal(e, "population \"many\" has more than 4 synapse ports");

    experiment learning = make_experiment(0.1, 10.0);
    add_population(learning, "a", 4, "lif");
    add_population(learning, "b", 4, "lif");
    projection_spec& p = add_projection(learning, "a", "b", test::rule("all_to_all"), 0.1);
    p.synapse.plasticity.rule = "stdp";
    p.propagation = "pre";
    expect_refusal(learning, "is plastic: the GPU walks plastic");
}

} // namespace
} // namespace nm
