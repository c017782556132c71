// The post-synaptic walk on the GPU: each target's update first walks its incoming synapses
// of the post-synaptic projections for the previous step's spike counts, learning there when
// the projection is plastic (every rule of src/plasticity but the device models, and a trial
// protocol's closed-loop reward), then adding into its own ring slots in the CPU's order.
// Included by simulate.cu alone.
#pragma once

#include "backends/cuda/sim_descriptors.cuh"
#include "plasticity/scaling.hpp"
#include "plasticity/stdp.hpp"

namespace nm::cuda {
namespace {

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

using device = plasticity::memristor;

// Delivers a spike of `count` from `source` through entry `at` of G's table into target i's
// ring slot; a device synapse delivers what a read sees (device_read on the CPU): its
// conductance relaxed since its programming, times read noise.
__device__ void deliver_entry(const sim_population& P, const sim_gather& G, std::uint64_t i,
                              std::uint64_t at, std::uint64_t step, double count,
                              std::uint32_t source) {
    const std::uint32_t delay = G.delays ? G.delays[at] : G.delay;
    const std::uint64_t slot = ((step + delay) & P.ring_mask) * P.size + i;
    double w = G.weights ? G.weights[at] : G.weight;
    if (G.device.enabled) {
        w = device::relaxed(G.device, w, G.programmed_at[at], static_cast<double>(step));
        if (G.device.sigma_read > 0)
            w *= 1.0 + product(G.device.sigma_read,
                               G.read_rng.normal(source, static_cast<std::uint32_t>(i),
                                                 static_cast<std::uint32_t>(step)));
    }
    P.port[G.port].ring[slot] += product(count, w);
    if (G.complex_weight)
        P.im[G.port].ring[slot] += count * (G.weights_im ? G.weights_im[at] : G.weight_im);
}

// Calls f(at, source) for each of target i's entries in G's table, in order.
template<class F>
__device__ void for_each_entry(const sim_population& P, const sim_gather& G, std::uint64_t i,
                               F&& f) {
    for (std::uint32_t k = 0; k < G.max_in; ++k) {
        const std::uint64_t at = k * P.size + i;
        const std::uint32_t source = G.sources[at];
        if (source == no_source) return;
        f(at, source);
    }
}

// Target i's incoming synapses of static projection G for the spikes of `step`.
__device__ void walk(const sim_population& P, const sim_gather& G, std::uint64_t i,
                     std::uint64_t step, const std::uint16_t* counts) {
    unsigned events = 0;
    for_each_entry(P, G, i, [&](std::uint64_t at, std::uint32_t source) {
        const double count = counts[G.pre_first + source];
        if (count == 0) return;
        ++events;
        deliver_entry(P, G, i, at, step, count, source);
    });
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
    const std::uint16_t* counts = v.counts[step & 1] + T.readout_first;
    std::uint32_t firing = 0, answer = 0, earliest = no_response;
    for (std::uint32_t j = 0; j < T.readout_size; ++j) {
        if (counts[j] != 0) {
            ++firing;
            answer = j;
        }
        earliest = min(earliest, T.first_step[trial * T.readout_size + j]);
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
    const device::coeffs& dev = G.device;
    const auto target = static_cast<std::uint32_t>(i);
    // Moves entry `at` (from `source`) by dw: within bounds, or through a device's pulses from
    // its relaxed conductance.
    auto move = [&](std::uint64_t at, std::uint32_t source, double dw) {
        float& w = G.weights[at];
        if (!dev.enabled) {
            w = static_cast<float>(stdp::bounded(c, w + dw));
            return;
        }
        const double g = device::relaxed(dev, w, G.programmed_at[at], time);
        const double d2d =
            dev.sigma_d2d > 0 ? 1.0 + product(dev.sigma_d2d, G.variation_rng.normal(source, target))
                              : 1.0;
        w = static_cast<float>(device::program(dev, g, stdp::bounded(c, g + dw), d2d, G.pulse_rng,
                                               source, target, G.pulses[at]));
        G.programmed_at[at] = static_cast<float>(time);
    };
    // A spike-timing change dw(w) of entry `at`: into the weight (the rule sees a device's
    // relaxed conductance), or (rstdp) into its eligibility.
    auto change = [&](std::uint64_t at, std::uint32_t source, auto&& dw) {
        const double w = G.weights[at];
        if (c.eligibility)
            G.elig[at] = static_cast<float>(eligibility(at) + dw(w));
        else
            move(at, source,
                 dw(dev.enabled ? device::relaxed(dev, w, G.programmed_at[at], time) : w));
        ++updates;
    };
    auto pair = [&](std::uint64_t at, std::uint32_t source, double count) {
        if (!pairing) return;
        if (fired) {
            const double r1 = product(tr.fast[before][source], c.decay_plus);
            change(at, source, [&](double w) { return stdp::potentiation(c, w, r1, o2); });
        }
        if (count != 0) {
            const double r2 = c.triplet ? product(tr.slow[before][source], c.decay_x) : 0.0;
            change(at, source, [&](double w) { return stdp::depression(c, w, o1, r2); });
        }
    };
    // rstdp: a reward of `amount` moves entry `at` by η·amount·e.
    auto reward_entry = [&](std::uint64_t at, std::uint32_t source, double amount) {
        const double e = eligibility(at);
        G.elig[at] = static_cast<float>(e);
        move(at, source, product(product(c.eta, amount), e));
    };
    // The step's reward events (rewards of earlier steps were applied at theirs).
    std::uint32_t event = 0;
    while (event < G.rewards && G.reward_steps[event] < step) ++event;
    for (; event < G.rewards && G.reward_steps[event] == step; ++event)
        for_each_entry(P, G, i, [&](std::uint64_t at, std::uint32_t source) {
            reward_entry(at, source, G.reward_amounts[event]);
        });
    // A trial's answer rewards after the step's pairings; rate rules act after both: a first
    // pass then pairs, rewards and sums, and the second updates and delivers.
    const double reward = c.eligibility ? trial_reward(v, step) : 0.0;
    const bool two_pass = rate_step || reward != 0.0;
    double f = 1.0;
    if (two_pass) {
        double sum = 0.0;
        for_each_entry(P, G, i, [&](std::uint64_t at, std::uint32_t source) {
            pair(at, source, counts[G.pre_first + source]);
            if (reward != 0.0) reward_entry(at, source, reward);
            if (sc.w_sum > 0) sum += G.weights[at];
        });
        if (rate_step) f = scaling::factor(sc, z, sum);
    }
    unsigned events = 0;
    for_each_entry(P, G, i, [&](std::uint64_t at, std::uint32_t source) {
        const double count = counts[G.pre_first + source];
        const float w = G.weights[at];
        if (!two_pass) {
            pair(at, source, count);
        } else if (rate_step) {
            move(at, source,
                 product(w, f - 1.0) +
                     (tr.rate[0] ? scaling::rate_change(sc, w, tr.rate[now][source], z) : 0.0));
            ++updates;
        }
        if (count == 0) return;
        ++events;
        deliver_entry(P, G, i, at, step, count, source);
    });
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

} // namespace
} // namespace nm::cuda
