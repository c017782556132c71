// Hodgkin–Huxley squid giant axon (6.3 °C), in the modern convention (rest near -65 mV):
//   C dv/dt = -g_Na·m³h(v - E_Na) - g_K·n⁴(v - E_K) - g_L(v - E_L) + I
//   dx/dt = α_x(v)(1 - x) - β_x(v)·x   for x = m, h, n
// (µF/cm², mS/cm², mV, ms, µA/cm²). No reset: a spike is an upward crossing of v_spike, timed
// inside the step. Repetitive firing under steady current starts near 6.2 µA/cm² with these
// parameters (a single spike needs less). Integrated by models/ode.hpp (rk45 by default).
// Reference: A. L. Hodgkin, A. F. Huxley, J. Physiol. 117:500–544 (1952); rates as in
// Dayan & Abbott, Theoretical Neuroscience (2001), §5.6.
#pragma once

#include "models/model.hpp"
#include "models/ode.hpp"

#include <cmath>

namespace nm::models {

struct hodgkin_huxley {
    static constexpr std::string_view name = "hodgkin_huxley";
    static constexpr std::string_view summary = "Hodgkin-Huxley squid axon (Na, K, leak)";
    static constexpr bool is_complex = false;

    struct params {
        double c_m = 1.0, g_na = 120.0, g_k = 36.0, g_l = 0.3;
        double e_na = 50.0, e_k = -77.0, e_l = -54.387, v_spike = 0.0, i_bias = 0.0;
        double atol = 1e-6, rtol = 1e-6;
        int method = method_rk45;
    };
    struct coeffs {
        double inv_c, g_na, g_k, g_l, e_na, e_k, e_l, i_bias;
        ode_settings ode;
    };
    struct state {
        double v = -65.0, m = 0.0, h = 0.0, n = 0.0;
        double substep = 0.0; // rk45 substep carried to the next step (ms)
    };

    static constexpr auto param_fields = concat(
        std::array{
            number<params>("c_m", &params::c_m, "uF/cm2", rule::positive, "membrane capacitance"),
            number<params>("g_na", &params::g_na, "mS/cm2", rule::nonnegative,
                           "peak sodium conductance"),
            number<params>("g_k", &params::g_k, "mS/cm2", rule::nonnegative,
                           "peak potassium conductance"),
            number<params>("g_l", &params::g_l, "mS/cm2", rule::nonnegative, "leak conductance"),
            number<params>("e_na", &params::e_na, "mV", rule::finite, "sodium reversal"),
            number<params>("e_k", &params::e_k, "mV", rule::finite, "potassium reversal"),
            number<params>("e_l", &params::e_l, "mV", rule::finite, "leak reversal"),
            number<params>("v_spike", &params::v_spike, "mV", rule::finite,
                           "a spike is an upward crossing of this potential"),
            number<params>("i_bias", &params::i_bias, "uA/cm2", rule::finite, "constant current"),
        },
        ode_fields<params>());
    static constexpr std::array state_fields{
        number<state>("v", &state::v, "mV", rule::finite, "membrane potential"),
        number<state>("m", &state::m, "", rule::unit_interval, "sodium activation"),
        number<state>("h", &state::h, "", rule::unit_interval, "sodium inactivation"),
        number<state>("n", &state::n, "", rule::unit_interval, "potassium activation"),
        substep_field<state>(),
    };

    // x / (exp(x / y) - 1), continuous through x = 0 where it tends to y.
    NM_HD static double vtrap(double x, double y) {
        const double r = x / y;
        return std::fabs(r) < 1e-6 ? y * (1.0 - 0.5 * r) : x / std::expm1(r);
    }
    struct rates {
        double am, bm, ah, bh, an, bn;
        NM_HD explicit rates(double v)
            : am(0.1 * vtrap(-(v + 40.0), 10.0)), bm(4.0 * std::exp(-(v + 65.0) / 18.0)),
              ah(0.07 * std::exp(-(v + 65.0) / 20.0)),
              bh(1.0 / (1.0 + std::exp(-(v + 35.0) / 10.0))), an(0.01 * vtrap(-(v + 55.0), 10.0)),
              bn(0.125 * std::exp(-(v + 65.0) / 80.0)) {}
    };

    static coeffs derive(const params& p, double dt) {
        return {1.0 / p.c_m, p.g_na,   p.g_k,
                p.g_l,       p.e_na,   p.e_k,
                p.e_l,       p.i_bias, ode_settings::derive(p, dt, p.v_spike, false)};
    }

    // At rest the gates sit at their steady state for v = -65 mV.
    static state initial(const params&) {
        const rates r(-65.0);
        return {-65.0, r.am / (r.am + r.bm), r.ah / (r.ah + r.bh), r.an / (r.an + r.bn), 0.0};
    }

    struct system {
        static constexpr std::size_t size = 4;
        const coeffs& c;
        const neuron_input& in;
        NM_HD void rhs(double t, const ode_state<4>& y, ode_state<4>& dy) const {
            const double v = y[0], m = y[1], h = y[2], n = y[3];
            const rates r(v);
            const double i_ion = c.g_na * m * m * m * h * (v - c.e_na) +
                                 c.g_k * (n * n) * (n * n) * (v - c.e_k) + c.g_l * (v - c.e_l);
            const double i = in.current + c.i_bias + in.syn.current(t / c.ode.dt, v);
            dy[0] = c.inv_c * (i - i_ion);
            dy[1] = r.am * (1.0 - m) - r.bm * m;
            dy[2] = r.ah * (1.0 - h) - r.bh * h;
            dy[3] = r.an * (1.0 - n) - r.bn * n;
        }
        NM_HD void reset(ode_state<4>&) const {}
    };

    NM_HD static crossing advance(const coeffs& c, state& s, const neuron_input& in) {
        const system sys{c, in};
        ode_state<4> y{s.v, s.m, s.h, s.n};
        crossing x = integrate_step(sys, y, c.ode, s.substep);
        add_jump(sys, y, in.jump, c.ode, x);
        s.v = y[0];
        s.m = y[1];
        s.h = y[2];
        s.n = y[3];
        return x;
    }
};

} // namespace nm::models
