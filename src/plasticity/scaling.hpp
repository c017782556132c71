// Rate-based plasticity, every `rate_interval`, from rate estimates r = z/τ_rate (z: a trace of
// the neuron's spikes with time constant τ_rate):
// - homeostatic synaptic scaling (Turrigiano et al., Nature 391:892, 1998; van Rossum, Bi &
//   Turrigiano, J. Neurosci. 20:8812, 2000), on top of any rule: each target's incoming weights
//   are multiplied by 1 + η_s·(r_target - r_post)·interval (η_s per Hz per second): too active
//   neurons weaken their inputs, silent ones strengthen them, relative weights are kept;
// - the `hebb` rule: Δw = η·r_pre·r_post·interval;
// - the `oja` rule (Oja, J. Math. Biol. 15:267, 1982): Δw = η·r_post·(r_pre - w·r_post)·interval,
//   Hebbian growth with a decay that bounds the weights (w → r_pre/r_post for fixed rates);
// - weight normalisation (Diehl & Cook, Front. Comput. Neurosci. 9:99, 2015), on top of any
//   rule: each target's incoming weights are rescaled to sum to w_sum, so that a synapse grows
//   only at the expense of its neighbours (competition between inputs).
// All within the rule's [w_min, w_max].
#pragma once

#include "core/fields.hpp"
#include "core/hd.hpp"
#include "nm/errors.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

namespace nm::plasticity {

struct scaling {
    struct params {
        double scaling_rate = 0.0;    // η, 1/(Hz·s); 0: no scaling
        double target_rate = 5.0;     // Hz
        double tau_rate = 1000.0;     // ms
        double rate_interval = 100.0; // ms
        double w_sum = 0.0;           // 0: no normalisation
    };
    enum kind : int { no_rate_rule = 0, hebb = 1, oja = 2 };
    struct coeffs {
        bool enabled = false, scales = false; // any rate-based update; synaptic scaling
        int rule = no_rate_rule;
        double eta = 0, eta_rule = 0, target = 0, decay = 1, to_hz = 0, interval_s = 0;
        double w_sum = 0;
        std::uint64_t every = 1; // steps between updates
    };

    static constexpr std::array fields{
        number<params>("scaling_rate", &params::scaling_rate, "1/(Hz s)", rule::nonnegative,
                       "synaptic scaling rate (0: off)"),
        number<params>("target_rate", &params::target_rate, "Hz", rule::nonnegative,
                       "synaptic scaling: the rate each target neuron is held at"),
        number<params>("tau_rate", &params::tau_rate, "ms", rule::positive,
                       "time constant of the rate estimates (scaling, hebb, oja)"),
        number<params>("rate_interval", &params::rate_interval, "ms", rule::positive,
                       "time between rate-based updates (scaling, hebb, oja, w_sum)"),
        number<params>("w_sum", &params::w_sum, "", rule::nonnegative,
                       "normalisation: each target's incoming weights sum to this (0: off)"),
    };

    // `rule` is hebb or oja for those rules (learning rate eta), else no_rate_rule.
    static coeffs derive(const params& p, double dt, int rule, double eta) {
        coeffs c;
        c.scales = p.scaling_rate > 0.0;
        c.rule = rule;
        c.enabled = c.scales || rule != no_rate_rule || p.w_sum > 0;
        if (!c.enabled) return c;
        if (p.rate_interval < dt)
            throw bad_parameter("rate_interval = " + format_number(p.rate_interval) +
                                " ms must be >= dt = " + format_number(dt) + " ms");
        c.eta = p.scaling_rate;
        c.eta_rule = eta;
        c.target = p.target_rate;
        c.decay = std::exp(-dt / p.tau_rate);
        c.to_hz = 1000.0 / p.tau_rate;
        c.every = static_cast<std::uint64_t>(std::llround(p.rate_interval / dt));
        c.interval_s = static_cast<double>(c.every) * dt * 1e-3;
        c.w_sum = p.w_sum;
        return c;
    }

    // The factor on the weights of a target whose rate trace is z and incoming weights sum to
    // `sum`.
    // (Products through product(): a GPU then rounds as the CPU does, unfused.)
    NM_HD static double factor(const coeffs& c, double z, double sum) {
        double f = 1.0;
        if (c.scales)
            f = std::max(
                0.0, 1.0 + product(product(c.eta, c.target - product(z, c.to_hz)), c.interval_s));
        if (c.w_sum > 0 && sum > 0) f *= c.w_sum / sum;
        return f;
    }
    // The hebb / oja change of weight w between traces z_pre and z_post.
    NM_HD static double rate_change(const coeffs& c, double w, double z_pre, double z_post) {
        const double pre = product(z_pre, c.to_hz), post = product(z_post, c.to_hz);
        if (c.rule == hebb) return product(product(product(c.eta_rule, pre), post), c.interval_s);
        if (c.rule == oja)
            return product(product(product(c.eta_rule, post), pre - product(w, post)),
                           c.interval_s);
        return 0.0;
    }
};

} // namespace nm::plasticity
