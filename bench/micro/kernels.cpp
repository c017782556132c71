// Micro-benchmarks of the step loop's kernels (Google Benchmark). Ratios that matter are
// printed side by side: batched vs per-block Philox for a Poisson drive, the update of a LIF
// population, and a dense layer's two products with 0/1 spikes from subset tables against
// OpenBLAS's GEMMs. Run: build/release/bin/nm_bench_kernels
#include "core/huge_pages.hpp"
#include "core/network.hpp"
#include "core/philox.hpp"
#include "train/blas.hpp"
#include "train/spike_matrix.hpp"

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

// The training benchmark's first layer (bench/peers/train_torch.py): 25 steps × 128 samples of
// 784 rate-coded inputs into 1,024 outputs, forward Y = X·W and weight gradient Xᵀ·G per
// iteration. Pixel-like inputs: half never fire, in runs of eight (the background), the rest
// at rates up to 0.9 (rate-coded Fashion-MNIST: 28% ones).
void spike_products(benchmark::State& state) {
    constexpr std::size_t steps = 25, samples = 128, rows = steps * samples, ins = 784, outs = 1024;
    const nm::rng_stream rng(3, 4);
    std::vector<float> x(rows * ins), w(ins * outs), g(rows * outs), y(rows * outs), gw(ins * outs);
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t i = 0; i < ins; ++i) {
            const double rate =
                i % 2 == 0 ? 0.0 : 0.9 * rng.uniform(static_cast<std::uint32_t>(i), 0);
            x[r * ins + i] =
                rng.uniform(static_cast<std::uint32_t>(r * ins + i), 1) < rate ? 1.0f : 0.0f;
        }
    for (std::size_t k = 0; k < w.size(); ++k)
        w[k] = static_cast<float>(rng.uniform(static_cast<std::uint32_t>(k), 2) - 0.5);
    for (std::size_t k = 0; k < g.size(); ++k)
        g[k] = static_cast<float>(rng.uniform(static_cast<std::uint32_t>(k), 3) - 0.5);
    nm::train::set_threads(1);
    nm::train::spike_matrix bits;
    bits.keep(x.data(), rows, ins, steps);
    for (auto _ : state) {
        if (state.range(0) == 1) {
            bits.times(w.data(), nullptr, outs, y.data());
            bits.add_transposed_times(g.data(), outs, gw.data());
        } else {
            nm::train::gemm(false, false, rows, outs, ins, 1.0f, x.data(), ins, w.data(), outs,
                            0.0f, y.data(), outs);
            nm::train::gemm(true, false, ins, outs, rows, 1.0f, x.data(), ins, g.data(), outs, 1.0f,
                            gw.data(), outs);
        }
        benchmark::DoNotOptimize(y.data());
        benchmark::DoNotOptimize(gw.data());
    }
}
BENCHMARK(spike_products)->Arg(0)->Arg(1)->ArgName("subset_tables")->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
