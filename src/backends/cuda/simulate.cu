// The network step on the GPU, the CPU loop's two phases:
//   update     one thread per neuron, one launch per run of populations of one model: Poisson
//              arrivals and currents of the step, deliver (read and clear the ring slot, exact
//              kernels or the synaptic drive), then the model's own integrate / fire / reset
//              or fused advance (models/*.hpp, the CPU's arithmetic in double), spike
//              statistics, the spike list (or counts) and the recording;
//   propagate  pre-synaptic projections: the step's spikes spread over the grid, threads over
//              their CSR rows, adding count·w by atomics into the target's ring slot at
//              step + delay;
// and, when state traces are recorded, a small kernel after the update that samples them.
// Post-synaptic projections need no kernel of their own: each update thread first walks its
// neuron's incoming synapses for the previous step's spike counts (gather_spikes).
// Steps come from base_step + a constant per node, so one captured graph replays any chunk.
#include "backends/cuda/check.hpp"
#include "backends/cuda/launch.cuh"
#include "backends/cuda/sim_steps.hpp"
#include "core/philox.hpp"
#include "core/spike_count.hpp"

#include <cstring>

namespace nm::cuda {

namespace {

constexpr int block_threads = 256;

// Raw bytes: __constant__ arrays of the descriptors would need their constructors run.
static_assert(sizeof(sim_population) * max_populations + sizeof(sim_projection) * max_projections +
                      sizeof(sim_stimulus) * max_stimuli +
                      4 * (max_populations + 1 + max_projections) <=
                  62 * 1024,
              "constant memory holds 64 KB");
__constant__ alignas(16) unsigned char population_bytes[sizeof(sim_population) * max_populations];
__constant__ alignas(16) unsigned char stimulus_bytes[sizeof(sim_stimulus) * max_stimuli];
__constant__ alignas(16) unsigned char projection_bytes[sizeof(sim_projection) * max_projections];
__constant__ std::uint32_t outgoing_begin[max_populations + 1], outgoing[max_projections];

__device__ const sim_population& pop(int p) {
    return reinterpret_cast<const sim_population*>(population_bytes)[p];
}
__device__ const sim_projection& projection(std::uint32_t j) {
    return reinterpret_cast<const sim_projection*>(projection_bytes)[j];
}
__device__ const sim_stimulus& stimulus(int k) {
    return reinterpret_cast<const sim_stimulus*>(stimulus_bytes)[k];
}

// The population of global neuron g among populations [first, end).
__device__ int population_of(std::uint64_t g, int first, int end) {
    int p = first;
    while (p + 1 < end && g >= pop(p + 1).first) ++p;
    return p;
}

// arrived[port] += value, with the port index resolved by selects: a run-time index would put
// the array in local memory.
template<int Ports>
__device__ void add_to(double (&arrived)[Ports], int port, double value) {
#pragma unroll
    for (int p = 0; p < Ports; ++p)
        if (p == port) arrived[p] += value;
}

// Poisson count of neuron i at `step`: the first k whose threshold exceeds word (i & 3) of the
// Philox block of quad i >> 2.
__device__ std::uint32_t poisson_count(const sim_stimulus& S, std::uint64_t i, std::uint64_t step) {
    const philox_block b =
        S.rng.block(static_cast<std::uint32_t>(i >> 2), static_cast<std::uint32_t>(step));
    const unsigned lane = i & 3; // selects, not b.w[i & 3], for the same reason as add_to
    const std::uint32_t word = lane == 0   ? b.w[0]
                               : lane == 1 ? b.w[1]
                               : lane == 2 ? b.w[2]
                                           : b.w[3];
    std::uint32_t k = 0;
    while (word >= S.thresholds[k]) ++k;
    return k;
}

// The stimuli of P on neuron i at `step`, in the population's order (the CPU's: arrivals after
// the propagated spikes already in the ring slots, currents summed from zero).
template<int Ports>
__device__ void apply_stimuli(const sim_population& P, std::uint64_t i, std::uint64_t step,
                              double (&arrived)[Ports], double& current) {
    for (int s = P.first_stimulus; s < P.first_stimulus + P.n_stimuli; ++s) {
        const sim_stimulus& S = stimulus(s);
        if (step < S.start || step >= S.stop || (S.selected && !S.selected[i])) continue;
        switch (S.kind) {
        case sim_stimulus_kind::poisson:
            if (S.count > 0) add_to(arrived, S.port, product(poisson_count(S, i, step), S.weight));
            break;
        case sim_stimulus_kind::dc:
            current += S.amplitude;
            break;
        case sim_stimulus_kind::current:
            current += S.per_step[step - S.start];
            break;
        case sim_stimulus_kind::arrivals:
            if (const double a = S.per_step[step - S.start]; a != 0.0) add_to(arrived, S.port, a);
            break;
        case sim_stimulus_kind::noise:
            current += S.mean + product(S.std, S.rng.normal(static_cast<std::uint32_t>(i),
                                                            static_cast<std::uint32_t>(step)));
            break;
        case sim_stimulus_kind::encoded: {
            const std::uint64_t k = step - S.start;
            if (k >= S.event_steps) break;
            // The step's events by neuron: the first of neuron i by bisection, then each in turn.
            std::uint64_t lo = S.event_offsets[k], hi = S.event_offsets[k + 1];
            while (lo < hi) {
                const std::uint64_t mid = (lo + hi) / 2;
                if (S.event_neurons[mid] < i)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            for (; lo < S.event_offsets[k + 1] && S.event_neurons[lo] == i; ++lo)
                add_to(arrived, S.port, product(S.event_counts[lo], S.weight));
        }
        }
    }
}

// A trial's input to neuron i of the input population (apply_trial_input on the CPU): during a
// presentation it fires with probability x_i·p_spike from the protocol's stream.
template<int Ports>
__device__ void add_trial_input(const sim_trials& T, std::uint64_t i, std::uint64_t step,
                                double (&arrived)[Ports]) {
    const std::uint64_t trial = step / T.trial_steps;
    if (step - trial * T.trial_steps >= T.present_steps) return;
    const double x = T.rows[std::uint64_t{T.row_of[trial]} * T.features + i];
    if (x > 0 && T.rng.uniform(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(step)) <
                     x * T.p_spike)
        add_to(arrived, T.port, T.weight);
}

// Readout neuron i's n spikes at `step` into its trial's responses (record_trial_responses).
__device__ void record_response(const sim_trials& T, const sim_population& P, std::uint64_t i,
                                std::uint64_t step, int n) {
    const std::uint64_t trial = step / T.trial_steps, within = step - trial * T.trial_steps;
    if (within >= T.present_steps) return;
    const std::uint64_t at = trial * P.size + i;
    T.counts[at] += static_cast<std::uint32_t>(n);
    T.first_step[at] = min(T.first_step[at], static_cast<std::uint32_t>(within));
}

// The model's coefficients for neuron i of P.
template<class M>
__device__ const typename M::coeffs& coefficients(const sim_population& P, std::uint64_t i) {
    if (P.coeffs) return static_cast<const typename M::coeffs*>(P.coeffs)[i];
    return *reinterpret_cast<const typename M::coeffs*>(P.shared);
}

// Ports in order, as population::deliver: exact currents into the jump, the others into the
// drive at both ends of the step (the first port's values added to zero are its own, as the
// CPU's assignment); x and y advance to the step's end and take the arrivals.
template<int Ports>
__device__ void deliver(const sim_population& P, std::uint64_t i, const double (&arrived)[Ports],
                        double (&x)[Ports], double (&y)[Ports], models::neuron_input& in) {
    double jump = 0.0;
#pragma unroll
    for (int p = 0; p < Ports; ++p) {
        if (p >= P.ports) break;
        const sim_port& port = P.port[p];
        switch (port.kind) {
        case sim_port_kind::delta:
            jump += arrived[p];
            break;
        case sim_port_kind::exp_exact:
            jump += (port.kernels ? port.kernels[i] : port.kernel) * x[p];
            x[p] = port.decay * x[p] + arrived[p];
            break;
        case sim_port_kind::alpha_exact:
            jump += (port.kernels ? port.kernels[i] : port.kernel) * x[p];
            jump += (port.rise_kernels ? port.rise_kernels[i] : port.rise_kernel) * y[p];
            x[p] = port.decay * (x[p] + port.dt * y[p]);
            y[p] = port.decay * y[p] + port.arrival_scale * arrived[p];
            break;
        default: {
            const bool alpha =
                port.kind == sim_port_kind::cond_alpha || port.kind == sim_port_kind::alpha_drive;
            const double x0 = x[p];
            const double x1 = alpha ? port.decay * (x0 + port.dt * y[p]) : port.decay * x0;
            if (port.kind == sim_port_kind::exp_drive || port.kind == sim_port_kind::alpha_drive) {
                in.syn.i0 += x0;
                in.syn.i1 += x1;
            } else {
                in.syn.g0 += x0;
                in.syn.g1 += x1;
                in.syn.ge0 += x0 * port.e_rev;
                in.syn.ge1 += x1 * port.e_rev;
            }
            if (alpha) {
                x[p] = x1;
                y[p] = port.decay * y[p] + port.arrival_scale * arrived[p];
            } else {
                x[p] = x1 + arrived[p];
            }
        }
        }
    }
    in.jump = jump;
}

// One thread per neuron of the run's populations (all of model M).
using stdp = plasticity::stdp;
using scaling = plasticity::scaling;

// A source's traces after `step` (n spikes): the last values decayed, jumping at a spike.
__device__ void advance_pre_trace(const sim_pre_trace& tr, std::uint64_t i, std::uint64_t step,
                                  int n) {
    const int now = static_cast<int>(step % 3), before = static_cast<int>((step + 2) % 3);
    const double fast = product(tr.fast[before][i], tr.rule.decay_plus);
    tr.fast[now][i] = n ? stdp::after_spike(tr.rule, fast) : fast;
    if (tr.rule.triplet) {
        const double slow = product(tr.slow[before][i], tr.rule.decay_x);
        tr.slow[now][i] = n ? stdp::after_spike(tr.rule, slow) : slow;
    }
    if (tr.rate[0]) {
        const double rate = product(tr.rate[before][i], tr.scaling.decay);
        tr.rate[now][i] = n ? rate + 1.0 : rate;
    }
}

// Delivers a spike of `count` through entry `at` of G's table into target i's ring slot.
__device__ void deliver_entry(const sim_population& P, const sim_gather& G, std::uint64_t i,
                              std::uint64_t at, std::uint64_t step, double count) {
    const std::uint32_t delay = G.delays ? G.delays[at] : G.delay;
    P.port[G.port].ring[((step + delay) & P.ring_mask) * P.size + i] +=
        count * (G.weights ? G.weights[at] : G.weight);
}

// Target i's incoming synapses of static projection G for the spikes of `step`.
__device__ void walk(const sim_population& P, const sim_gather& G, std::uint64_t i,
                     std::uint64_t step, const std::uint16_t* counts) {
    unsigned events = 0;
    for (std::uint32_t k = 0; k < G.max_in; ++k) {
        const std::uint64_t at = k * P.size + i;
        const std::uint32_t source = G.sources[at];
        if (source == no_source) break;
        const double count = counts[G.pre_first + source];
        if (count == 0) continue;
        ++events;
        deliver_entry(P, G, i, at, step, count);
    }
    if (events > 0) G.events[i] += events;
}

// A trial protocol's closed-loop reward of `step` (trial_reward on the CPU): while learning with
// first_spike decoding, at the first step of a presentation at which readout neurons fire,
// the reward if exactly one fired and it stands for the trial's label, else the punishment.
// The readout's first_step entries of earlier steps tell whether the trial was answered (the
// readout's updates of the next step only lower no_spike entries to later steps).
__device__ double trial_reward(const sim_view& v, std::uint64_t step) {
    const sim_trials& T = v.trials;
    if (!T.on || !T.first_spike || step >= T.learn_steps) return 0.0;
    const std::uint64_t trial = step / T.trial_steps, within = step - trial * T.trial_steps;
    if (within >= T.present_steps) return 0.0;
    const sim_population& R = pop(static_cast<int>(T.readout));
    const std::uint16_t* counts = v.counts[step & 1];
    std::uint32_t firing = 0, answer = 0, earliest = no_response;
    for (std::uint32_t j = 0; j < R.size; ++j) {
        if (counts[R.first + j] != 0) {
            ++firing;
            answer = j;
        }
        earliest = min(earliest, T.first_step[trial * R.size + j]);
    }
    if (firing == 0 || earliest != within) return 0.0;
    return firing == 1 && answer == T.label_of[trial] ? T.reward : T.punishment;
}

// The same for plastic projection G, learning first as apply_plasticity does on the CPU:
//   spike-timing rules: potentiation if the target fired (against the source's trace),
//   depression if the source fired (against the target's), both traces decayed to the step
//   and before its jumps;
//   rstdp: the step's reward events first move every weight by η·R·e, then the spike-timing
//   changes go into the eligibility e instead of the weight (e decays lazily, from the step
//   it was last brought to);
//   rate rules, every `every` steps: each weight scaled by the target's factor (its rate
//   against the target rate, its weights' sum against w_sum) and moved by hebb or oja from
//   the rate traces after the step's spikes: a first pass pairs and sums, a second updates;
// then the spikes go out with the new weights.
__device__ void learn_and_walk(const sim_view& v, const sim_population& P, const sim_gather& G,
                               std::uint64_t i, std::uint64_t step, const std::uint16_t* counts,
                               bool fired) {
    const stdp::coeffs& c = G.rule;
    const scaling::coeffs& sc = G.scaling;
    const sim_pre_trace& tr = v.pre_traces[G.pre_trace];
    const int before = static_cast<int>((step + 2) % 3), now = static_cast<int>(step % 3);
    const bool pairing = sc.rule == scaling::no_rate_rule;
    const bool rate_step = sc.enabled && (step + 1) % sc.every == 0;
    const double o1 = product(G.post_fast[i], c.decay_minus);
    const double o2 = c.triplet ? product(G.post_slow[i], c.decay_y) : 0.0;
    const double z = sc.enabled ? product(G.post_rate[i], sc.decay) + (fired ? 1.0 : 0.0) : 0.0;
    unsigned long long updates = 0;
    const double time = static_cast<double>(step);
    // rstdp: entry `at`'s eligibility brought to this step.
    auto eligibility = [&](std::uint64_t at) {
        const double e = product(G.elig[at], std::pow(c.decay_elig, time - G.elig_at[at]));
        G.elig_at[at] = static_cast<float>(time);
        return e;
    };
    // A spike-timing change dw(w) of entry `at`: into the weight, or (rstdp) its eligibility.
    auto change = [&](std::uint64_t at, auto&& dw) {
        float& w = G.weights[at];
        if (c.eligibility)
            G.elig[at] = static_cast<float>(eligibility(at) + dw(w));
        else
            w = static_cast<float>(stdp::bounded(c, w + dw(w)));
        ++updates;
    };
    auto pair = [&](std::uint64_t at, std::uint32_t source, double count) {
        if (!pairing) return;
        if (fired) {
            const double r1 = product(tr.fast[before][source], c.decay_plus);
            change(at, [&](double w) { return stdp::potentiation(c, w, r1, o2); });
        }
        if (count != 0) {
            const double r2 = c.triplet ? product(tr.slow[before][source], c.decay_x) : 0.0;
            change(at, [&](double w) { return stdp::depression(c, w, o1, r2); });
        }
    };
    // rstdp: a reward of `amount` moves entry `at` by η·amount·e.
    auto reward_entry = [&](std::uint64_t at, double amount) {
        const double e = eligibility(at);
        G.elig[at] = static_cast<float>(e);
        float& w = G.weights[at];
        w = static_cast<float>(stdp::bounded(c, w + product(product(c.eta, amount), e)));
    };
    // The step's reward events (rewards of earlier steps were applied at theirs).
    std::uint32_t event = 0;
    while (event < G.rewards && G.reward_steps[event] < step) ++event;
    for (; event < G.rewards && G.reward_steps[event] == step; ++event)
        for (std::uint32_t k = 0; k < G.max_in; ++k) {
            const std::uint64_t at = k * P.size + i;
            if (G.sources[at] == no_source) break;
            reward_entry(at, G.reward_amounts[event]);
        }
    // A trial's answer rewards after the step's pairings; rate rules act after both: a first
    // pass then pairs, rewards and sums, and the second updates and delivers.
    const double reward = c.eligibility ? trial_reward(v, step) : 0.0;
    const bool two_pass = rate_step || reward != 0.0;
    double f = 1.0;
    if (two_pass) {
        double sum = 0.0;
        for (std::uint32_t k = 0; k < G.max_in; ++k) {
            const std::uint64_t at = k * P.size + i;
            const std::uint32_t source = G.sources[at];
            if (source == no_source) break;
            pair(at, source, counts[G.pre_first + source]);
            if (reward != 0.0) reward_entry(at, reward);
            if (sc.w_sum > 0) sum += G.weights[at];
        }
        if (rate_step) f = scaling::factor(sc, z, sum);
    }
    unsigned events = 0;
    for (std::uint32_t k = 0; k < G.max_in; ++k) {
        const std::uint64_t at = k * P.size + i;
        const std::uint32_t source = G.sources[at];
        if (source == no_source) break;
        const double count = counts[G.pre_first + source];
        float& w = G.weights[at];
        if (!two_pass) {
            pair(at, source, count);
        } else if (rate_step) {
            const double dw =
                product(w, f - 1.0) +
                (tr.rate[0] ? scaling::rate_change(sc, w, tr.rate[now][source], z) : 0.0);
            w = static_cast<float>(stdp::bounded(c, w + dw));
            ++updates;
        }
        if (count == 0) continue;
        ++events;
        deliver_entry(P, G, i, at, step, count);
    }
    if (events > 0) G.events[i] += events;
    G.post_fast[i] = fired ? stdp::after_spike(c, o1) : o1;
    if (c.triplet) G.post_slow[i] = fired ? stdp::after_spike(c, o2) : o2;
    if (sc.enabled) G.post_rate[i] = z;
    if (updates > 0) G.updates[i] += updates;
}

// The post-synaptic walk of neuron i of P for the spikes of `step`: its incoming synapses of
// each post-synaptic projection in turn, so that its ring slots take their additions in the
// CPU's order (projection, source, row position), without atomics.
__device__ void gather_spikes(const sim_view& v, const sim_population& P, std::uint64_t i,
                              std::uint64_t step) {
    if (P.gather_begin == P.gather_end) return;
    const std::uint16_t* counts = v.counts[step & 1];
    const bool fired = counts[P.first + i] != 0;
    const bool learning = !v.trials.on || step < v.trials.learn_steps;
    for (std::uint32_t j = P.gather_begin; j < P.gather_end; ++j) {
        const sim_gather& G = v.gathers[j];
        if (G.plastic && learning)
            learn_and_walk(v, P, G, i, step, counts, fired);
        else
            walk(P, G, i, step, counts);
    }
}

// One thread per neuron of the run's populations (all of model M); Walks: the run has
// post-synaptic projections or plastic sources (sim_run::walks).
template<class M, bool Walks>
__global__ void update(sim_view v, std::uint64_t offset, sim_run run) {
    const std::uint64_t g = run.first + blockIdx.x * std::uint64_t{blockDim.x} + threadIdx.x;
    if (g >= run.first + run.size) return;
    const std::uint64_t step = *v.base_step + offset;
    const sim_population& P =
        pop(population_of(g, static_cast<int>(run.first_pop), static_cast<int>(run.end_pop)));
    const std::uint64_t i = g - P.first;
    // The previous step's spikes first, as the CPU propagates them before this step's update.
    if (Walks && step > 0) gather_spikes(v, P, i, step - 1);
    const std::uint64_t slot = (step & P.ring_mask) * P.size + i;
    // Every load first, then the arithmetic, then every store: the loads' latencies overlap
    // instead of queuing behind stores the compiler must assume may alias them.
    constexpr std::size_t n_state = M::state_fields.size();
    double columns[n_state], arrived[max_ports], x[max_ports], y[max_ports];
#pragma unroll
    for (std::size_t k = 0; k < n_state; ++k) columns[k] = v.state[k][g];
#pragma unroll
    for (int p = 0; p < max_ports; ++p) {
        const bool used = p < P.ports;
        arrived[p] = used ? P.port[p].ring[slot] : 0.0;
        x[p] = used && P.port[p].kind != sim_port_kind::delta ? P.port[p].x[i] : 0.0;
        y[p] = used && P.port[p].y ? P.port[p].y[i] : 0.0;
    }
    models::neuron_input in;
    apply_stimuli(P, i, step, arrived, in.current);
    if (v.trials.on && P.index == v.trials.input) add_trial_input(v.trials, i, step, arrived);
    deliver(P, i, arrived, x, y, in);
    typename M::state s;
    std::memcpy(&s, columns, sizeof s);
    const typename M::coeffs& c = coefficients<M>(P, i);
    int n;
    float spike_offset = -1.0f;
    if constexpr (models::fused_model<M>) {
        const models::crossing crossed = M::advance(c, s, in);
        n = crossed.n;
        spike_offset = static_cast<float>(crossed.offset);
    } else {
        const double u = P.stochastic ? P.firing.uniform(static_cast<std::uint32_t>(i),
                                                         static_cast<std::uint32_t>(step))
                                      : 0.0;
        const double vstar = M::integrate(c, s, in);
        n = M::fire(c, s, vstar, u);
        M::reset(c, s, vstar, n);
    }
    std::memcpy(columns, &s, sizeof s);
#pragma unroll
    for (std::size_t k = 0; k < n_state; ++k) v.state[k][g] = columns[k];
#pragma unroll
    for (int p = 0; p < max_ports; ++p) {
        if (p >= P.ports) break;
        P.port[p].ring[slot] = 0.0;
        if (P.port[p].kind != sim_port_kind::delta) P.port[p].x[i] = x[p];
        if (P.port[p].y) P.port[p].y[i] = y[p];
    }
    const unsigned parity = step & 1;
    if (v.counts[parity]) v.counts[parity][g] = static_cast<std::uint16_t>(n);
    if constexpr (Walks)
        for (std::uint32_t t = P.trace_begin; t < P.trace_end; ++t)
            advance_pre_trace(v.pre_traces[t], i, step, n);
    if (n == 0) return;
    count_spike(v.spikes[g], v.last_step[g], v.isi_sum[g], v.isi_sq[g], v.isi_n[g], step);
    if (v.trials.on && P.index == v.trials.readout) record_response(v.trials, P, i, step, n);
    if (v.fired_size) {
        const unsigned at = atomicAdd(v.fired_size + parity, 1u);
        v.fired[parity][at] = static_cast<std::uint32_t>(g);
        v.fired_count[parity][at] = static_cast<std::uint16_t>(n);
    }
    if (P.record && step >= P.record_start && step < P.record_stop &&
        (!P.selected || P.selected[i])) {
        const unsigned long long r = atomicAdd(v.record_size, 1ull);
        v.records[r] = {static_cast<std::uint32_t>(step), P.index, static_cast<std::uint32_t>(i),
                        static_cast<std::uint32_t>(n), spike_offset};
    }
}

// Spikes share the grid: with fewer spikes than blocks, each spike gets gridDim / fired blocks,
// whose threads take the synapses of its outgoing rows (up to max_fanout projections at a
// time, laid end to end) in turn; with more, blocks take spikes in turn. Thousands of synapses
// per spike then keep thousands of threads busy, one synapse or a few each.
constexpr int propagate_threads = 256, max_fanout = 16;

__global__ void __launch_bounds__(propagate_threads) propagate(sim_view v, std::uint64_t offset) {
    __shared__ sim_projection proj[max_fanout];
    __shared__ std::uint64_t begin[max_fanout], start[max_fanout + 1];
    const std::uint64_t step = *v.base_step + offset;
    const unsigned parity = step & 1;
    const unsigned fired = v.fired_size[parity];
    // The next step's list is free: the last kernel that read it (propagate, step − 1) is done.
    if (blockIdx.x == 0 && threadIdx.x == 0) v.fired_size[parity ^ 1] = 0;
    if (fired == 0) return;
    const unsigned per_spike = max(1u, gridDim.x / fired);
    const unsigned part = blockIdx.x % per_spike, stride = per_spike * blockDim.x;
    for (unsigned s = blockIdx.x / per_spike; s < fired; s += gridDim.x / per_spike) {
        if (blockIdx.x / per_spike >= gridDim.x / per_spike) break; // the grid's remainder
        const std::uint64_t g = v.fired[parity][s];
        const double count = v.fired_count[parity][s];
        const int pre = population_of(g, 0, v.n_pops);
        const std::uint64_t i = g - pop(pre).first;
        for (std::uint32_t o = outgoing_begin[pre]; o < outgoing_begin[pre + 1]; o += max_fanout) {
            const int n = static_cast<int>(
                min(static_cast<std::uint32_t>(max_fanout), outgoing_begin[pre + 1] - o));
            if (static_cast<int>(threadIdx.x) < n) {
                const int k = threadIdx.x;
                const std::uint32_t j = outgoing[o + k];
                proj[k] = projection(j);
                begin[k] = proj[k].offsets[i];
                const std::uint64_t length = proj[k].offsets[i + 1] - begin[k];
                start[k + 1] = length;
                if (part == 0) atomicAdd(v.events + j, static_cast<unsigned long long>(length));
            }
            __syncthreads();
            if (threadIdx.x == 0) {
                start[0] = 0;
                for (int k = 0; k < n; ++k) start[k + 1] += start[k];
            }
            __syncthreads();
            for (std::uint64_t t = part * blockDim.x + threadIdx.x; t < start[n]; t += stride) {
                int k = 0;
                while (t >= start[k + 1]) ++k;
                const sim_projection& p = proj[k];
                const sim_population& post = pop(p.post);
                const std::uint64_t x = begin[k] + (t - start[k]);
                const std::uint32_t packed = p.targets[x];
                const std::uint32_t delay = p.varying_delay ? packed >> p.delay_shift : p.delay;
                const std::uint64_t at =
                    ((step + delay) & post.ring_mask) * post.size + (packed & p.target_mask);
                atomicAdd(post.port[p.port].ring + at,
                          count * (p.varying_weight ? p.weights[x] : p.weight));
            }
            __syncthreads(); // the shared rows are rewritten for the next group or spike
        }
    }
}

// The last step's spikes through the post-synaptic projections (the updates walk each step's
// spikes at the start of the next): one thread per neuron.
__global__ void gather_last(sim_view v, std::uint64_t step) {
    const std::uint64_t g = blockIdx.x * std::uint64_t{blockDim.x} + threadIdx.x;
    if (g >= v.neurons) return;
    const sim_population& P = pop(population_of(g, 0, v.n_pops));
    gather_spikes(v, P, g - P.first, step);
}

// One block per trace recorder, threads over its neurons.
__global__ void record_traces(sim_view v, std::uint64_t offset) {
    const std::uint64_t step = *v.base_step + offset;
    const sim_trace& tr = v.traces[blockIdx.x];
    if (step < tr.start || step >= tr.stop || (step - tr.start) % tr.every != 0) return;
    double* row = tr.values + (step - tr.start) / tr.every * tr.count;
    for (int j = threadIdx.x; j < tr.count; j += blockDim.x) row[j] = tr.column[tr.neurons[j]];
}

// update<M> for the run's model M (its index in sim_models).
template<class... M>
void launch_update(const sim_view& v, std::uint64_t offset, const sim_run& run, cudaStream_t stream,
                   std::tuple<M...>*) {
    const auto blocks = static_cast<unsigned>((run.size + block_threads - 1) / block_threads);
    int model = 0;
    auto kernel = [&](auto* update_kernel) {
        launch(update_kernel, blocks, block_threads, stream, v, offset, run);
    };
    ((model++ == run.model ? (run.walks ? kernel(update<M, true>) : kernel(update<M, false>))
                           : void()),
     ...);
}

} // namespace

void set_network(const std::vector<sim_population>& pops,
                 const std::vector<sim_projection>& projections,
                 const std::vector<sim_stimulus>& stimuli, const std::vector<std::uint32_t>& begin,
                 const std::vector<std::uint32_t>& out) {
    NM_CUDA_CHECK(
        cudaMemcpyToSymbol(population_bytes, pops.data(), pops.size() * sizeof(sim_population)));
    if (!stimuli.empty())
        NM_CUDA_CHECK(cudaMemcpyToSymbol(stimulus_bytes, stimuli.data(),
                                         stimuli.size() * sizeof(sim_stimulus)));
    if (!projections.empty()) {
        NM_CUDA_CHECK(cudaMemcpyToSymbol(projection_bytes, projections.data(),
                                         projections.size() * sizeof(sim_projection)));
        NM_CUDA_CHECK(cudaMemcpyToSymbol(outgoing, out.data(), out.size() * sizeof(std::uint32_t)));
    }
    NM_CUDA_CHECK(
        cudaMemcpyToSymbol(outgoing_begin, begin.data(), begin.size() * sizeof(std::uint32_t)));
}

void enqueue_steps(const sim_view& v, const sim_schedule& schedule, std::uint64_t first_offset,
                   std::uint64_t count, cudaStream_t stream) {
    for (std::uint64_t k = first_offset; k < first_offset + count; ++k) {
        for (const sim_run& run : schedule.runs)
            launch_update(v, k, run, stream, static_cast<sim_models*>(nullptr));
        if (v.n_traces > 0) {
            launch(record_traces, static_cast<unsigned>(v.n_traces), 128, stream, v, k);
        }
        if (schedule.propagate_blocks > 0)
            launch(propagate, static_cast<unsigned>(schedule.propagate_blocks), propagate_threads,
                   stream, v, k);
    }
}

void finish_gathers(const sim_view& v, std::uint64_t last_step, cudaStream_t stream) {
    launch(gather_last, static_cast<unsigned>((v.neurons + block_threads - 1) / block_threads),
           block_threads, stream, v, last_step);
}

} // namespace nm::cuda
