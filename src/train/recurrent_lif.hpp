// LIF with recurrent synapses: the layer's own spikes from t − 1 reach it again through a
// trained matrix W [n][n] (row = source neuron),
//   I_t = x_t + s_{t−1}·W,   v*_t = β·v_{t−1} + I_t,   s_t = H(v*_t − θ),   v_t = reset(v*_t, s_t).
// The time loop holds the recurrence: one [B×n]·[n×n] GEMM per step. Backward in reverse time:
//   ∂L/∂s_t = dy_t + G_{t+1}·Wᵀ,   G_t = ∂L/∂v*_t = ∂L/∂s_t·S' + g_v·∂v_t/∂v*_t = ∂L/∂x_t,
//   ∂L/∂W += s_{t−1}ᵀ·G_t,   g_v ← β·G_t.
#pragma once

#include "train/blas.hpp"
#include "train/layers.hpp"

namespace nm::train {

template<class Real>
class recurrent_lif_layer final : public spiking_layer<Real> {
    using spiking_layer<Real>::n_, spiking_layer<Real>::o_, spiking_layer<Real>::smooth_,
        spiking_layer<Real>::rate_penalty_, spiking_layer<Real>::fire;

public:
    recurrent_lif_layer(std::size_t n, const neuron_options& o)
        : spiking_layer<Real>(n, o), w_(n * n, 0), gw_(n * n, 0) {}
    std::string kind() const override { return "recurrent lif"; }
    bool needs_output() const override { return true; }
    std::size_t saved_bytes() const override { return vstar_.size() * sizeof(Real); }
    std::vector<Real>& weights() { return w_; }

    void forward(const Real* x, Real* y, int steps, int batch) override {
        const std::size_t width = static_cast<std::size_t>(batch) * n_;
        const int n = static_cast<int>(n_);
        vstar_.resize(static_cast<std::size_t>(steps) * width);
        std::vector<Real> v(width, 0), current(width);
        const Real beta = static_cast<Real>(o_.beta), th = static_cast<Real>(o_.threshold);
        for (int t = 0; t < steps; ++t) {
            const std::size_t row = t * width;
            std::copy(x + row, x + row + width, current.begin());
            if (t > 0)
                gemm(false, false, batch, n, n, Real(1), y + row - width, n, w_.data(), n, Real(1),
                     current.data(), n);
            for (std::size_t k = 0; k < width; ++k) {
                const Real vstar = beta * v[k] + current[k];
                const Real s = fire(vstar, th);
                vstar_[row + k] = vstar;
                y[row + k] = s;
                v[k] = reset_value(o_.reset, vstar, s, th);
            }
        }
        y_ = y;
    }

    void backward(const Real* dy, Real* dx, int steps, int batch) override {
        const std::size_t width = static_cast<std::size_t>(batch) * n_;
        const int n = static_cast<int>(n_);
        std::vector<Real> gv(width, 0), ds(width, 0), g(width);
        const Real beta = static_cast<Real>(o_.beta), th = static_cast<Real>(o_.threshold);
        for (int t = steps - 1; t >= 0; --t) {
            const std::size_t row = t * width;
            for (std::size_t k = 0; k < width; ++k) {
                const Real vs = vstar_[row + k], s = y_[row + k];
                const Real sd = o_.grad.derivative(vs - th);
                g[k] = (dy[row + k] + ds[k] + rate_penalty_) * sd +
                       gv[k] * reset_derivative(o_.reset, o_.detach_reset, vs, s, th, sd);
                gv[k] = beta * g[k];
            }
            if (dx) std::copy(g.begin(), g.end(), dx + row);
            if (t == 0) break;
            const Real* s_before = y_ + row - width;
            gemm(true, false, n, n, batch, Real(1), s_before, n, g.data(), n, Real(1), gw_.data(),
                 n);
            gemm(false, true, batch, n, n, Real(1), g.data(), n, w_.data(), n, Real(0), ds.data(),
                 n);
        }
    }

    std::vector<parameter<Real>> parameters() override {
        return {{"recurrent_weight", &w_, &gw_, -std::numeric_limits<Real>::infinity(),
                 std::numeric_limits<Real>::infinity()}};
    }

private:
    std::vector<Real> w_, gw_, vstar_;
    const Real* y_ = nullptr;
};

} // namespace nm::train
