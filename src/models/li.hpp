// Leaky integrator (no spikes): the readout of trained networks and a probe for input currents,
//   v* = λ·v + (1 - λ)·v_leak + g·(I + i_bias) + Σ w·s,  λ = exp(-dt/τ_m),  g = r(1 - λ).
// Reference: NIR's LI primitive (Pedersen et al., Nat. Commun. 15, 8122, 2024).
#pragma once

#include "models/linear.hpp"
#include "models/model.hpp"

#include <array>

namespace nm::models {

struct li {
    static constexpr std::string_view name = "li";
    static constexpr std::string_view summary = "leaky integrator, no spikes (readouts)";
    static constexpr bool is_complex = false;

    struct params {
        double tau_m = 10.0, v_leak = 0.0, r = 1.0, i_bias = 0.0;
    };
    struct coeffs {
        double lambda, gain, rest;
    };
    struct state {
        double v = 0.0;
    };

    static constexpr std::array param_fields{
        number<params>("tau_m", &params::tau_m, "ms", rule::positive_or_inf,
                       "membrane time constant"),
        number<params>("v_leak", &params::v_leak, "mV", rule::finite, "resting potential"),
        number<params>("r", &params::r, "mV/unit", rule::finite, "input resistance"),
        number<params>("i_bias", &params::i_bias, "unit", rule::finite, "constant current"),
    };
    static constexpr std::array state_fields{
        number<state>("v", &state::v, "mV", rule::finite, "membrane potential"),
    };

    static linear_dynamics dynamics(const params& p) { return leaky(p.tau_m, p.r); }

    static coeffs derive(const params& p, double dt) {
        const linear_dynamics d = dynamics(p);
        coeffs c;
        c.lambda = step_decay(d, dt).real();
        c.gain = current_gain(d, dt).real();
        c.rest = (1.0 - c.lambda) * p.v_leak + c.gain * p.i_bias;
        return c;
    }

    static state initial(const params& p) { return {p.v_leak}; }

    NM_HD static double integrate(const coeffs& c, const state& s, const neuron_input& in) {
        return c.lambda * s.v + c.rest + c.gain * in.current + in.jump;
    }

    NM_HD static int fire(const coeffs&, const state&, double, double) { return 0; }

    NM_HD static void reset(const coeffs&, state& s, double vstar, int) { s.v = vstar; }
};

} // namespace nm::models
