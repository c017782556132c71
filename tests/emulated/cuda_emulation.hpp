// The CUDA backend's kernels run on the host, so that their indexing and arithmetic are checked
// against the CPU layers where no GPU is present: the kernel headers compile as plain C++ here,
// every thread of a block is a fiber (ucontext) with its own threadIdx, blocks run one after
// another, and the block's fibers run in rounds: each runs until it finishes or reaches a
// collective (__ballot_sync, __shfl_down_sync, __syncthreads), where it waits until every
// thread of its warp (or block) has arrived; the collective's results are then handed out and
// the next round begins. Device intrinsics become their host equivalents (the rounded float
// operations as plain ones: the tests build without contraction). Only what the kernels use is
// here; every lane of a warp reaches the same collectives, as the kernels are written.
#pragma once

#include <cuda_bf16.h>
#include <ucontext.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

inline dim3 threadIdx, blockIdx, blockDim, gridDim;

#undef __global__
#undef __device__
#undef __host__
#undef __forceinline__
#undef __shared__
#undef __constant__
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static // blocks run one at a time, so one copy serves each in turn
#define __constant__

namespace nm::emulated {

enum class waiting { none, warp, block };

// The running block: a fiber per thread, what each waits at, the values a warp exchanges.
struct block_state {
    static constexpr std::size_t stack_bytes = 64 * 1024;
    ucontext_t scheduler;
    std::vector<ucontext_t> fibers;
    std::vector<std::unique_ptr<char[]>> stacks;
    std::vector<waiting> at;
    std::vector<bool> done;
    std::vector<unsigned> values, results;
    std::function<void()> body;
    unsigned current = 0;

    // Room for a block of `threads`; the stacks are kept from launch to launch.
    void prepare(unsigned threads) {
        for (auto* v : {&values, &results}) v->resize(threads);
        fibers.resize(threads);
        at.resize(threads);
        done.resize(threads);
        while (stacks.size() < threads)
            stacks.push_back(std::make_unique_for_overwrite<char[]>(stack_bytes));
    }
};
inline block_state* running = nullptr;

inline void fiber_entry() {
    running->body();
    running->done[running->current] = true;
    running->values[running->current] = 0; // a finished lane votes no
} // returns to uc_link: the scheduler

// This thread waits at a collective with `value`; returns what the collective gave it.
inline unsigned wait_at(waiting kind, unsigned value) {
    block_state& b = *running;
    const unsigned me = b.current;
    b.at[me] = kind;
    b.values[me] = value;
    swapcontext(&b.fibers[me], &b.scheduler);
    return b.results[me];
}

// kernel<<<grid, block>>>(args...) with one-dimensional grids and blocks.
template<class... Params, class... Args>
void launch(void (*kernel)(Params...), unsigned grid, unsigned block, Args... args) {
    static block_state b;
    b.prepare(block);
    running = &b;
    blockDim = {block, 1, 1};
    gridDim = {grid, 1, 1};
    b.body = [&] { kernel(args...); };
    for (blockIdx = {0, 0, 0}; blockIdx.x < grid; ++blockIdx.x) {
        for (unsigned t = 0; t < block; ++t) {
            getcontext(&b.fibers[t]);
            b.fibers[t].uc_stack.ss_sp = b.stacks[t].get();
            b.fibers[t].uc_stack.ss_size = block_state::stack_bytes;
            b.fibers[t].uc_link = &b.scheduler;
            makecontext(&b.fibers[t], fiber_entry, 0);
            b.done[t] = false;
        }
        for (bool live = true; live;) {
            live = false;
            for (unsigned t = 0; t < block; ++t) {
                if (b.done[t]) continue;
                b.at[t] = waiting::none;
                b.current = t;
                threadIdx = {t, 0, 0};
                swapcontext(&b.scheduler, &b.fibers[t]);
                live = live || !b.done[t];
            }
            // Every thread still running waits at a collective: its warp's (or block's) values
            // are all in; hand out the results for the next round.
            for (unsigned t = 0; t < block; ++t)
                if (!b.done[t] && b.at[t] == waiting::none)
                    throw std::logic_error("emulated launch: a thread left its warp");
            for (unsigned w = 0; w * 32 < block; ++w) {
                const unsigned lanes = std::min(32u, block - w * 32);
                unsigned ballot = 0;
                for (unsigned lane = 0; lane < lanes; ++lane)
                    ballot |= (b.values[w * 32 + lane] != 0 ? 1u : 0u) << lane;
                for (unsigned lane = 0; lane < lanes; ++lane) b.results[w * 32 + lane] = ballot;
            }
        }
    }
    running = nullptr;
}

// A shuffle reads another lane's value before the results are replaced by the ballot word.
struct shuffle_request {
    unsigned offset;
};

} // namespace nm::emulated

// CUDA's integer min and max of device code.
inline unsigned max(unsigned a, unsigned b) {
    return a > b ? a : b;
}
inline unsigned min(unsigned a, unsigned b) {
    return a < b ? a : b;
}

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
    return nm::emulated::wait_at(nm::emulated::waiting::warp, predicate != 0);
}

// A shuffle is a ballot round with the lanes' values, read before the round hands out results.
inline unsigned __shfl_down_sync(unsigned, unsigned value, int offset) {
    nm::emulated::block_state& b = *nm::emulated::running;
    const unsigned me = b.current, lane = me % 32;
    nm::emulated::wait_at(nm::emulated::waiting::warp, value);
    // After the round every lane's value is still in `values` until its next collective, and
    // no lane of this warp runs again before all have resumed from this one: read it now.
    const unsigned from = me + static_cast<unsigned>(offset);
    return lane + offset < 32 && from < blockDim.x ? b.values[from] : value;
}

inline void __syncthreads() {
    nm::emulated::wait_at(nm::emulated::waiting::block, 0);
}

template<class T>
T atomicAdd(T* at, T value) {
    const T old = *at;
    *at += value;
    return old;
}
