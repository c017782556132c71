// Launching the GPU network step (simulate.cu) from the host side.
#pragma once

#include "backends/cuda/buffer.hpp"
#include "backends/cuda/sim_view.hpp"

#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

namespace nm::cuda {

// A network's descriptors in global memory, when there are more than constant memory holds.
struct sim_network_buffers {
    buffer<sim_population> populations;
    buffer<sim_projection> projections;
    buffer<sim_stimulus> stimuli;
    buffer<std::uint32_t> outgoing_begin, outgoing;
};

// The descriptors (populations, projections, stimuli, and the projections leaving each
// population: outgoing[begin[p] .. begin[p + 1]]) into constant memory or, beyond its limits
// (sim_view.hpp), into `global`; whether they went there (sim_schedule::global_descriptors).
bool set_network(const std::vector<sim_population>& pops,
                 const std::vector<sim_projection>& projections,
                 const std::vector<sim_stimulus>& stimuli, const std::vector<std::uint32_t>& begin,
                 const std::vector<std::uint32_t>& outgoing, sim_network_buffers& global);

// Steps base + first_offset .. base + first_offset + count − 1 (base read on the device from
// v.base_step) onto `stream`, each as the schedule says.
void enqueue_steps(const sim_view& v, const sim_schedule& schedule, std::uint64_t first_offset,
                   std::uint64_t count, cudaStream_t stream);

// The post-synaptic projections' walk of the last step's spikes (each update walks the
// previous step's): the rings and event counts then end as on the CPU.
void finish_gathers(const sim_view& v, const sim_schedule& schedule, std::uint64_t last_step,
                    cudaStream_t stream);

} // namespace nm::cuda
