// Surrogate gradients: the forward pass fires with the Heaviside step H(x), x = v* − θ; the
// backward pass uses the derivative of a smooth stand-in. Each functor gives that derivative
// and one antiderivative (`smooth`), which the gradient checks use as a differentiable forward.
#pragma once

#include "core/hd.hpp"

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
        const Real a = static_cast<Real>(slope);
        switch (kind) {
        case surrogate_kind::arctan: {
            const Real u = static_cast<Real>(M_PI / 2) * a * x;
            return a / 2 / (1 + u * u);
        }
        case surrogate_kind::fast_sigmoid: {
            const Real d = 1 + a * std::abs(x);
            return 1 / (d * d);
        }
        case surrogate_kind::erf:
            return a * static_cast<Real>(0.3989422804014327) * std::exp(-(a * x) * (a * x) / 2);
        case surrogate_kind::triangle:
            return std::max(Real(0), 1 - std::abs(x) * a) * a;
        }
        return 0;
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

} // namespace nm::train
