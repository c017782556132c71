// An experiment as plain data: what the TOML loader produces and the simulator consumes.
// Every item remembers where it came from (`where`: "file.toml:12:3", or "" from code) so that
// errors found while building can point back at the line the user wrote.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace nm {

// A random distribution for per-neuron or per-synapse values.
struct distribution {
    std::string kind; // uniform(low, high) | normal(mean, std) | normal_clipped(mean, std, low,
                      // high) | lognormal(mu, sigma: of the underlying normal)
    double low = 0, high = 0, mean = 0, std = 0, mu = 0, sigma = 0;
};

// A scalar, a choice name, one value per neuron, or a distribution.
using value = std::variant<double, std::string, std::vector<double>, distribution>;

struct param {
    std::string name;
    nm::value value;
    std::string where;
};

struct simulation_spec {
    double dt = 0.1;          // ms
    double duration = 1000.0; // ms
    std::uint64_t seed = 1;
    int threads = 1;
    bool duration_given = false; // false: the default, or set by [trials]
    std::string where;
};

struct population_spec {
    std::string name;
    std::uint64_t size = 0;
    std::string model = "lif";
    std::vector<param> params; // model parameters, validated against the model's field table
    std::vector<param> init;   // initial state values (scalar, per-neuron list or distribution)
    std::string where;
};

// Synaptic plasticity of a projection (src/plasticity/): the rule and its parameters, which are
// validated against the rule's field table when the network is built.
struct plasticity_spec {
    std::string rule; // "" (static synapses) | "stdp" | "triplet" | "rstdp"
    std::vector<param> params;
    std::vector<double> reward_times, reward_amounts; // rstdp: reward events (ms, amount)
    std::string where;
};

// How a projection's synapses reach the target: an input port of the post population.
struct synapse_spec {
    std::string kind = "delta"; // delta: jump in v | exp, alpha: current (CuBa) |
                                // cond_exp, cond_alpha: conductance, I = g·(e_rev - v) (CoBa)
    double tau_syn = 5.0;       // ms, all kinds but delta
    double e_rev = 0.0;         // mV, conductance kinds
    std::string port;           // optional port name (records its current/conductance)
    nm::value weight = 1.0;     // mV (delta), current (exp, alpha: peak), conductance (cond_*)
    nm::value weight_im = 0.0;  // imaginary part, complex (rf) targets only
    nm::value delay = 0.1;      // ms, rounded to steps, >= dt
    plasticity_spec plasticity;
    std::string where;
};

struct connection_rule {
    std::string kind = "all_to_all"; // all_to_all | one_to_one | fixed_probability |
                                     // fixed_indegree | fixed_outdegree | fixed_total_number |
                                     // explicit
    double p = 0.0;                  // fixed_probability
    std::uint64_t k = 0;             // fixed_indegree, fixed_outdegree
    std::uint64_t n = 0;             // fixed_total_number
    bool allow_autapses = true;
    bool allow_multapses = true;
    std::vector<std::uint64_t> pre, post; // explicit: one pair per synapse
    std::vector<double> weights, delays;  // explicit: optional, one per pair
    std::string where;
};

struct projection_spec {
    std::string pre, post;
    connection_rule rule;
    synapse_spec synapse;
    std::string propagation = "auto"; // on the GPU: auto | pre | post (docs/experiments.md)
    std::string where;
};

// Stimuli (NEST's devices): poisson, spike_times (spike trains into every target neuron through
// a synapse port), and currents: dc, step, ac, chirp, noise.
struct stimulus_spec {
    std::string kind;
    std::vector<std::string> targets;      // population names
    std::vector<std::uint64_t> neurons;    // empty: every neuron of each target
    std::vector<param> params;             // validated against the kind's field table
    std::vector<double> times, amplitudes; // spike_times (times) and step (times + amplitudes)
    std::string synapse = "delta";         // port kind for poisson / spike_times (as synapse_spec)
    double tau_syn = 5.0;
    double e_rev = 0.0;
    std::string port;
    std::string where;
};

struct record_spec {
    std::string what = "spikes"; // "spikes" or a state field of the population's model
    std::string population;
    std::vector<std::uint64_t> neurons; // empty: all (spikes) / the first 10 (state traces)
    double interval = 1.0;              // ms, state traces
    double start = 0.0;                 // ms
    double stop = -1.0;                 // ms, < 0: until the end
    std::string where;
};

// A trial protocol (the [trials] table, src/core/trials.hpp): the samples of a dataset, one per
// trial, drive an input population as Poisson rates for `present` ms, then `rest` ms of silence.
// Plasticity learns during the first `learn` trials and is frozen after; the readout
// population's responses are then labelled (`label` trials of training samples) and classify
// `test` held-out samples.
struct trials_spec {
    std::string dataset;                       // iris | wdbc | digits | fashion_mnist | a CSV
    std::vector<std::vector<double>> patterns; // or inline samples (train and test alike)...
    std::vector<std::uint64_t> labels;         // ...with their classes
    double test_fraction = 0.3;                // embedded and CSV sets
    std::string input, readout;                // population names
    double max_rate = 100.0;                   // Hz at feature value 1 (features scaled to [0, 1])
    double weight = 2.0;                       // of each input event, into the input's delta port
    double present = 350.0, rest = 150.0;      // ms
    std::uint64_t learn = 0, label = 0, test = 0;
    std::string decode = "vote"; // vote: neurons labelled by their strongest class vote |
                                 // first_spike: readout neuron k answers class k
    double reward = 1.0, punishment = -1.0; // first_spike: to rstdp projections while learning
    std::string where;

    double trial_ms() const { return present + rest; }
    std::uint64_t trials() const { return learn + label + test; }
};

struct experiment {
    simulation_spec simulation;
    std::vector<population_spec> populations;
    std::vector<projection_spec> projections;
    std::vector<stimulus_spec> stimuli;
    std::vector<record_spec> records;
    std::optional<trials_spec> trials;
    std::string source; // file name, for messages
};

} // namespace nm
