// The network's descriptors in constant memory (populations, stimuli, projections and the
// projections leaving each population), filled by set_network and read by every step kernel:
// the threads of a warp read the same descriptor, which the constant cache broadcasts.
// Included by simulate.cu alone.
#pragma once

#include "backends/cuda/sim_view.hpp"

namespace nm::cuda {
namespace {

// Raw bytes: __constant__ arrays of the descriptors would need their constructors run.
static_assert(sizeof(sim_population) * max_populations + sizeof(sim_projection) * max_projections +
                      sizeof(sim_stimulus) * max_stimuli +
                      4 * (max_populations + 1 + max_projections) <=
                  62 * 1024,
              "constant memory holds 64 KB");
__constant__ alignas(16) unsigned char population_bytes[sizeof(sim_population) * max_populations];
__constant__ alignas(16) unsigned char stimulus_bytes[sizeof(sim_stimulus) * max_stimuli];
__constant__ alignas(16) unsigned char projection_bytes[sizeof(sim_projection) * max_projections];
__constant__ std::uint32_t outgoing_begin[max_populations + 1], outgoing[max_projections];

__device__ const sim_population& pop(int p) {
    return reinterpret_cast<const sim_population*>(population_bytes)[p];
}
__device__ const sim_projection& projection(std::uint32_t j) {
    return reinterpret_cast<const sim_projection*>(projection_bytes)[j];
}
__device__ const sim_stimulus& stimulus(int k) {
    return reinterpret_cast<const sim_stimulus*>(stimulus_bytes)[k];
}

// The population of global neuron g among populations [first, end).
__device__ int population_of(std::uint64_t g, int first, int end) {
    int p = first;
    while (p + 1 < end && g >= pop(p + 1).first) ++p;
    return p;
}

} // namespace
} // namespace nm::cuda
