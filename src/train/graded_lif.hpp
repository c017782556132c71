// Graded-spike LIF: the LIF of layers.hpp emitting integer spikes n = min(floor(v*/θ), n_max)
// (0 below threshold), as the simulator's lif with n_max > 1 and Loihi 2's graded spikes, with
// the subtractive reset v = v* − θ·n (or none). The surrogate is the softplus ramp through the
// staircase (surrogate.hpp). Backward, with N' = ∂n/∂v* = softplus_ramp::derivative(v*/θ)/θ:
//   G_v* = (∂L/∂n_t)·N' + g_v·∂v_t/∂v*_t,   ∂v_t/∂v*_t = 1 − θ·N' (subtract, reset attached) | 1,
//   ∂L/∂x_t = G_v*,   g_v ← β·G_v*.
#pragma once

#include "train/layers.hpp"

namespace nm::train {

template<class Real>
class graded_lif_layer final : public spiking_layer<Real> {
    using spiking_layer<Real>::n_, spiking_layer<Real>::o_, spiking_layer<Real>::smooth_,
        spiking_layer<Real>::rate_penalty_;

public:
    graded_lif_layer(std::size_t n, const neuron_options& o, int n_max)
        : spiking_layer<Real>(n, o), ramp_{o.grad.slope, n_max} {}
    std::string kind() const override { return "graded_lif"; }
    bool binary_spikes() const override { return false; } // integer counts up to n_max
    std::size_t saved_bytes() const override { return vstar_.size() * sizeof(Real); }

    void forward(const Real* x, Real* y, int steps, int batch) override {
        const std::size_t width = static_cast<std::size_t>(batch) * n_;
        vstar_.resize(static_cast<std::size_t>(steps) * width);
        std::vector<Real> v(width, 0);
        const Real beta = static_cast<Real>(o_.beta), th = static_cast<Real>(o_.threshold);
        for (int t = 0; t < steps; ++t)
            for (std::size_t k = 0; k < width; ++k) {
                const std::size_t at = t * width + k;
                const Real vstar = beta * v[k] + x[at];
                const Real n = smooth_ ? ramp_.smooth(vstar / th) : ramp_.count(vstar / th);
                vstar_[at] = vstar;
                y[at] = n;
                v[k] = o_.reset == reset_mode::subtract ? vstar - th * n : vstar;
            }
    }

    void backward(const Real* dy, Real* dx, int steps, int batch) override {
        const std::size_t width = static_cast<std::size_t>(batch) * n_;
        std::vector<Real> gv(width, 0);
        const Real beta = static_cast<Real>(o_.beta), th = static_cast<Real>(o_.threshold);
        const bool attached = o_.reset == reset_mode::subtract && !o_.detach_reset;
        for (int t = steps - 1; t >= 0; --t)
            for (std::size_t k = 0; k < width; ++k) {
                const std::size_t at = t * width + k;
                const Real dn = ramp_.derivative(vstar_[at] / th) / th;
                const Real g = (dy[at] + rate_penalty_) * dn + gv[k] * (attached ? 1 - th * dn : 1);
                if (dx) dx[at] = g;
                gv[k] = beta * g;
            }
    }

private:
    softplus_ramp ramp_;
    std::vector<Real> vstar_;
};

} // namespace nm::train
