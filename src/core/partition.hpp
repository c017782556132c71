// How neurons are split between threads: thread t owns a contiguous chunk of every population
// and is the only writer of that chunk's state and input buffers, so the step loop needs no
// locks and every neuron sees its inputs in the same order for any thread count.
#pragma once

#include <algorithm>
#include <cstdint>

namespace nm {

struct range {
    std::uint64_t begin = 0, end = 0;
};

// Chunks begin at multiples of `align` neurons, so that work done per block of neurons (the
// conductance check of population_impl::update_cond_pair) sees the same blocks for any thread
// count.
struct partition {
    static constexpr std::uint64_t align = 64;
    unsigned threads = 1;
    range chunk(std::uint64_t size, unsigned t) const {
        return {start(size, t), start(size, t + 1)};
    }

private:
    std::uint64_t start(std::uint64_t size, unsigned t) const {
        if (t >= threads) return size;
        const std::uint64_t even = size * t / threads;
        return std::min(size, (even + align / 2) / align * align);
    }
};

} // namespace nm
