// One call shape for every kernel launch of the trainer, checked: launch(kernel, grid, block,
// stream, args...). The host tests' emulation (tests/emulated) defines NM_CUDA_EMULATED and
// supplies its own, which runs the same kernels on the CPU.
#pragma once

#include "backends/cuda/check.hpp"

#include <utility>

#ifndef NM_CUDA_EMULATED
namespace nm::cuda {

template<class... Params, class... Args>
void launch(void (*kernel)(Params...), unsigned grid, unsigned block, cudaStream_t stream,
            Args&&... args) {
    kernel<<<grid, block, 0, stream>>>(std::forward<Args>(args)...);
    NM_CUDA_LAUNCHED();
}

} // namespace nm::cuda
#endif
