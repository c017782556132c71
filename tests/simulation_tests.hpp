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
#include <cmath>
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

// Poisson-driven LIF neurons feeding a second population one to one, through delta,
// exponential- or alpha-current synapses with fixed or varying delays, plus a dc current.
experiment feed_forward(const std::string& synapse, bool varying_delay) {
    experiment e = make_experiment(0.1, 300.0, 11);
    const auto lif = params({{"tau_m", 20.0}, {"v_th", 15.0}, {"v_reset", 0.0}, {"t_ref", 2.0}});
    add_population(e, "in", 300, "lif", lif);
    add_population(e, "out", 300, "lif", lif);
    add_stimulus(e, "poisson", "in", params({{"rate", 9000.0}, {"weight", 0.2}}));
    add_stimulus(e, "dc", "out", params({{"amplitude", 0.3}}));
    // 9 mV jumps, or a 2 ms current of about the same effect on the membrane.
    const double weight = synapse == "delta" ? 9.0 : 120.0;
    projection_spec& p = add_projection(e, "in", "out", test::rule("one_to_one"), weight, 1.0);
    p.synapse.kind = synapse;
    if (synapse != "delta") p.synapse.tau_syn = 2.0;
    if (varying_delay) {
        distribution d;
        d.kind = "uniform";
        d.low = 0.5;
        d.high = 3.0;
        p.synapse.delay = d;
    }
    test::record(e, "spikes", "in");
    test::record(e, "spikes", "out");
    test::record(e, "v", "out", {0, 7, 299}, 0.5);
    return e;
}

TEST(NM_SIM_SUITE, feed_forward_spikes_match_the_cpu_exactly) {
    NM_NEED_SIM_DEVICE();
    for (const char* synapse : {"delta", "exp", "alpha"})
        for (bool varying : {false, true}) {
            const experiment e = feed_forward(synapse, varying);
            const run_result cpu = run_on(e, false), gpu = run_on(e, true);
            ASSERT_GT(cpu.populations[1].spikes, 100u)
                << "the test must make neurons fire: " << synapse;
            EXPECT_EQ(spikes_of(gpu), spikes_of(cpu)) << synapse << (varying ? ", varying" : "");
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

// Brunel's network A (examples/brunel.toml) at a tenth of its size: recurrent, so atomic sums
// in another order move single spikes; rates and irregularity agree statistically, and each
// spike reaches as many synapses on average as on the CPU (none is lost).
TEST(NM_SIM_SUITE, brunel_rates_match_the_cpu) {
    NM_NEED_LONG_SIM_DEVICE();
    experiment e = load_experiment(std::string(NM_SOURCE_DIR) + "/examples/brunel.toml");
    e.simulation.duration = 500.0;
    e.records.clear();
    for (auto& p : e.populations) p.size /= 10;
    for (auto& p : e.projections) p.rule.k /= 10;
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

TEST(NM_SIM_SUITE, refuses_what_it_cannot_run_by_name) {
    NM_NEED_SIM_DEVICE();
    experiment e = make_experiment(0.1, 10.0);
    add_population(e, "izh", 10, "izhikevich");
    simulation sim(e);
    try {
        sim.run({}, cuda::simulator());
        FAIL() << "an izhikevich population ran on the GPU";
    } catch (const bad_config& err) {
        EXPECT_NE(std::string(err.what()).find("population \"izh\" has model izhikevich"),
                  std::string::npos)
            << err.what();
    }
}

} // namespace
} // namespace nm
