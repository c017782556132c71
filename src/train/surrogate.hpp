// Surrogate gradients: the forward pass fires with the Heaviside step H(x), x = v* − θ; the
// backward pass uses the derivative of a smooth stand-in. Each functor gives that derivative
// and one antiderivative (`smooth`), which the gradient checks use as a differentiable forward.
#pragma once

#include "core/hd.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>

namespace nm::train {

enum class surrogate_kind { arctan, fast_sigmoid, erf, triangle };

struct surrogate {
    surrogate_kind kind = surrogate_kind::arctan;
    double slope = 2.0; // α, k, 1/σ or 1/width depending on the kind

    // arctan (Fang et al. 2021, SpikingJelly ATan): S = ½ + atan(π α x / 2)/π,
    //   S' = (α/2) / (1 + (π α x / 2)²)
    // fast sigmoid (Zenke & Ganguli 2018, SuperSpike): S' = 1/(1 + k|x|)², S = x/(1 + k|x|)
    // erf (Gaussian; Esser et al.): S = ½(1 + erf(x/(√2 σ))), σ = 1/slope
    // triangle (Bellec et al. 2018): S' = max(0, 1 − |x|/w)/w, w = 1/slope
    template<class Real>
    NM_HD Real derivative(Real x) const {
        switch (kind) {
        case surrogate_kind::arctan:
            return derivative<surrogate_kind::arctan>(x);
        case surrogate_kind::fast_sigmoid:
            return derivative<surrogate_kind::fast_sigmoid>(x);
        case surrogate_kind::erf:
            return derivative<surrogate_kind::erf>(x);
        case surrogate_kind::triangle:
            return derivative<surrogate_kind::triangle>(x);
        }
        return 0;
    }

    // The derivative for a kind known when compiling: a neuron loop using it can vectorise.
    template<surrogate_kind Kind, class Real>
    NM_HD Real derivative(Real x) const {
        const Real a = static_cast<Real>(slope);
        if constexpr (Kind == surrogate_kind::arctan) {
            const Real u = static_cast<Real>(M_PI / 2) * a * x;
            return a / 2 / (1 + u * u);
        } else if constexpr (Kind == surrogate_kind::fast_sigmoid) {
            const Real d = 1 + a * std::abs(x);
            return 1 / (d * d);
        } else if constexpr (Kind == surrogate_kind::erf) {
            return a * static_cast<Real>(0.3989422804014327) * std::exp(-(a * x) * (a * x) / 2);
        } else {
            return std::max(Real(0), 1 - std::abs(x) * a) * a;
        }
    }

    template<class Real>
    NM_HD Real smooth(Real x) const {
        const Real a = static_cast<Real>(slope);
        switch (kind) {
        case surrogate_kind::arctan:
            return Real(0.5) +
                   std::atan(static_cast<Real>(M_PI / 2) * a * x) / static_cast<Real>(M_PI);
        case surrogate_kind::fast_sigmoid:
            return x / (1 + a * std::abs(x));
        case surrogate_kind::erf:
            return Real(0.5) * (1 + std::erf(a * x / static_cast<Real>(M_SQRT2)));
        case surrogate_kind::triangle: {
            const Real y = std::clamp(a * x, Real(-1), Real(1));
            return y >= 0 ? Real(0.5) + y - y * y / 2 : Real(0.5) + y + y * y / 2;
        }
        }
        return 0;
    }
};

inline constexpr std::string_view surrogate_names[] = {"arctan", "fast_sigmoid", "erf", "triangle"};

// Graded spikes n = min(floor(v*/θ), n_max) (0 below threshold; Loihi 2's integer-valued spikes)
// are a staircase in y = v*/θ; its smooth stand-in is the softplus ramp through the stairs'
// midpoints (softplus: Dugas et al. 2001),
//   N(y) = sp(y − ½) − sp(y − ½ − n_max),   sp(z) = log(1 + e^{k·z})/k,
//   N'(y) = σ(k(y − ½)) − σ(k(y − ½ − n_max)),   σ the logistic function, k the slope,
// rising from 0 to n_max with slope 1 in between (∂N/∂v* = N'(y)/θ).
struct softplus_ramp {
    double slope = 2.0;
    int n_max = 4;

    template<class Real>
    NM_HD static Real softplus(Real z, Real k) {
        const Real kz = k * z;
        return (kz > 30 ? kz : std::log1p(std::exp(kz))) / k;
    }
    template<class Real>
    NM_HD static Real logistic(Real z) {
        return 1 / (1 + std::exp(-z));
    }
    template<class Real>
    NM_HD Real smooth(Real y) const {
        const Real k = static_cast<Real>(slope), top = static_cast<Real>(n_max);
        return softplus(y - Real(0.5), k) - softplus(y - Real(0.5) - top, k);
    }
    template<class Real>
    NM_HD Real derivative(Real y) const {
        const Real k = static_cast<Real>(slope), top = static_cast<Real>(n_max);
        return logistic(k * (y - Real(0.5))) - logistic(k * (y - Real(0.5) - top));
    }
    // The staircase itself: the forward pass of training and evaluation.
    template<class Real>
    NM_HD Real count(Real y) const {
        return y < 1 ? Real(0) : std::min(std::floor(y), static_cast<Real>(n_max));
    }
};

} // namespace nm::train
