// Brunel (2000) model A at several scales (sizes × scale, in-degrees fixed) for 1 s of
// biological time: wall time, real-time factor, neuron updates/s, synaptic events/s, peak
// memory and bytes per synapse; each scale's cost per neuron is printed as a ratio to the
// first scale run in the same process (1.00 = cost grows linearly with size).
//
//   build/release/bin/nm_bench_brunel --scale 1 --scale 5 --threads 2
#include "bench_args.hpp"

#include <nm/errors.hpp>
#include <nm/io.hpp>
#include <nm/simulation.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <sys/resource.h>

namespace {

double peak_rss_mb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / 1024.0; // kB on Linux
}

const char* const usage =
    "usage: nm_bench_brunel [--scale S]... [--threads N] [--duration MS] [--file TOML]\n"
    "Runs examples/brunel.toml with population sizes multiplied by each S (default 1).";

} // namespace

int main(int argc, char** argv) {
    std::vector<double> scales;
    int threads = 0;
    double duration = 1000.0;
    std::string file = std::string(NM_SOURCE_DIR) + "/examples/brunel.toml";
    read_flags(argc, argv, usage, [&](const std::string& flag, const std::string& value) {
        if (flag == "--scale")
            scales.push_back(std::stod(value));
        else if (flag == "--threads")
            threads = std::stoi(value);
        else if (flag == "--duration")
            duration = std::stod(value);
        else if (flag == "--file")
            file = value;
        else
            return false;
        return true;
    });
    if (scales.empty()) scales.push_back(1.0);
    try {
        std::printf("%-6s %9s %12s %8s %8s %9s %13s %13s %9s %8s %9s\n", "scale", "neurons",
                    "synapses", "build s", "sim s", "RTF", "updates/s", "events/s", "peak MB",
                    "B/syn", "vs first");
        double first_cost = 0.0;
        for (double scale : scales) {
            nm::experiment e = nm::load_experiment(file);
            for (auto& p : e.populations) p.size = static_cast<std::uint64_t>(p.size * scale);
            e.records.clear();
            e.simulation.duration = duration;
            if (threads > 0) e.simulation.threads = threads;
            nm::simulation sim(e);
            const nm::run_result r = sim.run();
            const double updates = static_cast<double>(r.neurons) * static_cast<double>(r.steps);
            const double cost = r.simulate_s / static_cast<double>(r.neurons);
            if (first_cost == 0.0) first_cost = cost;
            std::printf("%-6g %9llu %12llu %8.2f %8.2f %9.2f %13.3g %13.3g %9.0f %8.2f %9.2f\n",
                        scale, static_cast<unsigned long long>(r.neurons),
                        static_cast<unsigned long long>(r.synapses), r.build_s, r.simulate_s,
                        r.real_time_factor, updates / r.simulate_s,
                        static_cast<double>(r.synaptic_events) / r.simulate_s, peak_rss_mb(),
                        static_cast<double>(r.synapse_bytes) / static_cast<double>(r.synapses),
                        cost / first_cost);
            std::fflush(stdout);
        }
    } catch (const nm::error& err) {
        std::fprintf(stderr, "error: %s\n", err.what());
        return 2;
    }
    return 0;
}
