// The reset after a spike and its derivative, shared by the CPU layers and the CUDA kernels.
#pragma once

#include "core/hd.hpp"

namespace nm::train {

enum class reset_mode { zero, subtract, none };

// v after the reset of a neuron whose potential was v* and which fired s (0/1, or smooth).
template<class Real>
NM_HD Real reset_value(reset_mode mode, Real vstar, Real s, Real threshold) {
    switch (mode) {
    case reset_mode::zero:
        return vstar * (1 - s);
    case reset_mode::subtract:
        return vstar - threshold * s;
    default:
        return vstar;
    }
}

// ∂v/∂v* of the reset for a neuron that fired s with surrogate slope sd at v*; with
// detach_reset the reset's own dependence on v* (through s) carries no gradient.
template<class Real>
NM_HD Real reset_derivative(reset_mode mode, bool detach, Real vstar, Real s, Real threshold,
                            Real sd) {
    switch (mode) {
    case reset_mode::zero:
        return (1 - s) - (detach ? 0 : vstar * sd);
    case reset_mode::subtract:
        return 1 - (detach ? 0 : threshold * sd);
    default:
        return 1;
    }
}

} // namespace nm::train
