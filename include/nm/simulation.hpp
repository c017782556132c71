// Building and running an experiment on CPU threads; what a run measured and recorded.
#pragma once

#include <nm/experiment.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nm {

struct population_result {
    std::string name;
    std::string model;
    std::uint64_t size = 0;
    std::uint64_t spikes = 0;          // graded spikes count as one spike event each
    double rate_hz = 0.0;              // mean over neurons
    double isi_cv = 0.0;               // mean over neurons with >= 2 intervals; NaN when none
    std::uint64_t max_fan_in = 0;      // most synapses onto one neuron, over all projections
    std::uint64_t synaptic_events = 0; // SOPs caused by this population's spikes
    std::uint64_t neuron_updates = 0;  // size × steps
};

struct spike_record {
    std::uint32_t step;
    std::uint32_t population;
    std::uint32_t neuron;
    std::uint32_t count;  // graded spike size n (1 for binary spikes)
    float offset = -1.0f; // ms into the step of an off-grid spike; < 0: at the step's end

    // A spike computed in step k happens at (k + 1)·dt, or at k·dt + offset when the model
    // timed its threshold crossing inside the step.
    double time_ms(double dt) const { return offset < 0 ? (step + 1) * dt : step * dt + offset; }
};

// One recorded state field: values[sample * neurons.size() + j] for neurons[j].
struct trace_record {
    std::string population;
    std::string field;
    std::vector<std::uint64_t> neurons;
    std::vector<double> times_ms;
    std::vector<double> values;
};

// The synapses of a plastic projection at the end of a run (one entry per synapse).
struct weight_record {
    std::string projection; // "pre -> post"
    std::string rule;       // the plasticity rule
    std::uint32_t pre_population = 0, post_population = 0;
    std::vector<std::uint32_t> pre, post; // neuron indices
    std::vector<float> weight;
    std::uint64_t updates = 0; // weight updates made during the run
    // Device synapses (plasticity with `levels`): programming pulses and their energy.
    std::uint64_t pulses_total = 0, pulses_max = 0; // pulses_max: the most on one synapse
    double program_energy_j = 0.0;
};

// What a trial protocol ([trials], src/core/trials.hpp) measured.
struct trial_row {
    std::uint32_t trial, sample, label;
    int prediction;       // -1: no answer (no spike, or a tie)
    std::uint32_t spikes; // readout spikes during the presentation
    const char* phase;    // learn | label | test
};
struct trials_result {
    std::string decode; // vote | first_spike
    std::uint32_t classes = 0, learn = 0, label = 0, test = 0;
    double accuracy = 0.0;              // test phase
    double chance = 0.0;                // the most frequent test class's share
    double mean_spikes = 0.0;           // readout spikes per test presentation
    std::vector<int> neuron_class;      // vote: each readout neuron's label (-1: silent)
    std::uint32_t labelled = 0;         // vote: readout neurons with a label
    std::vector<double> curve_trials;   // learning curve: trials learned at each block's end...
    std::vector<double> curve_accuracy; // ...and the block's accuracy (vote: neurons labelled
                                        // on the previous 5 blocks, Diehl & Cook's online one)
    std::vector<trial_row> rows;
};

struct run_result {
    double dt = 0.0, duration_ms = 0.0;
    std::uint64_t seed = 0;
    int threads = 1;
    std::uint64_t neurons = 0, synapses = 0, steps = 0;
    std::uint64_t memory_bytes = 0;  // state, synapses and buffers the engine allocated
    std::uint64_t synapse_bytes = 0; // synapse storage alone (CSR arrays)
    double build_s = 0.0, simulate_s = 0.0;
    double real_time_factor = 0.0; // wall seconds per biological second (< 1: faster than real)
    std::uint64_t spikes_total = 0;
    std::uint64_t synaptic_events = 0; // SOPs: synapses reached by spikes
    std::vector<population_result> populations;
    std::vector<std::string> population_names; // index = spike_record::population
    std::vector<spike_record> spikes;          // recorded spikes, ordered by (step, pop, neuron)
    std::vector<trace_record> traces;
    std::vector<weight_record> weights; // plastic projections
    std::optional<trials_result> trials;
    std::string device;      // the accelerator that ran the network, when one did
    std::string device_plan; // how it carried the spikes, in words (GPU: pre/post projections)
};

// Called from the simulation loop about every 1% of the run: (steps done, steps total).
using progress_fn = std::function<void(std::uint64_t, std::uint64_t)>;

// What an accelerator backend hands back after running a built network in place of the CPU
// step loop; it writes the network's final state and spike statistics back itself.
struct device_totals {
    std::vector<std::uint64_t> events; // synaptic events per projection
    std::vector<spike_record> spikes;  // recorded spikes, any order
    std::string device;                // the accelerator, in words
    std::string plan;                  // how it carried the spikes, in words
    double setup_s = 0.0;              // uploading the network: counted as build time
};
struct network;
// nm::cuda::simulator() provides one; the CLI passes it in for --device cuda.
using device_simulator = std::function<device_totals(network&, const progress_fn&)>;

class simulation {
public:
    // Validates the whole experiment and builds the network; throws nm::error on bad input.
    explicit simulation(const experiment& e);
    ~simulation();
    simulation(const simulation&) = delete;
    simulation& operator=(const simulation&) = delete;

    // Runs the experiment's duration, on `device` when given; callable once.
    run_result run(const progress_fn& progress = {}, const device_simulator& device = {});

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// Model and stimulus catalogue for `neuromorph models` and docs: names, units, defaults, docs.
struct field_doc {
    std::string name, unit, allowed, doc, default_value;
};
struct model_doc {
    std::string name, summary;
    std::vector<field_doc> params, state;
};
std::vector<model_doc> model_catalogue();
std::vector<model_doc> stimulus_catalogue();

} // namespace nm
