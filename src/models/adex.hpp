// Adaptive exponential integrate-and-fire (AdEx), the BrainScaleS-2 neuron:
//   C dv/dt = -g_L(v - E_L) + g_L·Δ_T·exp((v - v_T)/Δ_T) - w + I
//   τ_w dw/dt = a(v - E_L) - w,          at v >= v_peak: v = v_reset, w += b
// (pF, nS, mV, ms, pA), v held at v_reset for t_ref after a spike (NEST aeif_*). Its parameter
// sets give tonic, adapting, bursting, delayed and irregular firing (Naud et al. 2008).
// Integrated by models/ode.hpp (rk45 by default: the upstroke is stiff); reset at the crossing.
// Reference: R. Brette, W. Gerstner, J. Neurophysiol. 94:3637–3642 (2005).
#pragma once

#include "models/exp_spike.hpp"
#include "models/model.hpp"
#include "models/ode.hpp"

namespace nm::models {

struct adex {
    static constexpr std::string_view name = "adex";
    static constexpr std::string_view summary =
        "adaptive exponential integrate-and-fire (Brette & Gerstner 2005)";
    static constexpr bool is_complex = false;

    struct params {
        double c_m = 281.0, g_l = 30.0, e_l = -70.6, v_t = -50.4, delta_t = 2.0;
        double tau_w = 144.0, a = 4.0, b = 80.5, v_reset = -70.6, v_peak = 0.0, t_ref = 0.0;
        double i_bias = 0.0, atol = 1e-6, rtol = 1e-6;
        int method = method_rk45;
    };
    struct coeffs {
        double inv_c, g_l, e_l, inv_tau_w, a, b, v_reset, i_bias;
        exp_spike spike;
        int ref_steps;
        ode_settings ode;
    };
    struct state {
        double v = -70.6, w = 0.0;
        double refr = 0.0;    // refractory steps left
        double substep = 0.0; // rk45 substep carried to the next step (ms)
    };

    static constexpr auto param_fields = concat(
        std::array{
            number<params>("c_m", &params::c_m, "pF", rule::positive, "membrane capacitance"),
            number<params>("g_l", &params::g_l, "nS", rule::positive, "leak conductance"),
            number<params>("e_l", &params::e_l, "mV", rule::finite, "leak reversal potential"),
            number<params>("v_t", &params::v_t, "mV", rule::finite, "spike initiation threshold"),
            number<params>("delta_t", &params::delta_t, "mV", rule::positive, "slope factor"),
            number<params>("tau_w", &params::tau_w, "ms", rule::positive,
                           "adaptation time constant"),
            number<params>("a", &params::a, "nS", rule::finite, "subthreshold adaptation"),
            number<params>("b", &params::b, "pA", rule::finite, "spike-triggered adaptation"),
            number<params>("v_reset", &params::v_reset, "mV", rule::finite, "reset potential"),
            number<params>("v_peak", &params::v_peak, "mV", rule::finite, "spike cut-off"),
            number<params>("t_ref", &params::t_ref, "ms", rule::nonnegative,
                           "refractory period (v held at v_reset)"),
            number<params>("i_bias", &params::i_bias, "pA", rule::finite, "constant current"),
        },
        ode_fields<params>());
    static constexpr std::array state_fields{
        number<state>("v", &state::v, "mV", rule::finite, "membrane potential"),
        number<state>("w", &state::w, "pA", rule::finite, "adaptation current"),
        number<state>("refr", &state::refr, "steps", rule::nonnegative, "refractory steps left"),
        substep_field<state>(),
    };

    static coeffs derive(const params& p, double dt) {
        coeffs c{1.0 / p.c_m,
                 p.g_l,
                 p.e_l,
                 1.0 / p.tau_w,
                 p.a,
                 p.b,
                 p.v_reset,
                 p.i_bias,
                 exp_spike::derive(p),
                 static_cast<int>(std::lround(p.t_ref / dt)),
                 ode_settings::derive(p, dt, p.v_peak, true)};
        return c;
    }

    static state initial(const params& p) { return {p.e_l, 0.0, 0.0, 0.0}; }

    struct system {
        static constexpr std::size_t size = 2;
        const coeffs& c;
        const neuron_input& in;
        mutable bool clamped;
        NM_HD void rhs(double t, const ode_state<2>& y, ode_state<2>& dy) const {
            const double v = y[0];
            const double i = in.current + c.i_bias + in.syn.current(t / c.ode.dt, v);
            dy[0] =
                clamped ? 0.0 : c.inv_c * (-c.g_l * (v - c.e_l) + c.g_l * c.spike(v) - y[1] + i);
            dy[1] = c.inv_tau_w * (c.a * (v - c.e_l) - y[1]);
        }
        NM_HD void reset(ode_state<2>& y) const {
            y[0] = c.v_reset;
            y[1] += c.b;
            clamped = c.ref_steps > 0;
        }
    };

    NM_HD static crossing advance(const coeffs& c, state& s, const neuron_input& in) {
        const system sys{c, in, s.refr > 0};
        ode_state<2> y{s.v, s.w};
        crossing x = integrate_step(sys, y, c.ode, s.substep);
        if (!sys.clamped) add_jump(sys, y, in.jump, c.ode, x);
        s.v = y[0];
        s.w = y[1];
        s.refr = refractory_left(s.refr, x.n, c.ref_steps);
        return x;
    }
};

} // namespace nm::models
