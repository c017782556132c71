// Resonate-and-fire (Izhikevich, Neural Netw. 14:883, 2001; the simulator's rf model, Lava's RF
// neuron): a complex membrane z = a + i·b that decays and rotates every step,
//   z*_t = λ·z_{t−1} + x_t,   λ = β·e^{iω} = c + i·d   (β decay, ω radians per step),
// fires on its real part, s_t = H(a*_t − θ), and resets: zero z_t = z*_t·(1 − s_t), subtract
// a_t = a*_t − θ·s_t, or none. A neuron answers to input near its frequency ω.
// Backward carries the gradient of both parts back in time, (g_a, g_b) reaching z_t from t + 1:
//   G_a* = (∂L/∂s_t)·S' + g_a·∂a_t/∂a*_t + g_b·∂b_t/∂a*_t,   G_b* = g_b·∂b_t/∂b*_t,
//   ∂L/∂x_t = G_a*,   g_a ← c·G_a* + d·G_b*,   g_b ← −d·G_a* + c·G_b*,
// with ∂a/∂a* = 1 − s − a*·S' and ∂b/∂a* = −b*·S', ∂b/∂b* = 1 − s for the zero reset
// (the S' terms dropped with detach_reset), ∂a/∂a* = 1 − θ·S' for subtract.
#pragma once

#include "train/layers.hpp"

#include <cmath>

namespace nm::train {

template<class Real>
class rf_layer final : public spiking_layer<Real> {
    using spiking_layer<Real>::n_, spiking_layer<Real>::o_, spiking_layer<Real>::smooth_,
        spiking_layer<Real>::rate_penalty_, spiking_layer<Real>::fire;

public:
    rf_layer(std::size_t n, const neuron_options& o, double omega)
        : spiking_layer<Real>(n, o), c_(static_cast<Real>(o.beta * std::cos(omega))),
          d_(static_cast<Real>(o.beta * std::sin(omega))) {}
    std::string kind() const override { return "rf"; }
    bool needs_output() const override { return true; }
    std::size_t saved_bytes() const override { return 2 * re_.size() * sizeof(Real); }

    void forward(const Real* x, Real* y, int steps, int batch) override {
        const std::size_t width = static_cast<std::size_t>(batch) * n_;
        re_.resize(static_cast<std::size_t>(steps) * width);
        im_.resize(re_.size());
        std::vector<Real> a(width, 0), b(width, 0);
        const Real th = static_cast<Real>(o_.threshold);
        for (int t = 0; t < steps; ++t)
            for (std::size_t k = 0; k < width; ++k) {
                const std::size_t at = t * width + k;
                const Real as = c_ * a[k] - d_ * b[k] + x[at], bs = d_ * a[k] + c_ * b[k];
                const Real s = fire(as, th);
                re_[at] = as;
                im_[at] = bs;
                y[at] = s;
                a[k] = reset_value(o_.reset, as, s, th);
                b[k] = o_.reset == reset_mode::zero ? bs * (1 - s) : bs;
            }
        y_ = y;
    }

    void backward(const Real* dy, Real* dx, int steps, int batch) override {
        const std::size_t width = static_cast<std::size_t>(batch) * n_;
        std::vector<Real> ga(width, 0), gb(width, 0);
        const Real th = static_cast<Real>(o_.threshold);
        const bool attached = !o_.detach_reset;
        for (int t = steps - 1; t >= 0; --t)
            for (std::size_t k = 0; k < width; ++k) {
                const std::size_t at = t * width + k;
                const Real as = re_[at], bs = im_[at], s = y_[at];
                const Real sd = o_.grad.derivative(as - th);
                const Real da_das = reset_derivative(o_.reset, o_.detach_reset, as, s, th, sd);
                const bool zero = o_.reset == reset_mode::zero;
                const Real db_das = zero && attached ? -bs * sd : 0;
                const Real db_dbs = zero ? 1 - s : 1;
                const Real gas = (dy[at] + rate_penalty_) * sd + ga[k] * da_das + gb[k] * db_das;
                const Real gbs = gb[k] * db_dbs;
                if (dx) dx[at] = gas;
                ga[k] = c_ * gas + d_ * gbs;
                gb[k] = -d_ * gas + c_ * gbs;
            }
    }

private:
    Real c_, d_;
    std::vector<Real> re_, im_;
    const Real* y_ = nullptr;
};

} // namespace nm::train
