// The fire and reset processes shared by every spiking model (SPEC §1):
//   fire:  n = number of levels k = 1..n_max with v* >= base + k·h   (h = theta - base)
//          noisy: one uniform u shared by all levels, level k fires when u < p(v* - level_k),
//          p(x) = ½[1 + erf(x / (√2 σ))] (Gaussian escape noise) or ½ + atan(x/σ)/π (Cauchy);
//          E[n] is then a smoothed staircase (a soft ReLU for large n_max).
//   reset: hard (v = v_reset), soft/subtractive (v = v* - n·h), none (v = v*).
#pragma once

#include "core/fields.hpp"
#include "core/hd.hpp"

#include <cmath>

namespace nm::models {

enum reset_kind : int { reset_hard = 0, reset_soft = 1, reset_none = 2 };
enum noise_kind : int { noise_none = 0, noise_erf = 1, noise_arctan = 2 };

inline constexpr std::array<std::string_view, max_choices> reset_names{"hard", "soft", "none"};
inline constexpr std::array<std::string_view, max_choices> noise_names{"none", "erf", "arctan"};
inline constexpr int max_graded = 1000;

// The firing/reset settings every spiking model derives once per dt.
struct firing {
    double v_reset = 0;
    double sigma = 0;
    int n_max = 1;
    int reset = reset_hard;
    int noise = noise_none;
    int ref_steps = 0;
};

NM_HD double escape_probability(int noise, double x, double sigma) {
    if (noise == noise_erf) return 0.5 * (1.0 + std::erf(x / (1.4142135623730951 * sigma)));
    return 0.5 + std::atan(x / sigma) * 0.3183098861837907;
}

// Spikes emitted by a potential v* against levels base + k·h, k = 1..n_max (h > 0).
NM_HD int spike_count(const firing& f, double vstar, double base, double h, double u) {
    if (f.noise == noise_none) {
        if (vstar < base + h) return 0;
        if (f.n_max == 1) return 1; // h may be <= 0 then (threshold below rest, hard reset)
        const double levels = std::floor((vstar - base) / h);
        return levels >= f.n_max ? f.n_max : static_cast<int>(levels);
    }
    int n = 0;
    while (n < f.n_max && u < escape_probability(f.noise, vstar - (base + (n + 1) * h), f.sigma))
        ++n;
    return n;
}

NM_HD double after_reset(const firing& f, double vstar, int n, double h) {
    if (n == 0 || f.reset == reset_none) return vstar;
    if (f.reset == reset_hard) return f.v_reset;
    return vstar - n * h;
}

// Refractory steps left after this step: a spike starts the period, otherwise it counts down.
NM_HD double refractory_after(const firing& f, double refr, int n) {
    const double left = refr > 0 ? refr - 1 : 0.0;
    return n > 0 ? static_cast<double>(f.ref_steps) : left;
}

} // namespace nm::models
