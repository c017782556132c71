// The Potjans & Diesmann cortical microcircuit, timed as the reference implementation reports
// it: build time, then the real-time factor over `--duration` ms after a `--warmup` ms
// transient (timed from the progress callback, no spike recording), peak memory and bytes per
// synapse. The network file comes from tools/microcircuit.py (any N/K scaling):
//
//   python3 tools/microcircuit.py --duration 10500 > /tmp/mc.toml
//   build/release/bin/nm_bench_microcircuit --file /tmp/mc.toml --warmup 500 --threads 2
#include "bench_args.hpp"

#ifdef NM_WITH_CUDA
#include "backends/cuda/cuda.hpp"
#endif

#include <nm/errors.hpp>
#include <nm/io.hpp>
#include <nm/simulation.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <sys/resource.h>

namespace {

double peak_rss_gib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / (1024.0 * 1024.0); // kB on Linux
}

const char* const usage =
    "usage: nm_bench_microcircuit --file TOML [--warmup MS] [--threads N] [--device cpu|cuda]\n"
    "                             [--propagation auto|pre|post]\n"
    "Times a network written by tools/microcircuit.py (or any experiment): build, then the\n"
    "real-time factor after the warm-up (the file's duration includes the warm-up).\n"
    "--propagation sets every projection's GPU propagation (default: as the file says).";

} // namespace

int main(int argc, char** argv) {
    std::string file;
    double warmup = 500.0;
    int threads = 0;
    std::string device = "cpu", propagation;
    read_flags(argc, argv, usage, [&](const std::string& flag, const std::string& value) {
        if (flag == "--file")
            file = value;
        else if (flag == "--warmup")
            warmup = std::stod(value);
        else if (flag == "--threads")
            threads = std::stoi(value);
        else if (flag == "--device")
            device = value;
        else if (flag == "--propagation")
            propagation = value;
        else
            return false;
        return true;
    });
    if (file.empty()) {
        std::puts(usage);
        return 2;
    }
    try {
        nm::experiment e = nm::load_experiment(file);
        e.records.clear();
        if (threads > 0) e.simulation.threads = threads;
        if (!propagation.empty())
            for (auto& p : e.projections) p.propagation = propagation;
        nm::device_simulator on_device;
        if (device == "cuda") {
#ifdef NM_WITH_CUDA
            on_device = nm::cuda::simulator();
#else
            throw nm::device_error("--device cuda: built without the CUDA backend");
#endif
        }
        nm::simulation sim(e);
        using clock = std::chrono::steady_clock;
        const std::uint64_t warm_steps = static_cast<std::uint64_t>(warmup / e.simulation.dt);
        clock::time_point timed_from{};
        std::uint64_t timed_step = 0;
        const nm::run_result r = sim.run(
            [&](std::uint64_t done, std::uint64_t) {
                if (timed_step == 0 && done >= warm_steps) {
                    timed_from = clock::now();
                    timed_step = done;
                }
            },
            on_device);
        const double timed_s = std::chrono::duration<double>(clock::now() - timed_from).count();
        const double bio_s = static_cast<double>(r.steps - timed_step) * r.dt * 1e-3;
        double rate = 0.0;
        for (const auto& p : r.populations) rate += p.rate_hz * static_cast<double>(p.size);
        std::printf("microcircuit: %llu neurons, %llu synapses, %d threads%s%s\n",
                    static_cast<unsigned long long>(r.neurons),
                    static_cast<unsigned long long>(r.synapses), r.threads,
                    r.device.empty() ? "" : ", simulated on ", r.device.c_str());
        std::printf("  build %.1f s | RTF %.3f over %.1f s after %.1f s warm-up | peak %.2f GiB | "
                    "%.2f bytes/synapse | mean rate %.2f Hz\n",
                    r.build_s, timed_s / bio_s, bio_s,
                    static_cast<double>(timed_step) * r.dt * 1e-3, peak_rss_gib(),
                    static_cast<double>(r.synapse_bytes) / static_cast<double>(r.synapses),
                    rate / static_cast<double>(r.neurons));
        if (!r.device_plan.empty()) std::printf("  %s\n", r.device_plan.c_str());
        for (const auto& p : r.populations)
            std::printf("  %-6s %8.2f Hz\n", p.name.c_str(), p.rate_hz);
    } catch (const nm::error& err) {
        std::fprintf(stderr, "error: %s\n", err.what());
        return 2;
    }
    return 0;
}
