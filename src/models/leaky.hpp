// The leaky membrane shared by lif, alif and li: its parameter rows and its per-step propagation
//   v* = λ·v + (1 − λ)·v_leak + g·(I + i_bias) + jump,   λ = exp(-dt/τ_m),  g = r(1 − λ)
// (g = r·dt for τ_m = inf), written once. With conductance synapses the membrane is linear with
// a time-varying leak, dv/dt = -(1/τ_m + b·g)·v + v_leak/τ_m + b·(I + i_bias + g·E_rev),
// b = r/τ_m; it is stepped by the exponential midpoint rule (coefficients frozen at their
// mid-step values, exact exponential: second order, unconditionally stable, as Brian2's
// exponential Euler for the COBA benchmark). Where the population has checked that k·dt stays
// within short_gain_limit, the step's gain (1 − e^{-kh})/kh comes from its Padé form
// (core/exp_lanes.hpp, within 2e-10) instead of an exponential and a division by k.
#pragma once

#include "core/exp_lanes.hpp"
#include "core/fields.hpp"
#include "core/hd.hpp"
#include "models/linear.hpp"
#include "models/model.hpp"

#include <array>
#include <cmath>

namespace nm::models {

// Rows for params structs with members tau_m, v_leak, r, i_bias.
template<class P>
constexpr auto leaky_fields() {
    return std::array{
        number<P>("tau_m", &P::tau_m, "ms", rule::positive_or_inf,
                  "membrane time constant (inf: IF)"),
        number<P>("v_leak", &P::v_leak, "mV", rule::finite, "resting potential"),
        number<P>("r", &P::r, "mV/unit", rule::finite, "input resistance (current to potential)"),
        number<P>("i_bias", &P::i_bias, "unit", rule::finite, "constant current"),
    };
}

struct leak {
    double lambda, gain, rest;
    double inv_tau, b, drift, dt; // conductance path: dv/dt = drift - inv_tau·v + b·(I + ...)

    template<class P>
    static leak derive(const P& p, double dt) {
        const linear_dynamics d = leaky(p.tau_m, p.r);
        leak l;
        l.lambda = step_decay(d, dt).real();
        l.gain = current_gain(d, dt).real();
        l.rest = (1.0 - l.lambda) * p.v_leak + l.gain * p.i_bias;
        l.inv_tau = -d.a.real();
        l.b = d.b;
        l.drift = l.inv_tau * p.v_leak + d.b * p.i_bias;
        l.dt = dt;
        return l;
    }

    // The largest |g| (Σ over conductance ports) for which |k·dt| ≤ short_gain_limit; negative
    // when even g = 0 is beyond it.
    double short_gain_conductance() const {
        const double room = short_gain_limit / dt - std::fabs(inv_tau);
        return b == 0.0 ? (room >= 0 ? HUGE_VAL : -1.0) : room / std::fabs(b);
    }

    // Both branches are computed and one selected: a neuron loop over it then vectorises.
    NM_HD_INLINE double step(double v, const neuron_input& in) const {
        // rest + gain·I first: without a current input it is a constant, hoisted from the loop.
        const double plain = lambda * v + (rest + gain * in.current) + in.jump;
        const synaptic_drive& s = in.syn;
        const double g = 0.5 * (s.g0 + s.g1);
        const double k = inv_tau + b * g;
        const double source = drift + b * (in.current + 0.5 * (s.i0 + s.i1 + s.ge0 + s.ge1));
        // v(h) = v + (source - k·v)·(1 - e^{-kh})/k, the exact solution for frozen k, source.
        const double kh = k * dt;
        const double gain = in.short_gain ? one_minus_exp_over_short(kh) : one_minus_exp_over(kh);
        const double conductive = v + (source - k * v) * dt * gain + in.jump;
        return s.conductive() ? conductive : plain;
    }
};

} // namespace nm::models
