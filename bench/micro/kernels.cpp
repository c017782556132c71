// Micro-benchmarks of the step loop's kernels (Google Benchmark). Ratios that matter are
// printed side by side: batched vs per-block Philox for a Poisson drive, and the update of a
// LIF population. Run: build/release/bin/nm_bench_kernels
#include "core/network.hpp"
#include "core/philox.hpp"

#include <benchmark/benchmark.h>

namespace {

nm::experiment driven_population(bool subset) {
    nm::experiment e;
    e.simulation.dt = 0.1;
    e.simulation.duration = 1e7; // long enough that the stimulus stays on
    nm::population_spec p;
    p.name = "n";
    p.size = 10000;
    p.params = {{"tau_m", 20.0, ""}, {"v_th", 20.0, ""}, {"v_reset", 10.0, ""}, {"t_ref", 2.0, ""}};
    e.populations.push_back(p);
    nm::stimulus_spec s;
    s.kind = "poisson";
    s.targets = {"n"};
    s.params = {{"rate", 20000.0, ""}, {"weight", 0.1, ""}};
    if (subset) // every neuron, listed: takes the per-block path
        for (std::uint64_t i = 0; i < p.size; ++i) s.neurons.push_back(i);
    e.stimuli.push_back(s);
    return e;
}

void poisson_drive(benchmark::State& state) {
    nm::network net = nm::build_network(driven_population(state.range(0) == 1));
    nm::population& pop = *net.populations[0];
    std::uint64_t step = 0;
    for (auto _ : state) {
        nm::apply(net.stimuli[0][0], pop, {0, pop.size()}, step);
        std::fill(pop.port(0).ring.begin(), pop.port(0).ring.end(), 0.0);
        ++step;
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(pop.size()));
}
BENCHMARK(poisson_drive)->Arg(0)->Arg(1)->ArgName("per_block");

void lif_update(benchmark::State& state) {
    nm::network net = nm::build_network(driven_population(false));
    nm::population& pop = *net.populations[0];
    std::uint64_t step = 0;
    for (auto _ : state) {
        nm::apply(net.stimuli[0][0], pop, {0, pop.size()}, step);
        pop.update(0, step);
        ++step;
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(pop.size()));
}
BENCHMARK(lif_update);

void philox_blocks(benchmark::State& state) {
    const nm::rng_stream rng(1, 2);
    std::uint32_t words[4 * 8];
    std::uint32_t step = 0, sink = 0;
    for (auto _ : state) {
        if (state.range(0) == 8) {
            rng.blocks<8>(0, step, words);
            for (std::uint32_t w : words) sink ^= w;
        } else {
            for (std::uint32_t q = 0; q < 8; ++q) sink ^= rng.block(q, step).w[0];
        }
        ++step;
    }
    benchmark::DoNotOptimize(sink);
    state.SetItemsProcessed(state.iterations() * 8);
}
BENCHMARK(philox_blocks)->Arg(1)->Arg(8)->ArgName("lanes");

} // namespace

BENCHMARK_MAIN();
