// The CUDA backend's kernels run on the host, so that their indexing and arithmetic are checked
// against the CPU layers where no GPU is present: the kernel headers compile as plain C++ here,
// every thread of a block is a std::thread with its own threadIdx, blocks run one after
// another, and the warp and block collectives (__ballot_sync, __shfl_down_sync,
// __syncthreads) meet at barriers. Device intrinsics become their host equivalents (the
// rounded float operations as plain ones: the tests build without contraction). Only what the
// kernels use is here; block sizes must be whole warps.
#pragma once

#include <cuda_bf16.h>

#include <array>
#include <atomic>
#include <barrier>
#include <bit>
#include <cmath>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

inline thread_local dim3 threadIdx, blockIdx, blockDim, gridDim;

#undef __global__
#undef __device__
#undef __host__
#undef __forceinline__
#undef __shared__
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static // blocks run one at a time, so one copy serves each in turn

namespace nm::emulated {

// What the threads of the running block share: a barrier per warp and for the block, and the
// values a warp exchanges at a collective.
struct block_state {
    explicit block_state(unsigned threads)
        : block(threads), warps(threads / 32), values(threads / 32) {
        for (auto& w : warps) w = std::make_unique<std::barrier<>>(32);
    }
    std::barrier<> block;
    std::vector<std::unique_ptr<std::barrier<>>> warps;
    std::vector<std::array<unsigned, 32>> values;
};
inline thread_local block_state* running = nullptr;

// Every lane writes its value, all read the warp's values, and nobody writes again until all
// have read.
template<class Read>
auto exchange(unsigned value, Read&& read) {
    const unsigned warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    running->values[warp][lane] = value;
    running->warps[warp]->arrive_and_wait();
    const auto result = read(running->values[warp], lane);
    running->warps[warp]->arrive_and_wait();
    return result;
}

// kernel<<<grid, block>>>(args...) with one-dimensional grids and blocks.
template<class... Params, class... Args>
void launch(void (*kernel)(Params...), unsigned grid, unsigned block, Args... args) {
    for (unsigned b = 0; b < grid; ++b) {
        block_state state(block);
        std::vector<std::jthread> threads;
        threads.reserve(block);
        for (unsigned t = 0; t < block; ++t)
            threads.emplace_back([&, t] {
                threadIdx = {t, 0, 0};
                blockIdx = {b, 0, 0};
                blockDim = {block, 1, 1};
                gridDim = {grid, 1, 1};
                running = &state;
                kernel(args...);
            });
    }
}

} // namespace nm::emulated

inline float __fadd_rn(float a, float b) {
    return a + b;
}
inline float __fsub_rn(float a, float b) {
    return a - b;
}
inline float __fmul_rn(float a, float b) {
    return a * b;
}
inline int __popc(unsigned x) {
    return std::popcount(x);
}

inline unsigned __ballot_sync(unsigned, int predicate) {
    return nm::emulated::exchange(predicate != 0, [](const auto& votes, unsigned) {
        unsigned word = 0;
        for (unsigned lane = 0; lane < 32; ++lane) word |= (votes[lane] ? 1u : 0u) << lane;
        return word;
    });
}

inline unsigned __shfl_down_sync(unsigned, unsigned value, int offset) {
    return nm::emulated::exchange(value, [&](const auto& values, unsigned lane) {
        return lane + offset < 32 ? values[lane + offset] : value;
    });
}

inline void __syncthreads() {
    nm::emulated::running->block.arrive_and_wait();
}

template<class T>
T atomicAdd(T* at, T value) {
    return std::atomic_ref<T>(*at).fetch_add(value);
}
