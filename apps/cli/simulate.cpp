// `neuromorph simulate FILE.toml`: build, run, print a summary, write the run folder.
#include "accelerator.hpp"
#include "commands.hpp"
#include "progress.hpp"

#include <nm/errors.hpp>
#include <nm/io.hpp>
#include <nm/simulation.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

namespace nm::cli {

namespace {

struct simulate_options {
    std::string file, out, device = "cpu";
    int threads = 0;
    long long seed = -1;
    double duration = 0.0;
    bool quiet = false, json = false;
};

// 12345678 -> "12,345,678"
std::string grouped(std::uint64_t x) {
    const std::string digits = std::to_string(x);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string megabytes(std::uint64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
    return buf;
}

void print_summary(const simulate_options& o, const run_result& r) {
    std::printf("neuromorph simulate %s\n", o.file.c_str());
    std::printf(
        "  network   %s neurons, %s synapses, memory %s (%.2f bytes/synapse)\n",
        grouped(r.neurons).c_str(), grouped(r.synapses).c_str(), megabytes(r.memory_bytes).c_str(),
        r.synapses ? static_cast<double>(r.synapse_bytes) / static_cast<double>(r.synapses) : 0.0);
    std::printf("  build     %.2f s\n", r.build_s);
    std::printf("  simulate  %.1f ms of biological time in %.2f s (real-time factor %.3g, %s)\n",
                r.duration_ms, r.simulate_s, r.real_time_factor,
                r.device.empty()
                    ? (std::to_string(r.threads) + " thread" + (r.threads == 1 ? "" : "s")).c_str()
                    : r.device.c_str());
    if (!r.device_plan.empty()) std::printf("  spread    %s\n", r.device_plan.c_str());
    std::printf("  spikes    %s; synaptic events %s (%.1f M/s)\n", grouped(r.spikes_total).c_str(),
                grouped(r.synaptic_events).c_str(),
                r.simulate_s > 0 ? static_cast<double>(r.synaptic_events) / r.simulate_s / 1e6
                                 : 0.0);
    print_energy_line(static_cast<double>(r.synaptic_events) / (r.duration_ms * 1e-3),
                      "biological second");
    std::printf("\n  %-16s %10s %12s %10s %8s\n", "population", "size", "spikes", "rate (Hz)",
                "ISI CV");
    for (const auto& p : r.populations) {
        char cv[16] = "-";
        if (std::isfinite(p.isi_cv)) std::snprintf(cv, sizeof cv, "%.3f", p.isi_cv);
        std::printf("  %-16s %10s %12s %10.2f %8s\n", p.name.c_str(), grouped(p.size).c_str(),
                    grouped(p.spikes).c_str(), p.rate_hz, cv);
    }
}

void print_trials(const trials_result& t) {
    std::printf("\n  trials: %u learn, %u label, %u test (%s decoding, %u classes)\n", t.learn,
                t.label, t.test, t.decode.c_str(), t.classes);
    if (!t.curve_accuracy.empty()) {
        std::printf("  learning curve (accuracy per block):");
        for (double a : t.curve_accuracy) std::printf(" %.0f", 100 * a);
        std::printf(" %%\n");
    }
    if (t.decode == "vote")
        std::printf("  readout neurons labelled: %u of %zu\n", t.labelled, t.neuron_class.size());
    if (t.test > 0)
        std::printf("  test accuracy: %.2f%% (chance %.2f%%), %.1f readout spikes per sample\n",
                    100 * t.accuracy, 100 * t.chance, t.mean_spikes);
}

int simulate(const simulate_options& o) {
    experiment e = load_experiment(o.file);
    if (o.threads > 0) e.simulation.threads = o.threads;
    if (o.seed >= 0) e.simulation.seed = static_cast<std::uint64_t>(o.seed);
    if (o.duration > 0) e.simulation.duration = o.duration;
    const std::string out =
        o.out.empty() ? "runs/" + std::filesystem::path(o.file).stem().string() : o.out;

    const accelerator gpu = o.device == "cpu" ? accelerator{} : open_accelerator(o.device);
    simulation sim(e);
    progress_bar bar(e.simulation.duration, "ms");
    const run_result r =
        sim.run([&](std::uint64_t done, std::uint64_t total) { bar(done, total); }, gpu.simulator);
    bar.finish();
    write_run(out, r);
    if (o.json) {
        std::fputs(metrics_json(r).c_str(), stdout);
        return 0;
    }
    if (!o.quiet) {
        print_summary(o, r);
        for (const auto& w : r.weights) {
            std::printf("  plasticity %s: %s weight updates over %zu synapses\n",
                        w.projection.c_str(), std::to_string(w.updates).c_str(), w.weight.size());
            if (w.pulses_total > 0)
                std::printf("    device: %s programming pulses (mean %.2f, max %s per synapse), "
                            "%.3g J\n",
                            std::to_string(w.pulses_total).c_str(),
                            static_cast<double>(w.pulses_total) /
                                static_cast<double>(w.weight.size()),
                            std::to_string(w.pulses_max).c_str(), w.program_energy_j);
        }
        if (r.trials) print_trials(*r.trials);
        std::printf("\n  wrote %s/ (metrics.json, spikes.csv, spikes.bin%s%s%s%s)\n", out.c_str(),
                    r.spikes.empty() ? "" : ", raster.svg",
                    r.traces.empty() ? "" : ", traces_*.csv",
                    r.weights.empty() ? "" : ", weights_*.csv",
                    r.trials ? ", trials.csv, learning_curve.svg" : "");
    }
    return 0;
}

} // namespace

void add_simulate(CLI::App& app, command& run) {
    auto o = std::make_shared<simulate_options>();
    CLI::App* cmd =
        app.add_subcommand("simulate", "Simulate a network from a TOML experiment file");
    cmd->add_option("file", o->file, "experiment file (TOML)")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("-o,--out", o->out, "run folder to write (default: runs/<file stem>)");
    cmd->add_option("-t,--threads", o->threads, "threads (overrides [simulation] threads)")
        ->check(CLI::Range(1, 1024));
    cmd->add_option("-s,--seed", o->seed, "random seed (overrides [simulation] seed)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("-d,--duration", o->duration, "biological time in ms (overrides the file)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--device", o->device, "cpu or cuda (an NVIDIA GPU)")
        ->check(CLI::IsMember({"cpu", "cuda"}));
    cmd->add_flag("-q,--quiet", o->quiet, "print nothing on success");
    cmd->add_flag("--json", o->json, "print metrics.json instead of the summary");
    cmd->callback([o, &run] { run = [o] { return simulate(*o); }; });
}

} // namespace nm::cli
