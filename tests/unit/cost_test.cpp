// The cost model: SOP counts against hand-computed numbers (simulator and trained graph), ANN
// MACs against layer arithmetic, energy = count × table value, the table against the sources,
// fit at and just over a chip's limits, and the quantization error bound.
#include "helpers.hpp"
#include "scratch.hpp"

#include <nm/cost.hpp>
#include <nm/errors.hpp>
#include <nm/train.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <tuple>

namespace nm::test {
namespace {

TEST(cost, simulator_sops_equal_spikes_times_out_degree) {
    // Source neuron 0 fires twice, neuron 1 once, neuron 2 never; out-degrees 3, 1 and 5.
    experiment e = make_experiment(0.1, 10.0);
    add_population(e, "src", 3, "lif", params({{"tau_m", 10.0}}));
    add_population(e, "dst", 5, "lif", params({{"tau_m", 10.0}, {"v_th", 1e9}}));
    auto& twice = add_stimulus(e, "spike_times", "src", params({{"weight", 5.0}}));
    twice.times = {1.0, 5.0};
    twice.neurons = {0};
    auto& once = add_stimulus(e, "spike_times", "src", params({{"weight", 5.0}}));
    once.times = {2.0};
    once.neurons = {1};
    connection_rule r = rule("explicit");
    r.pre = {0, 0, 0, 1, 2, 2, 2, 2, 2};
    r.post = {0, 1, 2, 3, 0, 1, 2, 3, 4};
    add_projection(e, "src", "dst", r, 0.1, 1.0);
    const run_result res = run(e);
    ASSERT_EQ(res.populations[0].spikes, 3u);
    EXPECT_EQ(res.synaptic_events, 2u * 3 + 1u * 1);
    EXPECT_EQ(res.populations[1].max_fan_in, 2u);      // dst 0..3 get 2 synapses each, dst 4 one
    EXPECT_EQ(res.populations[0].synaptic_events, 7u); // per population: all caused by src
    EXPECT_EQ(res.populations[1].synaptic_events, 0u);
    EXPECT_EQ(res.populations[0].neuron_updates, 3u * 100);
}

// A tiny trained model: 64 inputs (digits) - 32 LIF - 10 LI, direct input, 2 epochs.
std::filesystem::path trained_run() {
    const auto dir = scratch_path("cost_trained");
    static bool done = false;
    if (!done) {
        const train_spec s = parse_train_spec(R"([data]
dataset = "digits"
[input]
steps = 6
[[layer]]
kind = "dense"
size = 32
[[layer]]
kind = "lif"
[[layer]]
kind = "dense"
size = 10
[[layer]]
kind = "li"
[loss]
kind = "ce_mean"
[train]
epochs = 2
batch = 64
)",
                                              "tiny.toml");
        train_network(s, dir.string());
        done = true;
    }
    return dir;
}

TEST(cost, trained_graph_counts_match_layer_arithmetic) {
    const workload w = workload_from_run(trained_run().string());
    EXPECT_EQ(w.kind, "trained model");
    EXPECT_DOUBLE_EQ(w.synapses, 64.0 * 32 + 32.0 * 10);
    EXPECT_DOUBLE_EQ(w.ann_macs, 64.0 * 32 + 32.0 * 10); // one pass of the equivalent ANN
    EXPECT_DOUBLE_EQ(w.neurons, 32.0 + 10.0);
    EXPECT_DOUBLE_EQ(w.snn_macs, 64.0 * 32); // direct input: the first layer multiplies, once
    const train_result r = evaluate_checkpoint((trained_run() / "checkpoint.nmck").string());
    // Every hidden spike reaches the 10 outputs: SOPs = hidden spikes × 10.
    EXPECT_NEAR(r.sops_per_sample, r.layer_spikes_per_sample[1] * 10, 1e-9 * r.sops_per_sample);
    EXPECT_NEAR(w.sops, r.sops_per_sample, 1e-9 * r.sops_per_sample);
    ASSERT_EQ(w.groups.size(), 2u); // the LIF layer and the readout
    EXPECT_NEAR(w.groups[0].sops, w.sops, 1e-9 * w.sops);
    EXPECT_EQ(w.groups[1].sops, 0.0);
}

TEST(cost, energy_is_count_times_table_value) {
    const platform_table t = load_platforms();
    const workload w = workload_from_run(trained_run().string());
    const auto costs = assess(w, t.platforms, t, false);
    ASSERT_EQ(costs.size(), t.platforms.size());
    for (std::size_t i = 0; i < costs.size(); ++i) {
        EXPECT_DOUBLE_EQ(costs[i].energy_j,
                         w.sops * t.platforms[i].j_per_sop + w.snn_macs * 4.6e-12);
        EXPECT_DOUBLE_EQ(costs[i].ann_energy_j, w.ann_macs * 4.6e-12);
    }
}

TEST(cost, platform_table_matches_the_sources) {
    // ../shared/SPEC.md §6 (J/SOP, process, neurons, synapses).
    const std::vector<std::tuple<std::string, int, double, double, double>> expected{
        {"SpiNNaker-1", 130, 1.6e4, 1.6e7, 1.13e-8},
        {"TrueNorth", 28, 1e6, 2.56e8, 4.86e-11},
        {"ODIN", 28, 256, 6.5e4, 8.40e-12},
        {"Loihi-1", 14, 1.28e5, 1.28e8, 2.36e-11},
        {"Tianjic", 28, 4.0e4, 1.0e7, 7.82e-13},
        {"uBrain", 40, 336, 3.7e4, 6.27e-13},
        {"SpiNNaker-2", 22, 1.25e5, 1.52e8, 1.50e-11},
        {"Loihi-2", 7, 1e6, 1.28e8, 1.61e-11},
        {"ReckOn", 28, 256, 1.32e5, 5.47e-12},
        {"BrainScaleS-2", 65, 512, 1.32e5, 1.00e-11},
        {"SNE", 22, 8192, 0, 2.21e-13},
        {"THOR", 28, 256, 6.5e4, 1.40e-12},
        {"ANP-I", 28, 522, 5.17e5, 1.50e-12},
        {"NorthPole", 12, 1e6, 2.56e8, 8.76e-11},
        {"Darwin-3", 22, 2.35e6, 0, 5.47e-12}};
    const platform_table t = load_platforms();
    ASSERT_EQ(t.platforms.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const auto& [name, nm, neurons, synapses, jsop] = expected[i];
        EXPECT_EQ(t.platforms[i].name, name);
        EXPECT_EQ(t.platforms[i].process_nm, nm) << name;
        EXPECT_DOUBLE_EQ(t.platforms[i].neurons, neurons) << name;
        EXPECT_DOUBLE_EQ(t.platforms[i].synapses, synapses) << name;
        EXPECT_DOUBLE_EQ(t.platforms[i].j_per_sop, jsop) << name;
    }
    EXPECT_DOUBLE_EQ(t.j_per_mac, 4.6e-12);
    EXPECT_DOUBLE_EQ(t.j_per_ac, 0.9e-12);
}

TEST(cost, fit_just_under_and_just_over_the_limits) {
    platform chip;
    chip.name = "chip";
    chip.neurons = 1000;
    chip.synapses = 100000; // 100 synapses per neuron
    chip.j_per_sop = 1e-11;
    chip.weight_bits = 8;
    chip.models = {"lif"};
    const platform_table t;
    workload w;
    w.neurons = 1000;
    w.synapses = 100000;
    w.groups = {{"layer 2 (lif)", "lif", 1000, 100}};
    auto c = assess(w, {chip}, t, false).front();
    EXPECT_TRUE(c.fits);
    EXPECT_EQ(c.chips, 1.0);
    w.neurons = 1001;
    c = assess(w, {chip}, t, false).front();
    EXPECT_FALSE(c.fits);
    EXPECT_EQ(c.chips, 2.0);
    w.neurons = 1000;
    w.synapses = 100001;
    EXPECT_EQ(assess(w, {chip}, t, false).front().chips, 2.0);
    w.synapses = 100000;
    w.groups = {{"layer 2 (lif)", "lif", 1000, 101}};
    c = assess(w, {chip}, t, false).front();
    EXPECT_FALSE(c.fits);
    ASSERT_EQ(c.violations.size(), 1u);
    EXPECT_NE(c.violations[0].find("fan-in 101 exceeds"), std::string::npos);
    w.groups = {{"exc", "alif", 1000, 10}};
    c = assess(w, {chip}, t, false).front();
    EXPECT_NE(c.violations.at(0).find("model alif is not among"), std::string::npos);
}

// A run that learns needs the rule on chip: a programmable engine runs any rule, a fixed STDP
// circuit only pair STDP, a chip without learning none.
TEST(cost, on_chip_learning_must_run_the_rule) {
    platform chip;
    chip.name = "chip";
    chip.neurons = 1000;
    chip.j_per_sop = 1e-11;
    chip.models = {"lif"};
    const platform_table t;
    workload w;
    w.neurons = 10;
    w.groups = {{"exc", "lif", 10, 5}};
    w.learning = {{"\"exc\" -> \"exc\"", "stdp"}};
    for (const auto& [learning, rule, fits] :
         {std::tuple{"programmable", "rstdp", true}, std::tuple{"yes", "triplet", true},
          std::tuple{"STDP", "stdp", true}, std::tuple{"STDP", "triplet", false},
          std::tuple{"no", "stdp", false}, std::tuple{"e-prop", "stdp", false}}) {
        chip.learning = learning;
        w.learning[0].second = rule;
        const auto c = assess(w, {chip}, t, false).front();
        EXPECT_EQ(c.fits, fits) << learning << " / " << rule;
        if (!fits) {
            EXPECT_NE(c.violations.at(0).find("learns with " + std::string(rule)),
                      std::string::npos);
        }
    }
}

TEST(cost, quantization_error_is_bounded_by_the_step) {
    for (int bits : {2, 3, 4, 8, 16}) {
        std::vector<float> w(1000);
        for (std::size_t i = 0; i < w.size(); ++i)
            w[i] = std::sin(0.37f * static_cast<float>(i)) * 0.8f;
        const std::vector<float> original = w;
        quantize(w, bits);
        double top = 0;
        for (float x : original) top = std::max(top, static_cast<double>(std::abs(x)));
        // Half a step, plus the float rounding of the stored value.
        const double bound = top / (std::ldexp(1.0, bits) - 2) + top * std::ldexp(1.0, -23);
        std::set<float> levels(w.begin(), w.end());
        EXPECT_LE(levels.size(), static_cast<std::size_t>(std::ldexp(1.0, bits) - 1)) << bits;
        for (std::size_t i = 0; i < w.size(); ++i)
            EXPECT_LE(std::abs(w[i] - original[i]), bound) << bits;
    }
    std::vector<float> w{1.0f};
    EXPECT_THROW(quantize(w, 1), nm::error);
}

TEST(cost, quantized_evaluation_degrades_gracefully) {
    const platform_table t = load_platforms();
    const workload w = workload_from_run(trained_run().string());
    std::vector<platform> two;
    for (const auto& p : t.platforms)
        if (p.name == "ODIN" || p.name == "SpiNNaker-2") two.push_back(p);
    const auto c = assess(w, two, t, true);
    ASSERT_EQ(c.size(), 2u);
    EXPECT_NEAR(c[1].quantized_accuracy, w.accuracy, 0.02); // 16 bits: as good as float
    EXPECT_GE(c[0].quantized_accuracy, 0.0);                // 3 bits: evaluated
}

} // namespace
} // namespace nm::test
