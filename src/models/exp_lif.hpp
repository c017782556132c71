// Exponential integrate-and-fire (the TrueNorth-style neuron of the sources):
//   τ_m dv/dt = -(v - v_leak) + Δ_T·exp((v - v_T)/Δ_T) + r·I,   at v >= v_peak: v = v_reset
// then v held at v_reset for t_ref. Integrated by models/ode.hpp; reset at the crossing.
// Reference: Fourcaud-Trocmé et al., J. Neurosci. 23(37):11628–11640 (2003).
#pragma once

#include "models/exp_spike.hpp"
#include "models/model.hpp"
#include "models/ode.hpp"

namespace nm::models {

struct exp_lif {
    static constexpr std::string_view name = "exp_lif";
    static constexpr std::string_view summary =
        "exponential integrate-and-fire (Fourcaud-Trocme et al. 2003)";
    static constexpr bool is_complex = false;

    struct params {
        double tau_m = 10.0, v_leak = -65.0, r = 1.0, i_bias = 0.0;
        double v_t = -50.0, delta_t = 2.0, v_peak = 0.0, v_reset = -65.0, t_ref = 2.0;
        double atol = 1e-6, rtol = 1e-6;
        int method = method_rk45;
    };
    struct coeffs {
        double inv_tau, v_leak, r, i_bias, v_reset;
        exp_spike spike;
        int ref_steps;
        ode_settings ode;
    };
    struct state {
        double v = -65.0;
        double refr = 0.0;    // refractory steps left
        double substep = 0.0; // rk45 substep carried to the next step (ms)
    };

    static constexpr auto param_fields = concat(
        std::array{
            number<params>("tau_m", &params::tau_m, "ms", rule::positive, "membrane time constant"),
            number<params>("v_leak", &params::v_leak, "mV", rule::finite, "resting potential"),
            number<params>("r", &params::r, "mV/unit", rule::finite, "input resistance"),
            number<params>("i_bias", &params::i_bias, "unit", rule::finite, "constant current"),
            number<params>("v_t", &params::v_t, "mV", rule::finite, "spike initiation threshold"),
            number<params>("delta_t", &params::delta_t, "mV", rule::positive, "slope factor"),
            number<params>("v_peak", &params::v_peak, "mV", rule::finite, "spike cut-off"),
            number<params>("v_reset", &params::v_reset, "mV", rule::finite, "reset potential"),
            number<params>("t_ref", &params::t_ref, "ms", rule::nonnegative,
                           "refractory period (v held at v_reset)"),
        },
        ode_fields<params>());
    static constexpr std::array state_fields{
        number<state>("v", &state::v, "mV", rule::finite, "membrane potential"),
        number<state>("refr", &state::refr, "steps", rule::nonnegative, "refractory steps left"),
        substep_field<state>(),
    };

    static coeffs derive(const params& p, double dt) {
        return {1.0 / p.tau_m,
                p.v_leak,
                p.r,
                p.i_bias,
                p.v_reset,
                exp_spike::derive(p),
                static_cast<int>(std::lround(p.t_ref / dt)),
                ode_settings::derive(p, dt, p.v_peak, true)};
    }

    static state initial(const params& p) { return {p.v_leak, 0.0, 0.0}; }

    struct system {
        static constexpr std::size_t size = 1;
        const coeffs& c;
        const neuron_input& in;
        mutable bool clamped;
        NM_HD void rhs(double t, const ode_state<1>& y, ode_state<1>& dy) const {
            const double v = y[0];
            const double i = in.current + c.i_bias + in.syn.current(t / c.ode.dt, v);
            dy[0] = clamped ? 0.0 : c.inv_tau * (-(v - c.v_leak) + c.spike(v) + c.r * i);
        }
        NM_HD void reset(ode_state<1>& y) const {
            y[0] = c.v_reset;
            clamped = c.ref_steps > 0;
        }
    };

    NM_HD static crossing advance(const coeffs& c, state& s, const neuron_input& in) {
        const system sys{c, in, s.refr > 0};
        ode_state<1> y{s.v};
        crossing x = integrate_step(sys, y, c.ode, s.substep);
        if (!sys.clamped) add_jump(sys, y, in.jump, c.ode, x);
        s.v = y[0];
        s.refr = refractory_left(s.refr, x.n, c.ref_steps);
        return x;
    }
};

} // namespace nm::models
