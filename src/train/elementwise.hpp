// Element-wise primitives (NIR's Scale and the residual sum of ResNet-style spiking networks):
// `scale` multiplies every feature by a fixed factor; `add` sums the previous layer's output and
// an earlier layer's (a skip connection; the model routes the skip's gradient back to it).
#pragma once

#include "train/layers.hpp"

namespace nm::train {

template<class Real>
class scale_layer final : public layer<Real> {
public:
    scale_layer(std::size_t n, double factor) : n_(n), factor_(static_cast<Real>(factor)) {}
    std::string kind() const override { return "scale"; }
    std::size_t outputs() const override { return n_; }

    void forward(const Real* x, Real* y, int steps, int batch) override {
        const std::size_t size = static_cast<std::size_t>(steps) * batch * n_;
        for (std::size_t k = 0; k < size; ++k) y[k] = factor_ * x[k];
    }
    void backward(const Real* dy, Real* dx, int steps, int batch) override {
        if (!dx) return;
        const std::size_t size = static_cast<std::size_t>(steps) * batch * n_;
        for (std::size_t k = 0; k < size; ++k) dx[k] = factor_ * dy[k];
    }

private:
    std::size_t n_;
    Real factor_;
};

// y = x + skip, skip being the output of layer `from` (an index into the model's layers).
template<class Real>
class residual_add final : public layer<Real> {
public:
    residual_add(std::size_t n, std::size_t from) : n_(n), from_(from) {}
    std::string kind() const override { return "add"; }
    std::size_t outputs() const override { return n_; }
    std::size_t from() const { return from_; }
    const Real* skip = nullptr; // set by the model before forward

    void forward(const Real* x, Real* y, int steps, int batch) override {
        const std::size_t size = static_cast<std::size_t>(steps) * batch * n_;
        for (std::size_t k = 0; k < size; ++k) y[k] = x[k] + skip[k];
    }
    // The skip's share of the gradient (the same dy) is added by the model at layer `from`.
    void backward(const Real* dy, Real* dx, int steps, int batch) override {
        if (dx) std::copy(dy, dy + static_cast<std::size_t>(steps) * batch * n_, dx);
    }

private:
    std::size_t n_, from_;
};

} // namespace nm::train
