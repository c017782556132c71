// The cost model: workloads counted from run folders, energy and fit per platform, weight
// quantization.
#include "nm/cost.hpp"

#include "nm/errors.hpp"
#include "nm/train.hpp"
#include "train/checkpoint.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

namespace nm {

namespace {

nlohmann::json read_json(const std::filesystem::path& p) {
    std::ifstream in(p);
    if (!in) throw io_error(p.string() + ": cannot open (is this a neuromorph run folder?)");
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw io_error(p.string() + ": not valid JSON: " + e.what());
    }
}

std::string fmt_count(double x) {
    char b[32];
    std::snprintf(b, sizeof b, "%.4g", x);
    return b;
}

bool pass_through(const std::string& kind) {
    return kind == "avgpool" || kind == "maxpool" || kind == "dropout";
}

// A trained model's groups (its neuron layers: size, spikes, the fan-in of the synaptic layer
// before and the SOPs their spikes cause in the one after), synapses (unrolled: a convolution
// counts every output's fan-in) and the equivalent ANN's MACs, from metrics.json's layer list
// and the checkpoint's weight shapes.
void trained_structure(const std::string& checkpoint, const nlohmann::json& layers, workload& w) {
    const train::checkpoint ck = train::read_checkpoint(checkpoint);
    std::map<std::string, double> sizes;
    for (const auto& p : ck.params) sizes[p.name] = static_cast<double>(p.values.size());
    std::vector<double> connections(layers.size(), 0.0); // synaptic layers only
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const std::string kind = layers[i].value("kind", std::string()),
                          prefix = "layer" + std::to_string(i + 1);
        if (kind != "dense" && kind != "linear" && kind != "conv2d") continue;
        const double outputs = layers[i].value("outputs", 0.0), weights = sizes[prefix + ".weight"];
        const double out_channels = kind == "conv2d" ? sizes[prefix + ".bias"] : outputs;
        connections[i] = outputs * (weights / out_channels);
        w.synapses += connections[i];
        w.ann_macs += connections[i]; // the equivalent ANN makes one pass per sample
    }
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const std::string kind = layers[i].value("kind", std::string());
        if (kind != "lif" && kind != "alif" && kind != "li") continue;
        cost_group g{"layer " + std::to_string(i + 1) + " (" + kind + ")", kind,
                     layers[i].value("outputs", 0.0)};
        if (i > 0 && connections[i - 1] > 0) g.max_fan_in = connections[i - 1] / g.neurons;
        g.spikes = layers[i].value("spikes_per_sample", 0.0);
        // The next synaptic layer, past pooling and dropout (which pass each spike on to one of
        // its inputs): every spike reaches that layer's connections / inputs synapses on average.
        std::size_t j = i + 1;
        while (j < layers.size() && connections[j] == 0 &&
               pass_through(layers[j].value("kind", std::string())))
            ++j;
        if (j < layers.size() && connections[j] > 0)
            g.sops = g.spikes * connections[j] / layers[j - 1].value("outputs", 1.0);
        w.groups.push_back(g);
        w.neurons += g.neurons;
    }
}

} // namespace

workload workload_from_run(const std::string& dir_or_checkpoint) {
    namespace fs = std::filesystem;
    fs::path dir = dir_or_checkpoint;
    if (fs::is_regular_file(dir)) dir = dir.parent_path();
    const nlohmann::json m = read_json(dir / "metrics.json");
    workload w;
    w.source = dir.string();
    if (m.contains("test_accuracy")) {
        w.kind = "trained model";
        w.per = "sample";
        w.checkpoint = (dir / "checkpoint.nmck").string();
        if (!fs::exists(w.checkpoint))
            throw io_error(w.checkpoint +
                           ": missing (the cost of a trained model reads its layers)");
        if (!m.contains("layers"))
            throw io_error((dir / "metrics.json").string() + ": no layer list");
        trained_structure(w.checkpoint, m["layers"], w);
        w.neuron_updates = w.neurons * m.value("steps", 0.0);
        w.sops = m.value("sops_per_sample", 0.0);
        w.spikes = m.value("spikes_per_sample", 0.0);
        w.snn_macs = m.value("macs_per_sample", 0.0);
        w.accuracy = m.value("test_accuracy", -1.0);
        return w;
    }
    if (!m.contains("synaptic_events") || !m.contains("populations"))
        throw io_error((dir / "metrics.json").string() +
                       ": neither a simulation nor a training run's metrics");
    w.kind = "simulation";
    w.per = "biological second";
    const double seconds = m.value("duration_ms", 0.0) * 1e-3;
    if (!(seconds > 0))
        throw io_error((dir / "metrics.json").string() + ": duration_ms must be > 0");
    w.neurons = m.value("neurons", 0.0);
    w.synapses = m.value("synapses", 0.0);
    w.sops = m.value("synaptic_events", 0.0) / seconds;
    w.spikes = m.value("spikes_total", 0.0) / seconds;
    for (const auto& p : m["populations"]) {
        w.groups.push_back({p.value("name", std::string()), p.value("model", std::string()),
                            p.value("size", 0.0), p.value("max_fan_in", 0.0),
                            p.value("synaptic_events", 0.0) / seconds,
                            p.value("spikes", 0.0) / seconds});
        w.neuron_updates += p.value("neuron_updates", 0.0) / seconds;
    }
    if (m.contains("plastic_projections"))
        for (const auto& p : m["plastic_projections"])
            w.learning.emplace_back(p.value("projection", std::string()),
                                    p.value("rule", std::string()));
    return w;
}

void quantize(std::vector<float>& weights, int bits) {
    if (bits < 2)
        throw bad_parameter("weight_bits = " + std::to_string(bits) +
                            " must be >= 2 (sign and magnitude)");
    float top = 0;
    for (float x : weights) top = std::max(top, std::abs(x));
    if (top == 0) return;
    const double levels = std::ldexp(1.0, bits - 1) - 1; // per sign
    const double step = top / levels;
    for (float& x : weights) x = static_cast<float>(std::round(x / step) * step);
}

// Whether a chip's on-chip learning (platforms.toml `learning`) runs a plasticity rule: a
// programmable learning engine runs any; a fixed STDP circuit runs pair STDP only.
namespace {

bool learns(const std::string& learning, const std::string& rule) {
    if (learning == "yes" || learning == "programmable") return true;
    return learning == "STDP" && rule == "stdp";
}

} // namespace

std::vector<platform_cost> assess(const workload& w, const std::vector<platform>& platforms,
                                  const platform_table& table, bool evaluate_quantized,
                                  int threads) {
    std::map<int, double> accuracy_at_bits;
    std::vector<platform_cost> out;
    for (const platform& p : platforms) {
        platform_cost c;
        c.platform = p.name;
        c.weight_bits = p.weight_bits;
        const double by_neurons = std::ceil(w.neurons / p.neurons);
        const double by_synapses = p.synapses > 0 ? std::ceil(w.synapses / p.synapses) : 1.0;
        c.chips = std::max({1.0, by_neurons, by_synapses});
        const double ratio = p.synapses > 0 ? p.synapses / p.neurons : 0.0;
        for (const cost_group& g : w.groups) {
            if (std::find(p.models.begin(), p.models.end(), g.model) == p.models.end())
                c.violations.push_back(g.name + ": model " + g.model + " is not among " + p.name +
                                       "'s neuron models");
            if (ratio > 0 && g.max_fan_in > ratio)
                c.violations.push_back(g.name + ": fan-in " + fmt_count(g.max_fan_in) +
                                       " exceeds the chip's " + fmt_count(ratio) +
                                       " synapses per neuron");
        }
        for (const auto& [projection, rule] : w.learning)
            if (!learns(p.learning, rule))
                c.violations.push_back(projection + ": learns with " + rule + "; " + p.name +
                                       "'s on-chip learning is \"" + p.learning + "\"");
        if (by_neurons > 1)
            c.violations.push_back(fmt_count(w.neurons) + " neurons > " + fmt_count(p.neurons) +
                                   " per chip");
        if (by_synapses > 1)
            c.violations.push_back(fmt_count(w.synapses) + " synapses > " + fmt_count(p.synapses) +
                                   " per chip");
        c.fits = c.violations.empty();
        c.energy_j = w.sops * p.j_per_sop + w.snn_macs * table.j_per_mac;
        c.ann_energy_j = w.ann_macs * table.j_per_mac;
        if (evaluate_quantized && !w.checkpoint.empty()) {
            const auto known = accuracy_at_bits.find(p.weight_bits);
            c.quantized_accuracy =
                known != accuracy_at_bits.end()
                    ? known->second
                    : (accuracy_at_bits[p.weight_bits] =
                           evaluate_checkpoint(w.checkpoint, "", threads, p.weight_bits)
                               .test_accuracy);
        }
        out.push_back(std::move(c));
    }
    return out;
}

} // namespace nm
