// `neuromorph cost RUN`: energy per sample (or per biological second) on each neuromorphic
// platform, against the equivalent non-spiking network, and whether the model fits a chip.
#include "commands.hpp"

#include "io/atomic_file.hpp"

#include <nm/cost.hpp>
#include <nm/errors.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

namespace nm::cli {

namespace {

struct cost_options {
    std::string run, platform = "all";
    bool json = false, quantize = true;
    int threads = 1;
};

std::string energy(double j) {
    char b[32];
    const double a = std::abs(j);
    if (a >= 1)
        std::snprintf(b, sizeof b, "%.3g J", j);
    else if (a >= 1e-3)
        std::snprintf(b, sizeof b, "%.3g mJ", j * 1e3);
    else if (a >= 1e-6)
        std::snprintf(b, sizeof b, "%.3g uJ", j * 1e6);
    else
        std::snprintf(b, sizeof b, "%.3g nJ", j * 1e9);
    return b;
}

int cost(const cost_options& o) {
    const platform_table table = load_platforms();
    std::vector<platform> chosen;
    for (const auto& p : table.platforms)
        if (o.platform == "all" || p.name == o.platform) chosen.push_back(p);
    if (chosen.empty()) {
        std::string names;
        for (const auto& p : table.platforms) names += (names.empty() ? "" : ", ") + p.name;
        throw bad_config("unknown platform \"" + o.platform + "\"; known: " + names + " (or all)");
    }
    const workload w = workload_from_run(o.run);
    const std::vector<platform_cost> costs = assess(w, chosen, table, o.quantize, o.threads);

    nlohmann::json j{{"kind", w.kind},
                     {"per", w.per},
                     {"neurons", w.neurons},
                     {"synapses", w.synapses},
                     {"sops", w.sops},
                     {"spikes", w.spikes},
                     {"snn_macs", w.snn_macs},
                     {"ann_macs", w.ann_macs},
                     {"accuracy", w.accuracy},
                     {"j_per_mac_45nm", table.j_per_mac},
                     {"j_per_ac_45nm", table.j_per_ac}};
    j["neuron_updates"] = w.neuron_updates;
    j["groups"] = nlohmann::json::array();
    for (const auto& g : w.groups)
        j["groups"].push_back({{"name", g.name},
                               {"model", g.model},
                               {"neurons", g.neurons},
                               {"max_fan_in", g.max_fan_in},
                               {"sops", g.sops},
                               {"spikes", g.spikes}});
    j["platforms"] = nlohmann::json::array();
    for (const auto& c : costs)
        j["platforms"].push_back({{"platform", c.platform},
                                  {"fits", c.fits},
                                  {"chips", c.chips},
                                  {"violations", c.violations},
                                  {"energy_j", c.energy_j},
                                  {"ann_energy_j", c.ann_energy_j},
                                  {"weight_bits", c.weight_bits},
                                  {"quantized_accuracy", c.quantized_accuracy}});
    const std::filesystem::path dir = std::filesystem::is_regular_file(o.run)
                                          ? std::filesystem::path(o.run).parent_path()
                                          : std::filesystem::path(o.run);
    write_atomically(dir / "cost.json", [&](std::ofstream& f) { f << j.dump(2) << "\n"; });
    if (o.json) {
        std::puts(j.dump(2).c_str());
        return 0;
    }
    std::printf("neuromorph cost %s (%s: %.4g neurons, %.4g synapses)\n", o.run.c_str(),
                w.kind.c_str(), w.neurons, w.synapses);
    std::printf("  per %s: %.4g SOPs, %.4g spikes", w.per.c_str(), w.sops, w.spikes);
    if (w.snn_macs > 0) std::printf(", %.4g MACs on analog input", w.snn_macs);
    if (w.neuron_updates > 0) std::printf(", %.4g neuron updates", w.neuron_updates);
    if (w.ann_macs > 0)
        std::printf("; the equivalent ANN needs %.4g MACs (%s at 45 nm)", w.ann_macs,
                    energy(w.ann_macs * table.j_per_mac).c_str());
    std::printf("\n");
    for (const auto& g : w.groups)
        std::printf("    %-20s %-5s %8.4g neurons  fan-in %-8.4g %10.4g spikes %10.4g SOPs\n",
                    g.name.c_str(), g.model.c_str(), g.neurons, g.max_fan_in, g.spikes, g.sops);
    std::printf("\n  %-14s %5s %6s %14s %9s %6s %10s\n", "platform", "fits", "chips",
                ("energy/" + std::string(w.per == "sample" ? "sample" : "bio s")).c_str(), "vs ANN",
                "bits", w.accuracy >= 0 ? "accuracy" : "");
    for (const auto& c : costs) {
        char ratio[16] = "-", acc[16] = "";
        if (c.ann_energy_j > 0)
            std::snprintf(ratio, sizeof ratio, "%.3gx", c.ann_energy_j / c.energy_j);
        if (c.quantized_accuracy >= 0)
            std::snprintf(acc, sizeof acc, "%.2f%%", 100 * c.quantized_accuracy);
        std::printf("  %-14s %5s %6.0f %14s %9s %6d %10s\n", c.platform.c_str(),
                    c.fits ? "yes" : "no", c.chips, energy(c.energy_j).c_str(), ratio,
                    c.weight_bits, acc);
        for (const auto& v : c.violations) std::printf("      %s\n", v.c_str());
    }
    if (w.accuracy >= 0)
        std::printf("\n  accuracy with float weights: %.2f%%; 'accuracy' above uses the platform's "
                    "weight bits\n",
                    100 * w.accuracy);
    std::printf("\n  First-order estimates: SOPs x each chip's J/SOP (+ analog-input MACs at %.3g "
                "pJ), against\n"
                "  the ANN's MACs at 45 nm (Horowitz 2014). Static power, memory traffic, I/O and "
                "routing are\n"
                "  not included. vs ANN > 1: the spiking model is cheaper.\n",
                table.j_per_mac * 1e12);
    std::printf("\n  wrote %s\n", (dir / "cost.json").string().c_str());
    return 0;
}

} // namespace

void print_energy_line(double sops, const char* per) {
    try {
        const platform_table t = load_platforms();
        for (const auto& p : t.platforms)
            if (p.name == "Loihi-2") {
                std::printf("  energy    %s per %s on Loihi-2 (%.4g SOPs x %.3g pJ; neuromorph "
                            "cost for every chip)\n",
                            energy(sops * p.j_per_sop).c_str(), per, sops, p.j_per_sop * 1e12);
                return;
            }
    } catch (const nm::error&) {
        // An installed binary without data/: the summary simply has no energy line.
    }
}

void add_cost(CLI::App& app, command& run) {
    auto o = std::make_shared<cost_options>();
    CLI::App* cmd = app.add_subcommand(
        "cost", "Energy and fit of a simulation or trained model on neuromorphic chips");
    cmd->add_option("run", o->run, "run folder (or its checkpoint.nmck) from simulate or train")
        ->required()
        ->check(CLI::ExistingPath);
    cmd->add_option("-p,--platform", o->platform, "platform name from data/platforms.toml, or all");
    cmd->add_flag("--json", o->json, "print cost.json instead of the table");
    cmd->add_flag("!--no-quantize", o->quantize,
                  "skip re-testing trained models at each platform's weight precision");
    cmd->add_option("-t,--threads", o->threads, "threads for the quantized evaluations")
        ->check(CLI::Range(1, 1024));
    cmd->callback([o, &run] { run = [o] { return cost(*o); }; });
}

} // namespace nm::cli
