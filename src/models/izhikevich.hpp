// Izhikevich (2003) simple model: quadratic membrane with a recovery variable u,
//   dv/dt = 0.04v² + 5v + 140 - u + I,   du/dt = a(b·v - u),   at v >= v_peak: v = c, u += d
// (v in mV, t in ms, I in the paper's dimensionless current units). Its parameter sets give
// regular spiking, bursting, chattering, fast spiking, low-threshold, thalamo-cortical and
// resonator behaviour (paper Fig. 2). Integrated by models/ode.hpp; the reset happens at the
// crossing time inside the step.
// Reference: E. M. Izhikevich, IEEE Trans. Neural Netw. 14(6):1569–1572 (2003).
#pragma once

#include "models/model.hpp"
#include "models/ode.hpp"
#include "nm/errors.hpp"

namespace nm::models {

struct izhikevich {
    static constexpr std::string_view name = "izhikevich";
    static constexpr std::string_view summary = "Izhikevich (2003) quadratic model with recovery";
    static constexpr bool is_complex = false;

    struct params {
        double a = 0.02, b = 0.2, c = -65.0, d = 8.0, v_peak = 30.0, i_bias = 0.0;
        double atol = 1e-6, rtol = 1e-6;
        int method = method_rk45;
    };
    struct coeffs {
        double a, b, c, d, i_bias;
        ode_settings ode;
    };
    struct state {
        double v = -65.0, u = -13.0;
        double substep = 0.0; // rk45 substep carried to the next step (ms)
    };

    static constexpr auto param_fields = concat(
        std::array{
            number<params>("a", &params::a, "1/ms", rule::positive, "recovery rate"),
            number<params>("b", &params::b, "", rule::finite, "recovery sensitivity to v"),
            number<params>("c", &params::c, "mV", rule::finite, "reset potential"),
            number<params>("d", &params::d, "", rule::finite, "recovery jump at a spike"),
            number<params>("v_peak", &params::v_peak, "mV", rule::finite, "spike cut-off"),
            number<params>("i_bias", &params::i_bias, "", rule::finite, "constant current"),
        },
        ode_fields<params>());
    static constexpr std::array state_fields{
        number<state>("v", &state::v, "mV", rule::finite, "membrane potential"),
        number<state>("u", &state::u, "", rule::finite, "recovery variable"),
        substep_field<state>(),
    };

    static coeffs derive(const params& p, double dt) {
        if (!(p.c < p.v_peak))
            throw bad_parameter("c = " + format_number(p.c) +
                                " mV must be below v_peak = " + format_number(p.v_peak) + " mV");
        return {p.a, p.b, p.c, p.d, p.i_bias, ode_settings::derive(p, dt, p.v_peak, true)};
    }

    static state initial(const params& p) { return {-65.0, p.b * -65.0, 0.0}; }

    struct system {
        static constexpr std::size_t size = 2;
        const coeffs& c;
        const neuron_input& in;
        NM_HD void rhs(double t, const ode_state<2>& y, ode_state<2>& dy) const {
            const double v = y[0];
            const double i = in.current + c.i_bias + in.syn.current(t / c.ode.dt, v);
            dy[0] = 0.04 * v * v + 5.0 * v + 140.0 - y[1] + i;
            dy[1] = c.a * (c.b * v - y[1]);
        }
        NM_HD void reset(ode_state<2>& y) const {
            y[0] = c.c;
            y[1] += c.d;
        }
    };

    NM_HD static crossing advance(const coeffs& c, state& s, const neuron_input& in) {
        const system sys{c, in};
        ode_state<2> y{s.v, s.u};
        crossing x = integrate_step(sys, y, c.ode, s.substep);
        add_jump(sys, y, in.jump, c.ode, x);
        s.v = y[0];
        s.u = y[1];
        return x;
    }
};

} // namespace nm::models
