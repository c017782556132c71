// What reaches one neuron in a step on the GPU, as on the CPU: its stimuli (and a trial's
// input), its ports delivered into the model's input, its coefficients; and a readout's
// responses to a trial. Included by simulate.cu alone.
#pragma once

#include "backends/cuda/sim_descriptors.cuh"

namespace nm::cuda {
namespace {

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
// D: where the descriptors are (sim_descriptors.cuh).
template<class D, int Ports>
__device__ void apply_stimuli(const sim_population& P, std::uint64_t i, std::uint64_t step,
                              double (&arrived)[Ports], double& current) {
    for (int s = P.first_stimulus; s < P.first_stimulus + P.n_stimuli; ++s) {
        const sim_stimulus& S = D::stimulus(s);
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

// A complex model's imaginary jump (the CPU's jump_im), from the ports before deliver moves
// them on: delta ports' imaginary arrivals (their ring slot read and cleared), exact ports'
// kernels' imaginary parts times the port state, in port order.
template<int Ports>
__device__ double imaginary_jump(const sim_population& P, std::uint64_t i, std::uint64_t slot,
                                 const double (&x)[Ports], const double (&y)[Ports]) {
    double jump = 0.0;
#pragma unroll
    for (int p = 0; p < Ports; ++p) {
        if (p >= P.ports) break;
        const sim_port_im& im = P.im[p];
        if (im.ring) {
            jump += im.ring[slot];
            im.ring[slot] = 0.0;
        } else if (P.port[p].kind == sim_port_kind::exp_exact ||
                   P.port[p].kind == sim_port_kind::alpha_exact) {
            jump += (im.kernels ? im.kernels[i] : im.kernel) * x[p];
            if (P.port[p].kind == sim_port_kind::alpha_exact)
                jump += (im.rise_kernels ? im.rise_kernels[i] : im.rise_kernel) * y[p];
        }
    }
    return jump;
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

} // namespace
} // namespace nm::cuda
