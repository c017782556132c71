// Run-time layer settings turned into the template arguments the neuron kernels take, and the
// launch shape the element-wise kernels share.
#pragma once

#include "backends/cuda/neuron_kernels.cuh"
#include "core/with_constant.hpp"

namespace nm::cuda {

constexpr int block_threads = 256;
inline unsigned grid_for(std::size_t n) {
    return static_cast<unsigned>((n + block_threads - 1) / block_threads);
}

// Calls f.template operator()<Kind, R>() with a spiking layer's kind and reset as constants.
template<class F>
void with_spiking(int kind, int reset, F&& f) {
    with_constant<neuron_kind::lif, neuron_kind::cuba_lif, neuron_kind::alif, neuron_kind::rf,
                  neuron_kind::graded>(static_cast<neuron_kind>(kind), [&]<neuron_kind Kind>() {
        with_constant<reset_mode::zero, reset_mode::subtract, reset_mode::none>(
            static_cast<reset_mode>(reset),
            [&]<reset_mode R>() { f.template operator()<Kind, R>(); });
    });
}

// The constants of any spec with the neuron fields (train::device_block, ops::spiking_spec).
template<class Spec>
neuron_constants constants_of(const Spec& s) {
    return {s.beta,        s.threshold, s.alpha, s.adapt,
            s.adapt_decay, s.rf_c,      s.rf_d,  train::softplus_ramp{s.slope, s.n_max}};
}

// The surrogate of any spec with `surrogate` (train::surrogate_kind) and `slope` fields.
template<class Spec>
train::surrogate surrogate_of(const Spec& s) {
    train::surrogate sg;
    sg.kind = static_cast<surrogate_kind>(s.surrogate);
    sg.slope = s.slope;
    return sg;
}

// Calls f.template operator()<K>() with the surrogate's kind as a constant.
template<class F>
void with_surrogate(surrogate_kind kind, F&& f) {
    with_constant<surrogate_kind::arctan, surrogate_kind::fast_sigmoid, surrogate_kind::erf,
                  surrogate_kind::triangle>(kind, f);
}

} // namespace nm::cuda
