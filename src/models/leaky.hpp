// The leaky membrane shared by lif, alif and li: its parameter rows and its per-step propagation
//   v* = λ·v + (1 − λ)·v_leak + g·(I + i_bias) + jump,   λ = exp(-dt/τ_m),  g = r(1 − λ)
// (g = r·dt for τ_m = inf), written once.
#pragma once

#include "core/fields.hpp"
#include "core/hd.hpp"
#include "models/linear.hpp"
#include "models/model.hpp"

#include <array>

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

    template<class P>
    static leak derive(const P& p, double dt) {
        const linear_dynamics d = leaky(p.tau_m, p.r);
        leak l;
        l.lambda = step_decay(d, dt).real();
        l.gain = current_gain(d, dt).real();
        l.rest = (1.0 - l.lambda) * p.v_leak + l.gain * p.i_bias;
        return l;
    }

    NM_HD double step(double v, const neuron_input& in) const {
        return lambda * v + rest + gain * in.current + in.jump;
    }
};

} // namespace nm::models
