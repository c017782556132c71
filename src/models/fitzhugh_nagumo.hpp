// FitzHugh–Nagumo: the two-variable reduction of Hodgkin–Huxley,
//   τ_v dv/dt = v - v³/3 - w + I,   τ_w dw/dt = v + a - b·w
// (dimensionless v, w and I; time in ms through τ_v and τ_w). No reset: a spike is an upward
// crossing of v_th, timed inside the step. Integrated by models/ode.hpp (rk4 by default).
// Reference: R. FitzHugh, Biophys. J. 1:445–466 (1961); parameters a = 0.7, b = 0.8, τ_w/τ_v =
// 12.5 from that paper.
#pragma once

#include "models/model.hpp"
#include "models/ode.hpp"

namespace nm::models {

struct fitzhugh_nagumo {
    static constexpr std::string_view name = "fitzhugh_nagumo";
    static constexpr std::string_view summary = "FitzHugh-Nagumo two-variable excitable model";
    static constexpr bool is_complex = false;

    struct params {
        double a = 0.7, b = 0.8, tau_v = 1.0, tau_w = 12.5, v_th = 1.0, i_bias = 0.0;
        double atol = 1e-6, rtol = 1e-6;
        int method = method_rk4;
    };
    struct coeffs {
        double a, b, inv_tau_v, inv_tau_w, i_bias;
        ode_settings ode;
    };
    struct state {
        double v = -1.199, w = -0.624;
        double substep = 0.0; // rk45 substep carried to the next step (ms)
    };

    static constexpr auto param_fields = concat(
        std::array{
            number<params>("a", &params::a, "", rule::finite, "recovery offset"),
            number<params>("b", &params::b, "", rule::nonnegative, "recovery self-coupling"),
            number<params>("tau_v", &params::tau_v, "ms", rule::positive, "fast time constant"),
            number<params>("tau_w", &params::tau_w, "ms", rule::positive, "slow time constant"),
            number<params>("v_th", &params::v_th, "", rule::finite,
                           "a spike is an upward crossing of this value"),
            number<params>("i_bias", &params::i_bias, "", rule::finite, "constant current"),
        },
        ode_fields<params>());
    static constexpr std::array state_fields{
        number<state>("v", &state::v, "", rule::finite, "fast (membrane) variable"),
        number<state>("w", &state::w, "", rule::finite, "slow recovery variable"),
        substep_field<state>(),
    };

    static coeffs derive(const params& p, double dt) {
        return {p.a,           p.b,      1.0 / p.tau_v,
                1.0 / p.tau_w, p.i_bias, ode_settings::derive(p, dt, p.v_th, false)};
    }

    static state initial(const params&) { return {}; }

    struct system {
        static constexpr std::size_t size = 2;
        const coeffs& c;
        const neuron_input& in;
        NM_HD void rhs(double t, const ode_state<2>& y, ode_state<2>& dy) const {
            const double v = y[0];
            const double i = in.current + c.i_bias + in.syn.current(t / c.ode.dt, v);
            dy[0] = c.inv_tau_v * (v - v * v * v / 3.0 - y[1] + i);
            dy[1] = c.inv_tau_w * (v + c.a - c.b * y[1]);
        }
        NM_HD void reset(ode_state<2>&) const {}
    };

    NM_HD static crossing advance(const coeffs& c, state& s, const neuron_input& in) {
        const system sys{c, in};
        ode_state<2> y{s.v, s.w};
        crossing x = integrate_step(sys, y, c.ode, s.substep);
        add_jump(sys, y, in.jump, c.ode, x);
        s.v = y[0];
        s.w = y[1];
        return x;
    }
};

} // namespace nm::models
