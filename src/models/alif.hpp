// Adaptive LIF (ALIF, the e-prop neuron): a LIF whose threshold rises with each spike,
//   θ = v_th + β·a,   a ← ρ·a + n  after firing,   ρ = exp(-dt/τ_a)
// Spikes are measured from v_leak with height θ - v_leak; subthreshold dynamics as models/lif.hpp.
// Reference: Bellec et al., "A solution to the learning dilemma for recurrent networks of
// spiking neurons", Nat. Commun. 11, 3625 (2020).
#pragma once

#include "models/firing_fields.hpp"
#include "models/leaky.hpp"
#include "models/model.hpp"

namespace nm::models {

struct alif {
    static constexpr std::string_view name = "alif";
    static constexpr std::string_view summary = "adaptive-threshold LIF (e-prop's ALIF)";
    static constexpr bool is_complex = false;

    struct params {
        double tau_m = 20.0, v_leak = 0.0, r = 1.0, i_bias = 0.0, tau_a = 200.0, beta = 1.0;
        double v_th = 1.0, v_reset = 0.0, t_ref = 0.0, n_max = 1, sigma = 0.0;
        int reset = reset_hard, noise = noise_none;
    };
    struct coeffs {
        models::leak leak;
        double v_leak, v_th, beta, rho;
        firing fire;
    };
    struct state {
        double v = 0.0;
        double a = 0.0;    // adaptation (spikes, decaying)
        double refr = 0.0; // refractory steps left
    };

    static constexpr auto param_fields =
        concat(concat(leaky_fields<params>(),
                      std::array{
                          number<params>("tau_a", &params::tau_a, "ms", rule::positive,
                                         "adaptation time constant"),
                          number<params>("beta", &params::beta, "mV", rule::nonnegative,
                                         "threshold increase per unit of adaptation"),
                      }),
               firing_fields<params>());
    static constexpr std::array state_fields{
        number<state>("v", &state::v, "mV", rule::finite, "membrane potential"),
        number<state>("a", &state::a, "", rule::nonnegative, "adaptation variable"),
        number<state>("refr", &state::refr, "steps", rule::nonnegative, "refractory steps left"),
    };

    static linear_dynamics dynamics(const params& p) { return leaky(p.tau_m, p.r); }

    static coeffs derive(const params& p, double dt) {
        coeffs c;
        c.leak = leak::derive(p, dt);
        c.v_leak = p.v_leak;
        c.v_th = p.v_th;
        c.beta = p.beta;
        c.rho = std::exp(-dt / p.tau_a);
        c.fire = derive_firing(p, p.v_leak, dt);
        return c;
    }

    static state initial(const params& p) { return {p.v_leak, 0.0, 0.0}; }

    // Refractoriness by selection, as in models/lif.hpp.
    NM_HD static double integrate(const coeffs& c, const state& s, const neuron_input& in) {
        const double vstar = c.leak.step(s.v, in);
        return s.refr > 0 ? s.v : vstar;
    }

    NM_HD static int fire(const coeffs& c, const state& s, double vstar, double u) {
        const int n = spike_count(c.fire, vstar, c.v_leak, c.v_th + c.beta * s.a - c.v_leak, u);
        return s.refr > 0 ? 0 : n;
    }

    NM_HD static void reset(const coeffs& c, state& s, double vstar, int n) {
        s.v = after_reset(c.fire, vstar, n, c.v_th + c.beta * s.a - c.v_leak);
        s.a = c.rho * s.a + n;
        s.refr = refractory_after(c.fire, s.refr, n);
    }
};

} // namespace nm::models
