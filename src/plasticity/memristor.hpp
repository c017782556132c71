// A memristive (or other non-volatile) synapse under any learning rule: the weight is a device
// conductance G in [g_min, g_max] (the rule's w_min, w_max), changed only by programming pulses.
// A rule's requested change Δw becomes n = round(Δw / Δ_nominal) pulses, Δ_nominal =
// (g_max - g_min)/(levels - 1); each pulse moves G by a state-dependent step (non-linearity ν,
// as in the device literature, e.g. Chen et al., IEEE TCAD 37:3067, 2018):
//   up:   Δ+ = Δ0·exp(-ν·(G - g_min)/(g_max - g_min)),   down: Δ- = Δ0·exp(-ν·(g_max - G)/(g_max -
//   g_min)) Δ0 = Δ_nominal·ν/(1 - e^{-ν}) (Δ_nominal when ν = 0), so levels - 1 pulses span the
//   range;
// times (1 + σ_d2d·ξ_synapse) (device-to-device, fixed per synapse) and (1 + σ_c2c·ξ_pulse)
// (cycle-to-cycle, fresh per pulse), then G is clamped to the range. Between programming events
// the state relaxes (retention): G → g_min + (G - g_min)·exp(-Δt/τ_retention). Each read (spike
// delivery) sees G·(1 + σ_read·ξ). Every pulse counts toward the synapse's endurance.
#pragma once

#include "core/fields.hpp"
#include "core/hd.hpp"
#include "core/philox.hpp"
#include "nm/errors.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

namespace nm::plasticity {

struct memristor {
    struct params {
        double levels = 0.0; // 0: no device model (ideal, continuous weights)
        double nonlinearity = 0.0, sigma_c2c = 0.0, sigma_d2d = 0.0, sigma_read = 0.0;
        double tau_retention = INFINITY; // ms
        double e_program = 0.0;          // J per programming pulse
    };
    struct coeffs {
        bool enabled = false;
        double g_min = 0, g_max = 1, nominal = 0, step0 = 0, nonlinearity = 0;
        double sigma_c2c = 0, sigma_d2d = 0, sigma_read = 0, inv_tau_retention = 0, dt = 0;
        double e_program = 0;
    };

    static constexpr std::array fields{
        number<params>("levels", &params::levels, "", rule::nonnegative,
                       "device conductance levels (0: ideal weights; >= 2 with a device)"),
        number<params>("nonlinearity", &params::nonlinearity, "", rule::nonnegative,
                       "device update non-linearity (0: equal steps)"),
        number<params>("sigma_c2c", &params::sigma_c2c, "", rule::nonnegative,
                       "cycle-to-cycle step variability (relative std)"),
        number<params>("sigma_d2d", &params::sigma_d2d, "", rule::nonnegative,
                       "device-to-device step variability (relative std)"),
        number<params>("sigma_read", &params::sigma_read, "", rule::nonnegative,
                       "read noise (relative std per delivered spike)"),
        number<params>("tau_retention", &params::tau_retention, "ms", rule::positive_or_inf,
                       "retention time constant (inf: no drift)"),
        number<params>("e_program", &params::e_program, "J", rule::nonnegative,
                       "energy per programming pulse"),
    };

    static coeffs derive(const params& p, double w_min, double w_max, double dt) {
        coeffs c;
        if (p.levels == 0) return c;
        if (!(p.levels >= 2) || p.levels != std::floor(p.levels))
            throw bad_parameter("levels = " + format_number(p.levels) +
                                " must be an integer >= 2 (or 0 for ideal weights)");
        if (!(w_max > w_min))
            throw bad_parameter("a device needs w_max > w_min (its conductance range)");
        c.enabled = true;
        c.g_min = w_min;
        c.g_max = w_max;
        c.nominal = (w_max - w_min) / (p.levels - 1);
        c.nonlinearity = p.nonlinearity;
        c.step0 = p.nonlinearity > 0 ? c.nominal * p.nonlinearity / -std::expm1(-p.nonlinearity)
                                     : c.nominal;
        c.sigma_c2c = p.sigma_c2c;
        c.sigma_d2d = p.sigma_d2d;
        c.sigma_read = p.sigma_read;
        c.inv_tau_retention = std::isinf(p.tau_retention) ? 0.0 : 1.0 / p.tau_retention;
        c.dt = dt;
        c.e_program = p.e_program;
        return c;
    }

    // The conductance after relaxing from step `last` to step `now`.
    NM_HD static double relaxed(const coeffs& c, double g, double last, double now) {
        if (c.inv_tau_retention == 0.0) return g;
        return c.g_min + (g - c.g_min) * std::exp(-(now - last) * c.dt * c.inv_tau_retention);
    }

    // Programs `target` (the rule's wish) from `g` with pulses; returns the new conductance and
    // adds the pulses to `pulses`. `d2d` is the synapse's fixed factor, `rng`/`key` draw c2c.
    NM_HD static double program(const coeffs& c, double g, double target, double d2d,
                                const rng_stream& rng, std::uint32_t key_a, std::uint32_t key_b,
                                std::uint32_t& pulses) {
        const double wanted = (target - g) / c.nominal;
        const long n = std::lround(wanted);
        const double range = c.g_max - c.g_min;
        for (long k = 0; k < std::labs(n); ++k) {
            const double noise =
                c.sigma_c2c > 0
                    ? 1.0 + c.sigma_c2c *
                                rng.normal(key_a, key_b, static_cast<std::uint32_t>(pulses + k))
                    : 1.0;
            const double shape = n > 0 ? std::exp(-c.nonlinearity * (g - c.g_min) / range)
                                       : std::exp(-c.nonlinearity * (c.g_max - g) / range);
            const double step = c.step0 * shape * d2d * noise;
            g = std::clamp(n > 0 ? g + step : g - step, c.g_min, c.g_max);
        }
        pulses += static_cast<std::uint32_t>(std::labs(n));
        return g;
    }
};

} // namespace nm::plasticity
