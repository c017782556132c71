// What a neuron model is: a struct with params / coeffs / state, field tables, and the three
// processes integrate (returns v*), fire (spike count n), reset (SPEC §1). Backends instantiate
// their loops over this shape; the concept below is the contract, checked at compile time.
#pragma once

#include "core/fields.hpp"
#include "core/hd.hpp"
#include "models/linear.hpp"

#include <concepts>
#include <string_view>

namespace nm::models {

// Input to one neuron for one step, gathered by the population before integrate().
struct neuron_input {
    double jump = 0.0;    // mV: delta synapses and exponential-current kernels, added to v*
    double jump_im = 0.0; // mV: imaginary part, complex models only
    double current = 0.0; // constant current over the step (stimuli), through the model's gain
};

template<class M>
concept neuron_model = requires(const typename M::params& p, const typename M::coeffs& c,
                                typename M::state& s, const neuron_input& in, double x, int n) {
    { M::name } -> std::convertible_to<std::string_view>;
    { M::summary } -> std::convertible_to<std::string_view>;
    { M::is_complex } -> std::convertible_to<bool>;
    M::param_fields;
    M::state_fields;
    { M::dynamics(p) } -> std::same_as<linear_dynamics>;
    { M::derive(p, x) } -> std::same_as<typename M::coeffs>;
    { M::initial(p) } -> std::same_as<typename M::state>;
    { M::integrate(c, s, in) } -> std::same_as<double>;
    { M::fire(c, s, x, x) } -> std::same_as<int>;
    { M::reset(c, s, x, n) } -> std::same_as<void>;
};

} // namespace nm::models
