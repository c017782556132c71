// Exact propagators of the subthreshold dynamics shared by the LIF family:
//   dv/dt = a·v + b·(I + I_syn),  a = -1/τ_m + iω (complex for resonate-and-fire), b = r/τ_m
// (b = r when τ_m = ∞: the NIR IF neuron dv/dt = r·I). Over one step h:
//   v(h) = e^{ah}·v + b(e^{ah} - 1)/a·I + b(e^{ah} - e^{-h/τs})/(a + 1/τs)·I_syn(0)
// for a constant current I and an exponentially decaying synaptic current I_syn (CuBa); an
// alpha current I_syn(t) = (x + y·t)e^{-t/τs} adds y·b·e^{ah}·∫₀ʰ s·e^{-cs} ds, c = a + 1/τs.
#pragma once

#include <cmath>
#include <complex>

namespace nm::models {

struct linear_dynamics {
    std::complex<double> a; // 1/ms
    double b;               // mV per (current unit · ms)
};

inline linear_dynamics leaky(double tau_m, double r, double omega = 0.0) {
    if (std::isinf(tau_m)) return {{0.0, omega}, r};
    return {{-1.0 / tau_m, omega}, r / tau_m};
}

inline std::complex<double> step_decay(const linear_dynamics& d, double h) {
    return std::exp(d.a * h);
}

// Change of v over one step per unit of constant current.
inline std::complex<double> current_gain(const linear_dynamics& d, double h) {
    if (std::abs(d.a) * h < 1e-12) return d.b * h;
    return d.b * (std::exp(d.a * h) - 1.0) / d.a;
}

// Change of v over one step per unit of a synaptic current decaying with tau_syn.
inline std::complex<double> exp_current_kernel(const linear_dynamics& d, double tau_syn, double h) {
    const std::complex<double> denom = d.a + 1.0 / tau_syn;
    if (std::abs(denom) * h < 1e-9) return d.b * h * std::exp(d.a * h); // a = -1/τs: the limit
    return d.b * (std::exp(d.a * h) - std::exp(-h / tau_syn)) / denom;
}

// Change of v over one step per unit of the rise variable y of an alpha current (x = 0).
inline std::complex<double> alpha_rise_kernel(const linear_dynamics& d, double tau_syn, double h) {
    const std::complex<double> c = d.a + 1.0 / tau_syn, ch = c * h;
    // ∫₀ʰ s·e^{-cs} ds = (1 - e^{-ch}(1 + ch))/c², by its series when ch is small (cancellation).
    const std::complex<double> integral = std::abs(ch) < 1e-3
                                              ? h * h * (0.5 - ch / 3.0 + ch * ch / 8.0)
                                              : (1.0 - std::exp(-ch) * (1.0 + ch)) / (c * c);
    return d.b * std::exp(d.a * h) * integral;
}

} // namespace nm::models
