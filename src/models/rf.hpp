// Complex resonate-and-fire (SPEC §1): v, λ and weights are complex,
//   v* = λ·v + g·(I + i_bias) + Σ w·s,   λ = exp(dt·(-1/τ_m + iω)),  ω = 2π·freq,
//   g = b(λ - 1)/a (exact for constant real current, a = -1/τ_m + iω, b = r/τ_m).
// It fires when Re(v*) crosses v_th; hard reset sets v = v_reset + 0i, soft subtracts n·v_th from
// the real part. The neuron rings at its own frequency and answers most to input at it.
// Reference: Izhikevich, "Resonate-and-fire neurons", Neural Networks 14 (2001);
// Frady & Sommer et al., Loihi's resonator networks.
#pragma once

#include "models/firing_fields.hpp"
#include "models/linear.hpp"
#include "models/model.hpp"

#include <numbers>

namespace nm::models {

struct rf {
    static constexpr std::string_view name = "rf";
    static constexpr std::string_view summary = "complex resonate-and-fire (fires on Re v)";
    static constexpr bool is_complex = true;

    struct params {
        double tau_m = 10.0, freq = 10.0, r = 1.0, i_bias = 0.0;
        double v_th = 1.0, v_reset = 0.0, t_ref = 0.0, n_max = 1, sigma = 0.0;
        int reset = reset_hard, noise = noise_none;
    };
    struct coeffs {
        double lambda_re, lambda_im, gain_re, gain_im, bias_re, bias_im, v_th;
        firing fire;
    };
    struct state {
        double v = 0.0;    // real part (mV)
        double v_im = 0.0; // imaginary part (mV)
        double refr = 0.0; // refractory steps left
    };

    static constexpr auto param_fields = concat(
        std::array{
            number<params>("tau_m", &params::tau_m, "ms", rule::positive_or_inf,
                           "damping time constant"),
            number<params>("freq", &params::freq, "Hz", rule::nonnegative,
                           "resonance frequency (omega = 2 pi freq)"),
            number<params>("r", &params::r, "mV/unit", rule::finite, "input resistance"),
            number<params>("i_bias", &params::i_bias, "unit", rule::finite, "constant current"),
        },
        firing_fields<params>());
    static constexpr std::array state_fields{
        number<state>("v", &state::v, "mV", rule::finite, "real part of the potential"),
        number<state>("v_im", &state::v_im, "mV", rule::finite, "imaginary part"),
        number<state>("refr", &state::refr, "steps", rule::nonnegative, "refractory steps left"),
    };

    static linear_dynamics dynamics(const params& p) {
        return leaky(p.tau_m, p.r, 2.0 * std::numbers::pi * p.freq * 1e-3); // rad/ms
    }

    static coeffs derive(const params& p, double dt) {
        const linear_dynamics d = dynamics(p);
        const std::complex<double> lambda = step_decay(d, dt), gain = current_gain(d, dt);
        const std::complex<double> bias = gain * p.i_bias;
        coeffs c;
        c.lambda_re = lambda.real();
        c.lambda_im = lambda.imag();
        c.gain_re = gain.real();
        c.gain_im = gain.imag();
        c.bias_re = bias.real();
        c.bias_im = bias.imag();
        c.v_th = p.v_th;
        c.fire = derive_firing(p, 0.0, dt);
        return c;
    }

    static state initial(const params&) { return {}; }

    // Returns Re(v*); Im(v*) is written into the state so reset can keep it.
    // Returns Re(v*) and writes Im(v*) into the state; a refractory neuron keeps both.
    NM_HD static double integrate(const coeffs& c, state& s, const neuron_input& in) {
        const double re =
            c.lambda_re * s.v - c.lambda_im * s.v_im + c.bias_re + c.gain_re * in.current + in.jump;
        const double im = c.lambda_im * s.v + c.lambda_re * s.v_im + c.bias_im +
                          c.gain_im * in.current + in.jump_im;
        const bool refractory = s.refr > 0;
        s.v_im = refractory ? s.v_im : im;
        return refractory ? s.v : re;
    }

    NM_HD static int fire(const coeffs& c, const state& s, double vstar, double u) {
        const int n = spike_count(c.fire, vstar, 0.0, c.v_th, u);
        return s.refr > 0 ? 0 : n;
    }

    NM_HD static void reset(const coeffs& c, state& s, double vstar, int n) {
        s.v = after_reset(c.fire, vstar, n, c.v_th);
        if (n > 0 && c.fire.reset == reset_hard) s.v_im = 0.0;
        s.refr = refractory_after(c.fire, s.refr, n);
    }
};

} // namespace nm::models
