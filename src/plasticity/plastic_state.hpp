// The run-time state of a plastic projection, one part per thread shard: a shard's synapses all
// target the thread's own neurons, so each thread updates its shard's weights without locks and
// the result does not depend on the thread count.
#pragma once

#include "plasticity/stdp.hpp"

#include <cstdint>
#include <vector>

namespace nm {

struct plastic_shard {
    std::vector<double> pre_trace, pre_slow, pre_last;    // per source: r1, r2, last spike step
    std::vector<double> post_trace, post_slow, post_last; // per target (chunk used): o1, o2
    std::vector<std::uint64_t> in_offsets; // per target of the chunk, + 1: its synapses...
    std::vector<std::uint64_t> in_synapse; // ...as positions in the shard's CSR arrays
    std::vector<std::uint32_t> in_pre;     // ...and their sources
    std::uint64_t updates = 0;             // weight updates made
};

struct plastic_state {
    plasticity::stdp::coeffs rule;
    std::vector<plastic_shard> shards;
};

} // namespace nm
