// Launching the GPU network step (simulate.cu) from the host side.
#pragma once

#include "backends/cuda/sim_view.hpp"

#include <cuda_runtime.h>

#include <cstdint>

namespace nm::cuda {

// Steps base + first_offset .. base + first_offset + count − 1 (base read on the device from
// v.base_step) onto `stream`: update then propagate for each.
void enqueue_steps(const sim_view& v, std::uint64_t first_offset, std::uint64_t count,
                   int propagate_blocks, cudaStream_t stream);

} // namespace nm::cuda
