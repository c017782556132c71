// Building and running the plasticity of projections (DESIGN.md step 4: in the same pass as
// spike propagation, before the spikes are delivered with the updated weights).
#pragma once

#include "core/network.hpp"

namespace nm {

// Validates `spec` for projection `p` (rule name, parameters, bounds against the weights) and
// attaches its state; `p` must already hold per-synapse weights.
void attach_plasticity(projection& p, const plasticity_spec& spec, const partition& parts,
                       std::uint64_t n_pre, std::uint64_t n_post, double dt, std::uint64_t seed,
                       std::uint32_t index, const std::string& where);

// Applies the rule for this step's spikes to thread t's shard: potentiation at the post spikes,
// depression at the pre spikes (each against the other side's trace before this step's spikes:
// simultaneous spikes do not pair), then the traces take this step's spikes. `reward` is a
// closed-loop reward of this step (src/core/trials.hpp), applied to rstdp rules after the
// step's pairings.
void apply_plasticity(projection& p, unsigned t, const network& net, std::uint64_t step,
                      double reward = 0.0);

// The weight a spike delivers through synapse x of shard t of a device projection: the stored
// conductance relaxed since its last programming, times read noise.
struct device_read {
    const plastic_state* state;
    const plastic_shard* shard;
    double now;
    double operator()(double g, std::uint64_t x, std::uint32_t pre, std::uint32_t post,
                      std::uint64_t step) const {
        const auto& c = state->device;
        double w = plasticity::memristor::relaxed(c, g, shard->programmed_at[x], now);
        if (c.sigma_read > 0)
            w *= 1.0 +
                 c.sigma_read * state->read_rng.normal(pre, post, static_cast<std::uint32_t>(step));
        return w;
    }
};

} // namespace nm
