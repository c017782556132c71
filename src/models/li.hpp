// Leaky integrator (no spikes): the readout of trained networks and a probe for input currents,
//   v* = λ·v + (1 - λ)·v_leak + g·(I + i_bias) + Σ w·s,  λ = exp(-dt/τ_m),  g = r(1 - λ).
// Reference: NIR's LI primitive (Pedersen et al., Nat. Commun. 15, 8122, 2024).
#pragma once

#include "models/leaky.hpp"
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
    using coeffs = models::leak;
    struct state {
        double v = 0.0;
    };

    static constexpr auto param_fields = leaky_fields<params>();
    static constexpr std::array state_fields{
        number<state>("v", &state::v, "mV", rule::finite, "membrane potential"),
    };

    static linear_dynamics dynamics(const params& p) { return leaky(p.tau_m, p.r); }

    static coeffs derive(const params& p, double dt) { return leak::derive(p, dt); }

    static state initial(const params& p) { return {p.v_leak}; }

    NM_HD static double integrate(const coeffs& c, const state& s, const neuron_input& in) {
        return c.step(s.v, in);
    }

    NM_HD static int fire(const coeffs&, const state&, double, double) { return 0; }

    NM_HD static void reset(const coeffs&, state& s, double vstar, int) { s.v = vstar; }
};

} // namespace nm::models
