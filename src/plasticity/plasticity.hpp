// Building and running the plasticity of projections (DESIGN.md step 4: in the same pass as
// spike propagation, before the spikes are delivered with the updated weights).
#pragma once

#include "core/network.hpp"

namespace nm {

// Validates `spec` for projection `p` (rule name, parameters, bounds against the weights) and
// attaches its state; `p` must already hold per-synapse weights.
void attach_plasticity(projection& p, const plasticity_spec& spec, const partition& parts,
                       std::uint64_t n_pre, std::uint64_t n_post, double dt,
                       const std::string& where);

// Applies the rule for this step's spikes to thread t's shard: potentiation at the post spikes,
// depression at the pre spikes (each against the other side's trace before this step's spikes:
// simultaneous spikes do not pair), then the traces take this step's spikes.
void apply_plasticity(projection& p, unsigned t, const network& net, std::uint64_t step);

} // namespace nm
