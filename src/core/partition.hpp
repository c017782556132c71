// How neurons are split between threads: thread t owns a contiguous chunk of every population
// and is the only writer of that chunk's state and input buffers, so the step loop needs no
// locks and every neuron sees its inputs in the same order for any thread count.
#pragma once

#include <cstdint>

namespace nm {

struct range {
    std::uint64_t begin = 0, end = 0;
};

struct partition {
    unsigned threads = 1;
    range chunk(std::uint64_t size, unsigned t) const {
        return {size * t / threads, size * (t + 1) / threads};
    }
};

} // namespace nm
