// Homeostatic synaptic scaling (Turrigiano et al., Nature 391:892, 1998; van Rossum, Bi &
// Turrigiano, J. Neurosci. 20:8812, 2000), on top of any rule: each target neuron estimates its
// rate r with a trace (time constant τ_rate), and every `scaling_interval` all its incoming
// weights of the projection are multiplied by 1 + η·(r_target - r)·interval (η per Hz per
// second), within the rule's bounds: too active neurons weaken their inputs, silent ones
// strengthen them, and the relative weights that learning wrote are kept.
#pragma once

#include "core/fields.hpp"
#include "nm/errors.hpp"

#include <array>
#include <cmath>
#include <cstdint>

namespace nm::plasticity {

struct scaling {
    struct params {
        double scaling_rate = 0.0;       // η, 1/(Hz·s); 0: no scaling
        double target_rate = 5.0;        // Hz
        double tau_rate = 1000.0;        // ms
        double scaling_interval = 100.0; // ms
    };
    struct coeffs {
        bool enabled = false;
        double eta = 0, target = 0, decay = 1, to_hz = 0, interval_s = 0;
        std::uint64_t every = 1; // steps between scalings
    };

    static constexpr std::array fields{
        number<params>("scaling_rate", &params::scaling_rate, "1/(Hz s)", rule::nonnegative,
                       "synaptic scaling rate (0: off)"),
        number<params>("target_rate", &params::target_rate, "Hz", rule::nonnegative,
                       "synaptic scaling: the rate each target neuron is held at"),
        number<params>("tau_rate", &params::tau_rate, "ms", rule::positive,
                       "synaptic scaling: time constant of the rate estimate"),
        number<params>("scaling_interval", &params::scaling_interval, "ms", rule::positive,
                       "synaptic scaling: time between scalings"),
    };

    static coeffs derive(const params& p, double dt) {
        coeffs c;
        if (p.scaling_rate == 0.0) return c;
        if (p.scaling_interval < dt)
            throw bad_parameter("scaling_interval = " + format_number(p.scaling_interval) +
                                " ms must be >= dt = " + format_number(dt) + " ms");
        c.enabled = true;
        c.eta = p.scaling_rate;
        c.target = p.target_rate;
        c.decay = std::exp(-dt / p.tau_rate);
        c.to_hz = 1000.0 / p.tau_rate;
        c.every = static_cast<std::uint64_t>(std::llround(p.scaling_interval / dt));
        c.interval_s = static_cast<double>(c.every) * dt * 1e-3;
        return c;
    }

    // The factor for a neuron whose rate trace is z.
    static double factor(const coeffs& c, double z) {
        return std::max(0.0, 1.0 + c.eta * (c.target - z * c.to_hz) * c.interval_s);
    }
};

} // namespace nm::plasticity
