// What the exponential integrate-and-fire models (exp_lif, adex) share: the spike-initiation
// current Δ_T·exp((v - v_T)/Δ_T), evaluated with v capped at the cut-off v_peak so that an
// integrator probing past the cut-off inside a substep cannot overflow (NEST's aeif models cap
// it the same way); the checks on v_T, v_peak, v_reset; and the refractory clamp.
#pragma once

#include "core/fields.hpp"
#include "core/hd.hpp"
#include "nm/errors.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace nm::models {

struct exp_spike {
    double v_t, delta_t, v_peak;

    NM_HD double operator()(double v) const {
        return delta_t * std::exp((std::min(v, v_peak) - v_t) / delta_t);
    }

    template<class P>
    static exp_spike derive(const P& p) {
        if (!(p.delta_t > 0))
            throw bad_parameter("delta_t = " + format_number(p.delta_t) + " mV must be > 0");
        if (!(p.v_peak > p.v_t))
            throw bad_parameter("v_peak = " + format_number(p.v_peak) +
                                " mV must be above v_t = " + format_number(p.v_t) + " mV");
        if (!(p.v_reset < p.v_peak))
            throw bad_parameter("v_reset = " + format_number(p.v_reset) +
                                " mV must be below v_peak = " + format_number(p.v_peak) + " mV");
        return {p.v_t, p.delta_t, p.v_peak};
    }
};

// Refractory steps left after this step (v is clamped at v_reset while > 0; a spike inside the
// step clamps the rest of it and starts the period).
NM_HD double refractory_left(double refr, int spikes, int ref_steps) {
    if (spikes > 0) return ref_steps;
    return refr > 0 ? refr - 1 : 0.0;
}

} // namespace nm::models
