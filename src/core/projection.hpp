// A projection's synapses, stored by source in compressed sparse rows, one CSR per thread
// shard (the shard holds only targets in that thread's chunk, so delivery needs no locks).
// A synapse costs 4 bytes (target, with its delay packed in the high bits when delays vary)
// plus 4 for its weight when weights vary: 8 bytes at most, 4 when weight and delay are fixed.
#pragma once

#include "core/population.hpp"
#include "plasticity/plastic_state.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nm {

struct csr_shard {
    std::vector<std::uint64_t> offsets; // n_pre + 1
    std::vector<std::uint32_t> targets; // target | (delay << delay_shift)
    std::vector<float> weights;         // empty when the weight is constant
    std::vector<float> weights_im;      // complex targets with varying imaginary weights
};

// How a GPU carries this projection's spikes (the CPU ignores it): pre, each spike's row
// spread over threads adding by atomics (fast for sparse activity, sums in any order); post,
// each target's update first walking its incoming synapses for the last step's spikes (sums
// in the CPU's order, no atomics, no kernel of its own, but every synapse read every step);
// automatic, post for all of a small network's projections (then no spread kernel runs),
// else pre.
enum class propagation { automatic, pre, post };
inline constexpr std::array<std::string_view, 3> propagation_names{"auto", "pre", "post"};

struct projection {
    std::string name; // "pre -> post", for messages and reports
    std::uint32_t pre = 0, post = 0;
    int port = 0;
    nm::propagation propagation = nm::propagation::automatic;
    bool varying_weight = false, varying_delay = false, complex_weight = false;
    float weight = 0.0f, weight_im = 0.0f; // when constant
    std::uint32_t delay = 1;               // steps, when constant
    std::uint32_t max_delay = 1;           // steps
    std::uint32_t delay_shift = 32;        // bits below hold the target
    std::uint32_t target_mask = 0xFFFFFFFFu;
    std::uint64_t synapses = 0;
    std::vector<csr_shard> shards;
    std::unique_ptr<plastic_state> plastic; // null for static synapses

    std::uint64_t memory_bytes() const {
        std::uint64_t bytes = 0;
        for (const auto& s : shards)
            bytes += s.offsets.size() * 8 + s.targets.size() * 4 +
                     (s.weights.size() + s.weights_im.size()) * 4;
        if (plastic)
            for (const auto& p : plastic->shards)
                bytes += (p.pre_trace.size() + p.pre_slow.size() + p.post_trace.size() +
                          p.post_slow.size() + p.rate_trace.size() + p.pre_rate_trace.size() +
                          p.in_offsets.size() + p.in_synapse.size()) *
                             8 +
                         (p.in_pre.size() + p.pulses.size() + p.programmed_at.size() +
                          p.elig.size() + p.elig_at.size()) *
                             4;
        return bytes;
    }
};

} // namespace nm
