// The parameter rows every spiking model shares (threshold, reset, refractoriness, graded and
// stochastic firing), and the derivation of `firing` from them, written once for all models.
#pragma once

#include "models/spiking.hpp"
#include "nm/errors.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace nm::models {

// Members a params struct needs for these rows: v_th, v_reset, t_ref, reset, n_max, noise, sigma.
template<class P>
constexpr auto firing_fields() {
    return std::array{
        number<P>("v_th", &P::v_th, "mV", rule::finite, "firing threshold"),
        number<P>("v_reset", &P::v_reset, "mV", rule::finite, "potential after a hard reset"),
        number<P>("t_ref", &P::t_ref, "ms", rule::nonnegative,
                  "absolute refractory period (v held, input discarded)"),
        choice<P>("reset", &P::reset, reset_names,
                  "hard: v = v_reset; soft: v -= n·(v_th - v_rest); none"),
        number<P>("n_max", &P::n_max, "", rule::at_least_one,
                  "largest graded spike (1 = binary spikes)"),
        choice<P>("noise", &P::noise, noise_names, "escape noise on the threshold"),
        number<P>("sigma", &P::sigma, "mV", rule::nonnegative, "escape noise width"),
    };
}

// `rest` is the potential spikes are measured from (v_leak; 0 for resonate-and-fire).
template<class P>
firing derive_firing(const P& p, double rest, double dt) {
    // Graded levels and the soft reset are multiples of v_th - rest; a binary hard-reset
    // neuron may rest above threshold (a pacemaker, as in the CUBA benchmark).
    if (!(p.v_th > rest) && (p.n_max > 1 || p.reset == reset_soft))
        throw bad_parameter("v_th = " + format_number(p.v_th) +
                            " mV must be above the resting potential " + format_number(rest) +
                            " mV for graded spikes or a soft reset");
    if (p.noise != noise_none && !(p.sigma > 0))
        throw bad_parameter("sigma = " + format_number(p.sigma) +
                            " must be > 0 when noise is \"erf\" or \"arctan\"");
    if (p.n_max > max_graded)
        throw bad_parameter("n_max = " + format_number(p.n_max) +
                            " must be <= " + std::to_string(max_graded));
    firing f;
    f.v_reset = p.v_reset;
    f.sigma = p.sigma;
    f.n_max = static_cast<int>(p.n_max);
    f.reset = p.reset;
    f.noise = p.noise;
    f.ref_steps = static_cast<int>(std::lround(p.t_ref / dt));
    return f;
}

} // namespace nm::models
