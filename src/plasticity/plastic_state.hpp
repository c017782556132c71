// The run-time state of a plastic projection, one part per thread shard: a shard's synapses all
// target the thread's own neurons, so each thread updates its shard's weights without locks and
// the result does not depend on the thread count.
#pragma once

#include "core/philox.hpp"
#include "plasticity/memristor.hpp"
#include "plasticity/scaling.hpp"
#include "plasticity/stdp.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace nm {

struct plastic_shard {
    std::vector<double> pre_trace, pre_slow;   // per source: r1 (τ+), r2 (τx, triplet only)
    std::vector<double> post_trace, post_slow; // per target (the chunk is used): o1, o2
    std::vector<std::uint64_t> in_offsets;     // per target of the chunk, + 1: its synapses...
    std::vector<std::uint64_t> in_synapse;     // ...as positions in the shard's CSR arrays
    std::vector<std::uint32_t> in_pre;         // ...and their sources
    std::uint64_t updates = 0;                 // weight updates made
    std::vector<float> elig, elig_at;          // rstdp: eligibility per synapse, step updated
    std::size_t next_reward = 0;               // rstdp: the first reward event not yet applied
    std::vector<double> rate_trace;            // rate rules: per target (the chunk is used)
    std::vector<double> pre_rate_trace;        // hebb, oja: per source
    std::vector<std::uint32_t> pulses;         // device: programming pulses per synapse
    std::vector<float> programmed_at;          // device: step of its last programming
};

struct plastic_state {
    std::string rule_name; // stdp | triplet | rstdp
    plasticity::stdp::coeffs rule;
    plasticity::memristor::coeffs device;
    plasticity::scaling::coeffs scaling;
    rng_stream pulse_rng, variation_rng, read_rng; // device noise, keyed by (pre, post, ...)
    std::vector<std::pair<std::uint64_t, double>> rewards; // rstdp: (step, amount), by step
    std::vector<plastic_shard> shards;
};

} // namespace nm
