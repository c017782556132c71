// Hindmarsh–Rose bursting neuron (x is the membrane variable, stored as v):
//   τ dx/dt = y - a·x³ + b·x² - z + I,   τ dy/dt = c - d·x² - y,   τ dz/dt = r(s(x - x_R) - z)
// (dimensionless; τ maps model time to ms). Spiking, square-wave bursting or chaos depending on
// I and r. No reset: a spike is an upward crossing of v_th. models/ode.hpp, rk4 by default.
// Reference: J. L. Hindmarsh, R. M. Rose, Proc. R. Soc. Lond. B 221:87–102 (1984).
#pragma once

#include "models/model.hpp"
#include "models/ode.hpp"

namespace nm::models {

struct hindmarsh_rose {
    static constexpr std::string_view name = "hindmarsh_rose";
    static constexpr std::string_view summary = "Hindmarsh-Rose three-variable bursting model";
    static constexpr bool is_complex = false;

    struct params {
        double a = 1.0, b = 3.0, c = 1.0, d = 5.0, r = 0.006, s = 4.0, x_r = -1.6;
        double tau = 1.0, v_th = 1.0, i_bias = 0.0;
        double atol = 1e-6, rtol = 1e-6;
        int method = method_rk4;
    };
    struct coeffs {
        double a, b, c, d, r, s, x_r, inv_tau, i_bias;
        ode_settings ode;
    };
    struct state {
        double v = -1.6, y = -11.8, z = 0.0;
        double substep = 0.0; // rk45 substep carried to the next step (ms)
    };

    static constexpr auto param_fields = concat(
        std::array{
            number<params>("a", &params::a, "", rule::finite, "cubic term of x"),
            number<params>("b", &params::b, "", rule::finite, "quadratic term of x"),
            number<params>("c", &params::c, "", rule::finite, "recovery offset"),
            number<params>("d", &params::d, "", rule::finite, "recovery coupling"),
            number<params>("r", &params::r, "", rule::nonnegative, "slow adaptation rate"),
            number<params>("s", &params::s, "", rule::finite, "adaptation coupling"),
            number<params>("x_r", &params::x_r, "", rule::finite, "adaptation rest point"),
            number<params>("tau", &params::tau, "ms", rule::positive, "time unit"),
            number<params>("v_th", &params::v_th, "", rule::finite,
                           "a spike is an upward crossing of this value"),
            number<params>("i_bias", &params::i_bias, "", rule::finite, "constant current"),
        },
        ode_fields<params>());
    static constexpr std::array state_fields{
        number<state>("v", &state::v, "", rule::finite, "membrane variable x"),
        number<state>("y", &state::y, "", rule::finite, "fast recovery (spiking) variable"),
        number<state>("z", &state::z, "", rule::finite, "slow adaptation (bursting) variable"),
        substep_field<state>(),
    };

    static coeffs derive(const params& p, double dt) {
        return {p.a, p.b,   p.c,         p.d,      p.r,
                p.s, p.x_r, 1.0 / p.tau, p.i_bias, ode_settings::derive(p, dt, p.v_th, false)};
    }

    // At rest: x = x_R, y on its nullcline, z = 0.
    static state initial(const params& p) { return {p.x_r, p.c - p.d * p.x_r * p.x_r, 0.0, 0.0}; }

    struct system {
        static constexpr std::size_t size = 3;
        const coeffs& c;
        const neuron_input& in;
        NM_HD void rhs(double t, const ode_state<3>& q, ode_state<3>& dq) const {
            const double x = q[0];
            const double i = in.current + c.i_bias + in.syn.current(t / c.ode.dt, x);
            dq[0] = c.inv_tau * (q[1] - c.a * x * x * x + c.b * x * x - q[2] + i);
            dq[1] = c.inv_tau * (c.c - c.d * x * x - q[1]);
            dq[2] = c.inv_tau * c.r * (c.s * (x - c.x_r) - q[2]);
        }
        NM_HD void reset(ode_state<3>&) const {}
    };

    NM_HD static crossing advance(const coeffs& c, state& s, const neuron_input& in) {
        const system sys{c, in};
        ode_state<3> q{s.v, s.y, s.z};
        crossing x = integrate_step(sys, q, c.ode, s.substep);
        add_jump(sys, q, in.jump, c.ode, x);
        s.v = q[0];
        s.y = q[1];
        s.z = q[2];
        return x;
    }
};

} // namespace nm::models
