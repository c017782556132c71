// Leaky integrate-and-fire in the seed formalism (SPEC §1), exact for piecewise-constant input:
//   v* = λ·v + (1 - λ)·v_leak + g·(I + i_bias) + Σ w·s,   λ = exp(-dt/τ_m),  g = r(1 - λ)
// IF is τ_m = inf (λ = 1, g = r·dt: dv/dt = r·I as NIR's IF). Fire and reset: models/spiking.hpp.
// During the refractory period v is held and input discarded (NEST iaf_psc_delta).
// Reference: Gerstner et al., Neuronal Dynamics (2014), ch. 1; NEST iaf_psc_delta.
#pragma once

#include "models/firing_fields.hpp"
#include "models/leaky.hpp"
#include "models/model.hpp"

namespace nm::models {

struct lif {
    static constexpr std::string_view name = "lif";
    static constexpr std::string_view summary = "leaky integrate-and-fire (IF when tau_m = inf)";
    static constexpr bool is_complex = false;

    struct params {
        double tau_m = 10.0, v_leak = 0.0, r = 1.0, i_bias = 0.0;
        double v_th = 1.0, v_reset = 0.0, t_ref = 0.0, n_max = 1, sigma = 0.0;
        int reset = reset_hard, noise = noise_none;
    };
    struct coeffs {
        models::leak leak;
        double v_leak, height;
        firing fire;
    };
    struct state {
        double v = 0.0;
        double refr = 0.0; // refractory steps left
    };

    static constexpr auto param_fields = concat(leaky_fields<params>(), firing_fields<params>());
    static constexpr std::array state_fields{
        number<state>("v", &state::v, "mV", rule::finite, "membrane potential"),
        number<state>("refr", &state::refr, "steps", rule::nonnegative, "refractory steps left"),
    };

    static linear_dynamics dynamics(const params& p) { return leaky(p.tau_m, p.r); }

    static coeffs derive(const params& p, double dt) {
        coeffs c;
        c.leak = leak::derive(p, dt);
        c.v_leak = p.v_leak;
        c.height = p.v_th - p.v_leak;
        c.fire = derive_firing(p, p.v_leak, dt);
        return c;
    }

    static state initial(const params& p) { return {p.v_leak, 0.0}; }

    // Selects instead of branching on refractoriness: the branch would mispredict at every
    // spike, and a refractory neuron (n = 0, v* = v) passes through reset unchanged.
    NM_HD static double integrate(const coeffs& c, const state& s, const neuron_input& in) {
        const double vstar = c.leak.step(s.v, in);
        return s.refr > 0 ? s.v : vstar;
    }

    NM_HD static int fire(const coeffs& c, const state& s, double vstar, double u) {
        const int n = spike_count(c.fire, vstar, c.v_leak, c.height, u);
        return s.refr > 0 ? 0 : n;
    }

    NM_HD static void reset(const coeffs& c, state& s, double vstar, int n) {
        s.v = after_reset(c.fire, vstar, n, c.height);
        s.refr = refractory_after(c.fire, s.refr, n);
    }
};

} // namespace nm::models
