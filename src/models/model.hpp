// What a neuron model is: a struct with params / coeffs / state, field tables, and the three
// processes integrate (returns v*), fire (spike count n), reset (SPEC §1), or, for ODE models
// that reset inside the step, the three fused in advance(). Backends instantiate their loops
// over this shape; the concepts below are the contract, checked at compile time.
#pragma once

#include "core/fields.hpp"
#include "core/hd.hpp"
#include "models/linear.hpp"

#include <concepts>
#include <string_view>

namespace nm::models {

// Synaptic drive over one step from ports the model cannot integrate exactly (conductance
// ports on any model, current ports on nonlinear models): the summed current i, conductance g
// and g·E_rev at the start (0) and the end (1) of the step, each exact there (the port kernels
// are solved analytically) and interpolated linearly in between, so the drive is second-order
// accurate inside the step whatever integrator the model uses.
struct synaptic_drive {
    double i0 = 0.0, i1 = 0.0;   // current-based ports (model current units)
    double g0 = 0.0, g1 = 0.0;   // Σ g over conductance ports
    double ge0 = 0.0, ge1 = 0.0; // Σ g·E_rev over conductance ports

    // Synaptic current at fraction f ∈ [0, 1] of the step for membrane potential v.
    NM_HD double current(double f, double v) const {
        const double i = i0 + f * (i1 - i0), g = g0 + f * (g1 - g0), ge = ge0 + f * (ge1 - ge0);
        return i + ge - g * v;
    }
    NM_HD bool conductive() const { return (g0 != 0.0) | (g1 != 0.0); }
};

// Input to one neuron for one step, gathered by the population before integrate().
struct neuron_input {
    double jump = 0.0;    // mV: delta synapses and exact current kernels, added to v*
    double jump_im = 0.0; // mV: imaginary part, complex models only
    double current = 0.0; // constant current over the step (stimuli), through the model's gain
    synaptic_drive syn;   // ports without an exact kernel for this model
    // The population checked that the conductance step's k·dt is within short_gain_limit
    // (models/leaky.hpp: its gain then needs no exponential). Set as a compile-time constant by
    // the neuron loop, so that the unused form is compiled away.
    bool short_gain = false;
};

// What a fused model's advance() reports for one step: the spike count and the offset of the
// first spike inside the step (ms after the step's start; dt when it fired at the end).
struct crossing {
    int n = 0;
    double offset = 0.0;
};

template<class M>
concept model_common = requires(const typename M::params& p, double x) {
    { M::name } -> std::convertible_to<std::string_view>;
    { M::summary } -> std::convertible_to<std::string_view>;
    { M::is_complex } -> std::convertible_to<bool>;
    M::param_fields;
    M::state_fields;
    { M::derive(p, x) } -> std::same_as<typename M::coeffs>;
    { M::initial(p) } -> std::same_as<typename M::state>;
};

// The three processes of SPEC §1, as separate steps.
template<class M>
concept staged_model = requires(const typename M::coeffs& c, typename M::state& s,
                                const neuron_input& in, double x, int n) {
    { M::integrate(c, s, in) } -> std::same_as<double>;
    { M::fire(c, s, x, x) } -> std::same_as<int>;
    { M::reset(c, s, x, n) } -> std::same_as<void>;
};

// Integrate, fire and reset fused in one call, for ODE models whose threshold crossing is found
// inside the step: the reset happens at the crossing time and integration goes on from there.
template<class M>
concept fused_model = requires(const typename M::coeffs& c, typename M::state& s,
                               const neuron_input& in) {
    { M::advance(c, s, in) } -> std::same_as<crossing>;
};

// Models with linear subthreshold dynamics: current ports reach them through exact kernels.
template<class M>
concept linear_model = requires(const typename M::params& p) {
    { M::dynamics(p) } -> std::same_as<linear_dynamics>;
};

template<class M>
concept neuron_model = model_common<M> &&(staged_model<M> || fused_model<M>);

} // namespace nm::models
