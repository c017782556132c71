// A built network as the GPU step kernels see it: plain descriptors holding device pointers,
// filled by the host side (simulate.cpp) and read by the kernels (simulate.cu). Neurons of all
// populations share one global index; each population keeps its own ring buffers per port.
#pragma once

#include "core/philox.hpp"
#include "models/all.hpp"
#include "plasticity/memristor.hpp"
#include "plasticity/scaling.hpp"
#include "plasticity/stdp.hpp"

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace nm::cuda {

// The models the GPU steps: every one of models/all.hpp.
using sim_models = models::all;

// The largest coefficient set and state of those models.
constexpr std::size_t max_coeff_bytes = []<class... M>(std::tuple<M...>*) {
    return std::max({sizeof(typename M::coeffs)...});
}(static_cast<sim_models*>(nullptr));
constexpr int max_state = []<class... M>(std::tuple<M...>*) {
    return static_cast<int>(std::max({M::state_fields.size()...}));
}(static_cast<sim_models*>(nullptr));

// Ports per population (held in its descriptor); populations, projections and stimuli a
// network may have for its descriptors to fit constant memory (larger ones are read from
// global memory: sim_descriptors.cuh).
constexpr int max_ports = 4, max_populations = 48, max_projections = 256, max_stimuli = 64;

// delta: a jump in v; exp_exact / alpha_exact: a current through the model's exact kernels
// (linear models); cond_exp / cond_alpha: a conductance with its reversal potential, and
// exp_drive / alpha_drive: a current the model integrates itself (nonlinear models), both as
// the synaptic drive at the step's two ends (models/model.hpp). Alpha ports add a rise
// variable y (population.hpp, input_port).
enum class sim_port_kind : int {
    delta = 0,
    exp_exact = 1,
    cond_exp = 2,
    alpha_exact = 3,
    cond_alpha = 4,
    exp_drive = 5,
    alpha_drive = 6
};

struct sim_port {
    sim_port_kind kind = sim_port_kind::delta;
    double decay = 0, kernel = 0; // exponential current: x ← decay·x + arrivals; v gets kernel·x
    double e_rev = 0;             // conductance: the reversal potential
    double rise_kernel = 0, arrival_scale = 1, dt = 0; // alpha: v per unit y; e/τ; the step
    // Exact ports of populations whose parameters differ: one kernel per neuron (else null).
    const double *kernels = nullptr, *rise_kernels = nullptr;
    double* ring = nullptr; // [slot][neuron]
    double* x = nullptr;    // exponential ports: the current (or conductance) per neuron
    double* y = nullptr;    // alpha ports: the rise variable per neuron
};

// The imaginary side of a complex model's port (rf): the imaginary arrivals of a delta port's
// complex weights, and an exact port's kernels' imaginary parts (shared, or one per neuron).
struct sim_port_im {
    double* ring = nullptr; // [slot][neuron], delta ports
    double kernel = 0, rise_kernel = 0;
    const double *kernels = nullptr, *rise_kernels = nullptr;
};

// A spike recorder: the steps [start, stop) of its window and its neurons (null: all).
struct sim_recorder {
    std::uint64_t start = 0, stop = 0;
    const std::uint8_t* selected = nullptr;
};

// A stimulus (core/stimulus.hpp) as the update applies it to its neurons, in the population's
// stimulus order (the CPU's order of additions):
//   poisson   count = first k whose threshold exceeds Philox word (i & 3) of block
//             (i >> 2, step, stream, 0), as poisson_sampler draws on the CPU, times weight
//             into the port;
//   dc        amplitude, into the current;
//   current   per_step[step - start] into the current (step, ac and chirp: the CPU's values);
//   arrivals  per_step[step - start] into the port (spike_times: multiplicity · weight);
//   noise     mean + std · normal(i, step) into the current (the CPU's stream);
//   encoded   the events of the step for the neuron (by neuron, in the CPU's order) times
//             weight into the port.
enum class sim_stimulus_kind : int { poisson, dc, current, arrivals, noise, encoded };

struct sim_stimulus {
    sim_stimulus_kind kind = sim_stimulus_kind::dc;
    int port = 0;
    double weight = 0, amplitude = 0, mean = 0, std = 0;
    std::uint64_t start = 0, stop = 0; // active steps [start, stop)
    rng_stream rng;
    const std::uint64_t* thresholds = nullptr; // poisson
    int count = 0;                             // poisson thresholds; 0: rate 0, never fires
    const double* per_step = nullptr;          // current, arrivals
    const std::uint8_t* selected = nullptr;    // a subset of the neurons (else null)
    // encoded: the events of step start + k at [event_offsets[k], event_offsets[k + 1]).
    const std::uint64_t* event_offsets = nullptr;
    const std::uint32_t* event_neurons = nullptr;
    const std::uint16_t* event_counts = nullptr;
    std::uint64_t event_steps = 0;
};

struct sim_population {
    std::uint64_t first = 0, size = 0;
    std::uint32_t ring_mask = 0, index = 0;
    // The model's coefficients (M::coeffs, M = the run's model) every neuron uses, as bytes:
    // the descriptor then holds any model's...
    alignas(8) unsigned char shared[max_coeff_bytes] = {};
    const void* coeffs = nullptr; // ...or one per neuron, when not null
    bool stochastic = false;      // escape-noise firing: u from `firing`, as on the CPU
    rng_stream firing;
    int ports = 0, n_stimuli = 0;
    sim_port port[max_ports];
    const sim_port_im* im = nullptr; // complex models: one per port (in global memory)
    int first_stimulus = 0;          // its stimuli: the network's [first, first + n_stimuli)
    const sim_recorder* recorders = nullptr; // its spike recorders (global memory: read at spikes)
    int n_recorders = 0;
    // Its post-synaptic projections, in projection order: sim_view::gathers[begin .. end);
    // the traces it keeps as the source of plastic ones: sim_view::pre_traces[begin .. end).
    std::uint32_t gather_begin = 0, gather_end = 0, trace_begin = 0, trace_end = 0;
};

struct sim_projection {
    std::uint32_t pre = 0, post = 0;
    int port = 0;
    bool varying_weight = false, varying_delay = false, complex_weight = false;
    float weight = 0, weight_im = 0;
    std::uint32_t delay = 1, delay_shift = 32, target_mask = 0xFFFFFFFFu;
    const std::uint64_t* offsets = nullptr; // CSR by source neuron
    const std::uint32_t* targets = nullptr; // target | delay << delay_shift
    const float *weights = nullptr, *weights_im = nullptr;
};

// A projection propagated post-synaptically: its synapses by target in an ELL table, entry k
// of target t at [k·n_post + t] (adjacent targets' entries adjacent: coalesced reads), in
// the CPU's order (by source, then by position in the source's row), each list ended by
// no_source when shorter than max_in.
struct sim_gather {
    std::uint64_t pre_first = 0; // the source population's first neuron, global index
    int port = 0;
    std::uint32_t max_in = 0;
    float weight = 0;        // when weights is null
    std::uint32_t delay = 1; // when delays is null
    bool complex_weight = false;
    float weight_im = 0; // when weights_im is null
    const std::uint32_t* sources = nullptr;
    float* weights = nullptr; // learned in place when plastic
    const float* weights_im = nullptr;
    const std::uint16_t* delays = nullptr;
    unsigned long long* events = nullptr; // synaptic events per target (summed after the run)
    // Plasticity (plasticity/stdp.hpp, scaling.hpp): the rules, the source population's
    // traces (sim_view::pre_traces[pre_trace]), the targets' own, and updates per target.
    bool plastic = false;
    plasticity::stdp::coeffs rule{};
    plasticity::scaling::coeffs scaling{};
    int pre_trace = 0;
    double *post_fast = nullptr, *post_slow = nullptr, *post_rate = nullptr;
    unsigned long long* updates = nullptr;
    // Device synapses (plasticity/memristor.hpp): conductances programmed by pulses, relaxing
    // and read with noise; per entry, the pulses so far and the step of the last programming.
    plasticity::memristor::coeffs device{};
    rng_stream pulse_rng, variation_rng, read_rng;
    std::uint32_t* pulses = nullptr;
    float* programmed_at = nullptr;
    // rstdp: eligibility per entry and the step it was last brought to; reward events by step.
    float *elig = nullptr, *elig_at = nullptr;
    const std::uint64_t* reward_steps = nullptr;
    const double* reward_amounts = nullptr;
    std::uint32_t rewards = 0;
};

// A plastic projection's traces of its sources (r1 with τ+, r2 with τx when triplet, the rate
// trace of hebb and oja), kept by the sources' own updates: the value after step k's spikes in
// buffer k % 3, so that the targets, walking step k's spikes during step k + 1, read step
// k − 1's and k's in peace while step k + 1's is written.
struct sim_pre_trace {
    plasticity::stdp::coeffs rule{};
    plasticity::scaling::coeffs scaling{};
    double* fast[3] = {};
    double* slow[3] = {};
    double* rate[3] = {}; // hebb, oja
};

constexpr std::uint32_t no_source = 0xFFFFFFFFu;

// A state trace: column[neurons[j]] after the update of every `every`-th step in [start, stop),
// into values[sample][j].
struct sim_trace {
    const double* column = nullptr; // the population's first neuron in a state column
    const std::uint64_t* neurons = nullptr;
    int count = 0;
    std::uint64_t start = 0, stop = 0, every = 1;
    double* values = nullptr;
};

// A trial protocol (core/trials.hpp) on the device: the input population's Bernoulli input of
// each presentation, the readout's responses per trial, plasticity frozen after the learning
// trials, and (first_spike decoding) the closed-loop reward of the answering step.
struct sim_trials {
    bool on = false, first_spike = false;
    std::uint32_t input = 0, readout = 0;              // population indices
    std::uint64_t readout_first = 0, readout_size = 0; // the readout's neurons, global index
    std::uint64_t trial_steps = 0, present_steps = 0, learn_steps = 0;
    std::uint32_t features = 0;
    const double* rows = nullptr;          // samples × features in [0, 1]
    const std::uint32_t* row_of = nullptr; // per trial: its sample
    const std::uint32_t* label_of = nullptr;
    double p_spike = 0, weight = 0, reward = 0, punishment = 0;
    int port = 0;
    rng_stream rng;
    // Readout responses [trial][neuron]: spike counts and the step of the first (in the trial;
    // no_response if none).
    std::uint32_t *counts = nullptr, *first_step = nullptr;
};
constexpr std::uint32_t no_response = 0xFFFFFFFFu;

struct sim_record {
    std::uint32_t step, population, neuron, count;
    float offset; // ms into the step (models timing their crossings), else -1
};

// Consecutive populations of one model, updated by one kernel launch.
struct sim_run {
    int model = 0; // index into sim_models
    std::uint32_t first_pop = 0, end_pop = 0;
    std::uint64_t first = 0, size = 0; // their neurons, global index
    // Whether one of them walks post-synaptic projections or keeps plastic traces: the update
    // without that code keeps fewer registers (80 for lif against 110), more warps in flight.
    bool walks = false;
};

// The kernels of one step: the update runs, then the pre-synaptic spread when some
// projection takes it; their descriptors in constant memory, or in global memory when the
// network has more than it holds.
struct sim_schedule {
    std::vector<sim_run> runs;
    int propagate_blocks = 0; // 0: no pre-synaptic projection
    bool global_descriptors = false;
};

// A network's descriptors in global memory (the in_global kernels').
struct sim_network {
    const sim_population* populations = nullptr;
    const sim_projection* projections = nullptr;
    const sim_stimulus* stimuli = nullptr;
    const std::uint32_t *outgoing_begin = nullptr, *outgoing = nullptr;
};

// The populations, projections and stimuli themselves are descriptors (sim_steps.hpp:
// set_network) apart from this view.
struct sim_view {
    int n_pops = 0;
    std::uint64_t neurons = 0;
    double* state[max_state] = {}; // the model's state columns, global index
    // Spike statistics (population::count_spike's), global index.
    std::uint32_t *spikes = nullptr, *isi_n = nullptr;
    std::int64_t* last_step = nullptr;
    double *isi_sum = nullptr, *isi_sq = nullptr;
    // This step's spikes (by step parity) and how many, for the pre-synaptic spread (null
    // without one)...
    std::uint32_t* fired[2] = {};
    std::uint16_t* fired_count[2] = {};
    unsigned* fired_size = nullptr; // [2]
    // ...and every neuron's spike count of the step, for the post-synaptic walk (null without).
    std::uint16_t* counts[2] = {};
    const sim_gather* gathers = nullptr;
    const sim_pre_trace* pre_traces = nullptr;
    unsigned long long* events = nullptr; // synaptic events per projection
    sim_record* records = nullptr;
    unsigned long long* record_size = nullptr;
    const std::uint64_t* base_step = nullptr; // the step of a graph's first node
    const sim_trace* traces = nullptr;
    int n_traces = 0;
    sim_trials trials;
};

} // namespace nm::cuda
