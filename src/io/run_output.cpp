// The run folder: metrics.json, spikes.csv, spikes.bin (format in docs/outputs.md), traces,
// learned weights, trial results.
#include "io/atomic_file.hpp"
#include "io/raster_svg.hpp"
#include "io/svg.hpp"
#include "nm/io.hpp"

#include <cmath>
#include <cstring>

#include <nlohmann/json.hpp>

namespace nm {

namespace {

nlohmann::json number_or_null(double x) {
    return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json();
}

void write_spikes_csv(std::ofstream& out, const run_result& r) {
    bool graded = false;
    for (const auto& s : r.spikes) graded = graded || s.count > 1;
    out << (graded ? "population,neuron,time_ms,count\n" : "population,neuron,time_ms\n");
    char buf[64];
    for (const auto& s : r.spikes) {
        out << r.population_names[s.population] << ',' << s.neuron << ',';
        std::snprintf(buf, sizeof buf, "%.9g", s.time_ms(r.dt));
        out << buf;
        if (graded) out << ',' << s.count;
        out << '\n';
    }
}

template<class T>
void put(std::ofstream& out, T x) {
    out.write(reinterpret_cast<const char*>(&x), sizeof x);
}

void write_spikes_bin(std::ofstream& out, const run_result& r) {
    out.write("NMSPIKE1", 8);
    put<std::uint32_t>(out, 2); // version
    put<std::uint32_t>(out, static_cast<std::uint32_t>(r.population_names.size()));
    put<double>(out, r.dt);
    put<std::uint64_t>(out, r.spikes.size());
    for (const auto& name : r.population_names) {
        put<std::uint32_t>(out, static_cast<std::uint32_t>(name.size()));
        out.write(name.data(), static_cast<std::streamsize>(name.size()));
    }
    for (const auto& s : r.spikes) {
        put(out, s.step);
        put(out, s.population);
        put(out, s.neuron);
        put(out, s.count);
        put(out, s.offset);
    }
}

void write_trace_csv(std::ofstream& out, const trace_record& t) {
    out << "time_ms";
    for (auto n : t.neurons) out << ",n" << n;
    out << '\n';
    char buf[32];
    const std::size_t width = t.neurons.size();
    for (std::size_t k = 0; k < t.times_ms.size(); ++k) {
        std::snprintf(buf, sizeof buf, "%.6g", t.times_ms[k]);
        out << buf;
        for (std::size_t j = 0; j < width; ++j) {
            std::snprintf(buf, sizeof buf, ",%.9g", t.values[k * width + j]);
            out << buf;
        }
        out << '\n';
    }
}

void write_weights_csv(std::ofstream& out, const weight_record& w) {
    out << "pre,post,weight\n";
    char buf[32];
    for (std::size_t k = 0; k < w.weight.size(); ++k) {
        std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(w.weight[k]));
        out << w.pre[k] << ',' << w.post[k] << ',' << buf << '\n';
    }
}

void write_trials_csv(std::ofstream& out, const trials_result& t) {
    out << "trial,phase,sample,label,prediction,readout_spikes\n";
    for (const trial_row& row : t.rows)
        out << row.trial << ',' << row.phase << ',' << row.sample << ',' << row.label << ','
            << row.prediction << ',' << row.spikes << '\n';
}

std::string learning_curve_svg(const trials_result& t) {
    svg::series curve{"accuracy per block of learn trials", t.curve_trials, t.curve_accuracy};
    svg::series chance{"chance", {0.0, static_cast<double>(t.learn)}, {t.chance, t.chance}};
    std::vector<svg::series> lines{curve};
    if (t.test > 0) lines.push_back(chance);
    return svg::document(
        640, 400,
        svg::line_chart(60, 30, 540, 320,
                        "learning curve (" + t.decode + " decoding), test accuracy " +
                            std::to_string(static_cast<int>(std::lround(100 * t.accuracy))) + "%",
                        "trials learned", lines, 1.0));
}

nlohmann::json trials_json(const trials_result& t) {
    return {{"decode", t.decode},
            {"classes", t.classes},
            {"learn_trials", t.learn},
            {"label_trials", t.label},
            {"test_trials", t.test},
            {"test_accuracy", t.accuracy},
            {"chance", t.chance},
            {"readout_spikes_per_test_trial", t.mean_spikes},
            {"labelled_neurons", t.labelled},
            {"learning_curve", {{"trials", t.curve_trials}, {"accuracy", t.curve_accuracy}}}};
}

} // namespace

std::string metrics_json(const run_result& r) {
    nlohmann::json j;
    j["neurons"] = r.neurons;
    j["synapses"] = r.synapses;
    j["memory_bytes"] = r.memory_bytes;
    j["bytes_per_synapse"] =
        r.synapses ? static_cast<double>(r.synapse_bytes) / static_cast<double>(r.synapses) : 0.0;
    j["build_s"] = r.build_s;
    j["simulate_s"] = r.simulate_s;
    j["real_time_factor"] = r.real_time_factor;
    j["spikes_total"] = r.spikes_total;
    j["synaptic_events"] = r.synaptic_events;
    j["dt_ms"] = r.dt;
    j["duration_ms"] = r.duration_ms;
    j["steps"] = r.steps;
    j["seed"] = r.seed;
    j["threads"] = r.threads;
    j["device"] = r.device.empty() ? "cpu" : r.device;
    if (!r.device_plan.empty()) j["device_plan"] = r.device_plan;
    j["populations"] = nlohmann::json::array();
    for (const auto& p : r.populations)
        j["populations"].push_back({{"name", p.name},
                                    {"model", p.model},
                                    {"size", p.size},
                                    {"spikes", p.spikes},
                                    {"rate_hz", p.rate_hz},
                                    {"isi_cv", number_or_null(p.isi_cv)},
                                    {"max_fan_in", p.max_fan_in},
                                    {"synaptic_events", p.synaptic_events},
                                    {"neuron_updates", p.neuron_updates}});
    j["plastic_projections"] = nlohmann::json::array();
    for (const auto& w : r.weights) {
        double sum = 0.0;
        for (float x : w.weight) sum += x;
        j["plastic_projections"].push_back(
            {{"projection", w.projection},
             {"rule", w.rule},
             {"synapses", w.weight.size()},
             {"weight_updates", w.updates},
             {"programming_pulses", w.pulses_total},
             {"max_pulses_per_synapse", w.pulses_max},
             {"mean_pulses_per_synapse",
              w.weight.empty()
                  ? 0.0
                  : static_cast<double>(w.pulses_total) / static_cast<double>(w.weight.size())},
             {"programming_energy_j", w.program_energy_j},
             {"mean_weight", w.weight.empty() ? 0.0 : sum / static_cast<double>(w.weight.size())}});
    }
    if (r.trials) j["trials"] = trials_json(*r.trials);
    return j.dump(2) + "\n";
}

void write_run(const std::string& dir, const run_result& r) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw io_error(dir + ": cannot create the output folder: " + ec.message());
    const fs::path base(dir);
    write_atomically(base / "metrics.json", [&](std::ofstream& out) { out << metrics_json(r); });
    write_atomically(base / "spikes.csv", [&](std::ofstream& out) { write_spikes_csv(out, r); });
    write_atomically(base / "spikes.bin", [&](std::ofstream& out) { write_spikes_bin(out, r); });
    if (!r.spikes.empty())
        write_atomically(base / "raster.svg", [&](std::ofstream& out) { out << raster_svg(r); });
    for (const auto& t : r.traces)
        write_atomically(base / ("traces_" + t.population + "_" + t.field + ".csv"),
                         [&](std::ofstream& out) { write_trace_csv(out, t); });
    for (const auto& w : r.weights)
        write_atomically(base / ("weights_" + r.population_names[w.pre_population] + "_" +
                                 r.population_names[w.post_population] + ".csv"),
                         [&](std::ofstream& out) { write_weights_csv(out, w); });
    if (r.trials) {
        write_atomically(base / "trials.csv",
                         [&](std::ofstream& out) { write_trials_csv(out, *r.trials); });
        if (!r.trials->curve_trials.empty())
            write_atomically(base / "learning_curve.svg",
                             [&](std::ofstream& out) { out << learning_curve_svg(*r.trials); });
    }
}

} // namespace nm
