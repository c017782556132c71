// Current-based LIF (NIR's CubaLIF, Lava's CUBA neuron): a synaptic current filters the input
// before the membrane,
//   i_t = α·i_{t−1} + x_t,   v*_t = β·v_{t−1} + i_t,   s_t = H(v*_t − θ),   v_t = reset(v*_t, s_t).
// Backward runs time in reverse with g_v and g_i, the gradients reaching v_t and i_t from t + 1:
//   G_v* = (∂L/∂s_t)·S' + g_v·∂v_t/∂v*_t,   G_i = G_v* + g_i,   ∂L/∂x_t = G_i,
//   g_v ← β·G_v*,   g_i ← α·G_i;   with learn_beta, ∂L/∂β += G_v*·v_{t−1}.
#pragma once

#include "train/layers.hpp"

namespace nm::train {

template<class Real>
class cuba_lif_layer final : public spiking_layer<Real> {
    using spiking_layer<Real>::n_, spiking_layer<Real>::o_, spiking_layer<Real>::smooth_,
        spiking_layer<Real>::rate_penalty_, spiking_layer<Real>::fire;

public:
    cuba_lif_layer(std::size_t n, const neuron_options& o, double alpha)
        : spiking_layer<Real>(n, o), alpha_(static_cast<Real>(alpha)),
          beta_(n, static_cast<Real>(o.beta)), gbeta_(n, 0) {}
    std::string kind() const override { return "cuba_lif"; }
    bool needs_output() const override { return true; }
    std::size_t saved_bytes() const override { return vstar_.size() * sizeof(Real); }

    void forward(const Real* x, Real* y, int steps, int batch) override {
        const std::size_t width = static_cast<std::size_t>(batch) * n_;
        vstar_.resize(static_cast<std::size_t>(steps) * width);
        std::vector<Real> v(width, 0), i(width, 0);
        const Real th = static_cast<Real>(o_.threshold);
        for (int t = 0; t < steps; ++t)
            for (std::size_t k = 0; k < width; ++k) {
                const std::size_t at = t * width + k;
                i[k] = alpha_ * i[k] + x[at];
                const Real vstar = beta_[k % n_] * v[k] + i[k];
                const Real s = fire(vstar, th);
                vstar_[at] = vstar;
                y[at] = s;
                v[k] = reset_value(o_.reset, vstar, s, th);
            }
        y_ = y;
    }

    void backward(const Real* dy, Real* dx, int steps, int batch) override {
        const std::size_t width = static_cast<std::size_t>(batch) * n_;
        std::vector<Real> gv(width, 0), gi(width, 0);
        const Real th = static_cast<Real>(o_.threshold);
        for (int t = steps - 1; t >= 0; --t)
            for (std::size_t k = 0; k < width; ++k) {
                const std::size_t at = t * width + k, j = k % n_;
                const Real vs = vstar_[at], s = y_[at];
                const Real sd = o_.grad.derivative(vs - th);
                const Real gvs = (dy[at] + rate_penalty_) * sd +
                                 gv[k] * reset_derivative(o_.reset, o_.detach_reset, vs, s, th, sd);
                const Real g_current = gvs + gi[k];
                if (dx) dx[at] = g_current;
                if (o_.learn_beta && t > 0)
                    gbeta_[j] +=
                        gvs * reset_value(o_.reset, vstar_[at - width], y_[at - width], th);
                gv[k] = beta_[j] * gvs;
                gi[k] = alpha_ * g_current;
            }
    }

    std::vector<parameter<Real>> parameters() override {
        return decay_parameters(o_, beta_, gbeta_);
    }

private:
    Real alpha_;
    std::vector<Real> beta_, gbeta_, vstar_;
    const Real* y_ = nullptr;
};

} // namespace nm::train
