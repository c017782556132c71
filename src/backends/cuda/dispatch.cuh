// Run-time layer settings turned into the template arguments the neuron kernels take.
#pragma once

#include "backends/cuda/neuron_kernels.cuh"
#include "core/with_constant.hpp"

namespace nm::cuda {

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

} // namespace nm::cuda
