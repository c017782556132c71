// How a population's neuron loop reads its input ports. In general a delivery pass
// (population::deliver) first sums every port into per-neuron columns, which the neuron loop
// then reads. The port sets of the common network models are read inside the neuron loop
// instead, in the same pass that integrates the neuron: one sweep over the population per step
// instead of three, the same arithmetic in the same order (so the same spikes). They are:
//  - one delta port (Brunel's networks);
//  - one or two exponential current ports through the model's exact kernels (the cortical
//    microcircuit, CUBA);
//  - an exponential excitatory and inhibitory conductance (COBA, NEST's iaf_cond_exp).
// Each reader fills neuron i's input and advances its ports (decay, this step's arrivals from
// the ring slot, the slot cleared), as deliver does.
#pragma once

#include "core/hd.hpp"
#include "core/population.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace nm {

// Whether |x_i| + |y_i| ≤ bound for every i in [b, e) (population.cpp, with an AVX2 clone).
bool abs_sums_within(const double* x, const double* y, std::uint64_t b, std::uint64_t e,
                     double bound);

enum class port_layout { delivered, delta, exact_exp_1, exact_exp_2, cond_exp_pair };

// What deliver() left for the chunk.
template<bool Complex, bool HasDrive>
struct delivered_ports {
    const double* jump;
    const double* jump_im;
    drive_columns::reader drive;

    NM_HD_INLINE void operator()(std::uint64_t i, models::neuron_input& in) const {
        in.jump = jump[i];
        if constexpr (Complex) in.jump_im = jump_im[i];
        if constexpr (HasDrive) in.syn = drive[i];
    }
};

struct delta_port {
    double* ring;

    NM_HD_INLINE void operator()(std::uint64_t i, models::neuron_input& in) const {
        in.jump = ring[i];
        ring[i] = 0.0;
    }
};

// Exponential currents x with the kernel k (shared by the population): v* gains k·x, then x
// decays and takes the arrivals (NEST's iaf_psc_exp order).
template<int N>
struct exact_exp_ports {
    std::array<double*, N> x, ring;
    std::array<double, N> kernel, decay;

    NM_HD_INLINE void operator()(std::uint64_t i, models::neuron_input& in) const {
        // With several ports the sum starts from the first term: 0.0 + x is not x for x = -0.0,
        // so a 0.0 start costs a multiply-add with zero per neuron. A single port's term keeps
        // the 0.0: alone it would be fused into the model's own sum, rounding otherwise than
        // the delivery pass and the GPU do.
        double jump = N > 1 ? kernel[0] * x[0][i] : 0.0 + kernel[0] * x[0][i];
        for (int p = 0; p < N; ++p) {
            if (p > 0) jump += kernel[p] * x[p][i];
            x[p][i] = decay[p] * x[p][i] + ring[p][i];
            ring[p][i] = 0.0;
        }
        in.jump = jump;
    }
};

// Conductances p (excitatory) and q (inhibitory) at both ends of the step.
struct cond_exp_pair {
    double *xp, *xq, *ring_p, *ring_q;
    double decay_p, decay_q, e_p, e_q;

    NM_HD_INLINE void operator()(std::uint64_t i, models::neuron_input& in) const {
        const double p0 = xp[i], q0 = xq[i];
        const double p1 = decay_p * p0, q1 = decay_q * q0;
        in.syn.g0 = p0 + q0;
        in.syn.g1 = p1 + q1;
        in.syn.ge0 = p0 * e_p + q0 * e_q;
        in.syn.ge1 = p1 * e_p + q1 * e_q;
        xp[i] = p1 + ring_p[i];
        xq[i] = q1 + ring_q[i];
        ring_p[i] = 0.0;
        ring_q[i] = 0.0;
    }

    // Whether every neuron in [b, e) has |x_p| + |x_q| ≤ bound (a bound on |g| over the step,
    // since both only decay until the arrivals at its end).
    bool within(std::uint64_t b, std::uint64_t e, double bound) const {
        return abs_sums_within(xp, xq, b, e, bound);
    }

    // Ports p and q at ring offset `slot` (the step's slot times the population size).
    static cond_exp_pair of(input_port& p, input_port& q, std::size_t slot) {
        return {p.current.data(),
                q.current.data(),
                p.ring.data() + slot,
                q.ring.data() + slot,
                p.decay,
                q.decay,
                p.e_rev,
                q.e_rev};
    }
};

} // namespace nm
