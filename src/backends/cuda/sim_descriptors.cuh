// The network's descriptors (populations, stimuli, projections and the projections leaving
// each population), filled by set_network and read by every step kernel through one of two
// places, a template argument of the kernels:
//   in_constant  constant memory, for networks within its capacity (sim_view.hpp's limits):
//                the threads of a warp read the same descriptor, which the constant cache
//                broadcasts (the configuration measured in bench/kernels/NOTES.md);
//   in_global    global memory, for larger networks: the same reads through L1.
// Included by simulate.cu alone.
#pragma once

#include "backends/cuda/sim_view.hpp"

namespace nm::cuda {
namespace {

// Raw bytes: __constant__ arrays of the descriptors would need their constructors run.
static_assert(sizeof(sim_population) * max_populations + sizeof(sim_projection) * max_projections +
                      sizeof(sim_stimulus) * max_stimuli +
                      4 * (max_populations + 1 + max_projections) + sizeof(sim_network) <=
                  62 * 1024,
              "constant memory holds 64 KB");
__constant__ alignas(16) unsigned char population_bytes[sizeof(sim_population) * max_populations];
__constant__ alignas(16) unsigned char stimulus_bytes[sizeof(sim_stimulus) * max_stimuli];
__constant__ alignas(16) unsigned char projection_bytes[sizeof(sim_projection) * max_projections];
__constant__ std::uint32_t outgoing_begins[max_populations + 1], outgoings[max_projections];
__constant__ alignas(16) unsigned char global_bytes[sizeof(sim_network)];

struct in_constant {
    __device__ static const sim_population& pop(int p) {
        return reinterpret_cast<const sim_population*>(population_bytes)[p];
    }
    __device__ static const sim_projection& projection(std::uint32_t j) {
        return reinterpret_cast<const sim_projection*>(projection_bytes)[j];
    }
    __device__ static const sim_stimulus& stimulus(int k) {
        return reinterpret_cast<const sim_stimulus*>(stimulus_bytes)[k];
    }
    __device__ static std::uint32_t outgoing_begin(int p) { return outgoing_begins[p]; }
    __device__ static std::uint32_t outgoing(std::uint32_t o) { return outgoings[o]; }
};

struct in_global {
    __device__ static const sim_network& network() {
        return *reinterpret_cast<const sim_network*>(global_bytes);
    }
    __device__ static const sim_population& pop(int p) { return network().populations[p]; }
    __device__ static const sim_projection& projection(std::uint32_t j) {
        return network().projections[j];
    }
    __device__ static const sim_stimulus& stimulus(int k) { return network().stimuli[k]; }
    __device__ static std::uint32_t outgoing_begin(int p) { return network().outgoing_begin[p]; }
    __device__ static std::uint32_t outgoing(std::uint32_t o) { return network().outgoing[o]; }
};

// The population of global neuron g among populations [first, end): a scan over a few, halves
// over many.
template<class D>
__device__ int population_of(std::uint64_t g, int first, int end) {
    while (end - first > 8) {
        const int mid = first + (end - first) / 2;
        if (g >= D::pop(mid).first)
            first = mid;
        else
            end = mid;
    }
    int p = first;
    while (p + 1 < end && g >= D::pop(p + 1).first) ++p;
    return p;
}

} // namespace
} // namespace nm::cuda
