// What a model costs on neuromorphic hardware, to first order: synaptic operations (SOPs) times
// each platform's energy per SOP, against the multiply-accumulates of the equivalent
// non-spiking network; whether the model fits a chip, how many chips it needs, and which
// limits it breaks. Static power, memory traffic, I/O and routing are not in these figures.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nm {

struct platform {
    std::string name, neuron_model, learning;
    int year = 0, process_nm = 0, weight_bits = 0;
    double neurons = 0, synapses = 0; // per chip (synapses 0: not reported)
    double j_per_sop = 0;
    std::vector<std::string> models; // neuromorph neuron models it runs
};

struct platform_table {
    std::vector<platform> platforms;
    double j_per_ac = 0.9e-12, j_per_mac = 4.6e-12; // 45 nm reference (Horowitz 2014)
    std::string source;
};

// data/platforms.toml (or `path`); every key checked.
platform_table load_platforms(const std::string& path = "");

// One group of neurons as the chip sees it: a population or a trained layer.
struct cost_group {
    std::string name, model;
    double neurons = 0;
    double max_fan_in = 0; // largest number of synapses onto one neuron
    double sops = 0;       // per unit, caused by this group's spikes
    double spikes = 0;     // per unit
};

// What is being costed, counted from a run ("per" is a sample or a biological second).
struct workload {
    std::string kind, source, per;
    double neurons = 0, synapses = 0;
    double sops = 0;           // synaptic operations per unit
    double spikes = 0;         // per unit
    double snn_macs = 0;       // multiply-accumulates the spiking model still needs (analog input)
    double ann_macs = 0;       // the equivalent non-spiking network, per sample (0 for simulations)
    double neuron_updates = 0; // per unit
    double accuracy = -1;
    std::vector<cost_group> groups;
    std::vector<std::pair<std::string, std::string>> learning; // (projection, rule) that learn
    std::string checkpoint; // trained models: to evaluate with quantized weights
};

struct platform_cost {
    std::string platform;
    bool fits = false;
    double chips = 0;
    std::vector<std::string> violations;
    double energy_j = 0;     // per unit: SOPs × J/SOP + analog MACs at the 45 nm MAC energy
    double ann_energy_j = 0; // the equivalent ANN's MACs at 45 nm
    int weight_bits = 0;
    double quantized_accuracy = -1; // test accuracy with weights at weight_bits (trained models)
};

// A simulation or training run folder (metrics.json, and checkpoint.nmck for training).
workload workload_from_run(const std::string& dir);

// Costs `w` on each platform; `evaluate_quantized` re-tests trained models per weight precision.
std::vector<platform_cost> assess(const workload& w, const std::vector<platform>& platforms,
                                  const platform_table& table, bool evaluate_quantized,
                                  int threads = 1);

// Symmetric uniform quantization to `bits` (sign included): w → round(w/s)·s with
// s = max|w| / (2^(bits−1) − 1); the error is at most s/2 = max|w| / (2^bits − 2).
void quantize(std::vector<float>& weights, int bits);

} // namespace nm
