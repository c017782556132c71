// The step loop's barrier. It is crossed once per step (10^4 times per simulated second at
// dt = 0.1 ms), so its wake-up latency matters more than anything it could save by sleeping:
// threads spin (pausing the core) and start yielding after ~1000 pauses (some microseconds,
// longer than a step's usual imbalance), in case the machine runs more threads than cores.
// Measured on 2 cores, CUBA at 2 threads: 0.5 s with spinning against 1-2 s with libgomp's
// default barrier, whose threads fall asleep between steps; two threads on one core (taskset):
// 9.3 s per 2 s simulated when yielding after 16384 pauses, 0.85 s after 1024.
#pragma once

#include <atomic>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace nm {

class spin_barrier {
public:
    explicit spin_barrier(unsigned threads) : threads_(threads) {}

    // Returns once every thread has arrived; what each wrote before arriving is visible to all
    // after (the last arrival acquires every release, then releases the new generation).
    void wait() {
        const unsigned generation = generation_.load(std::memory_order_acquire);
        if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == threads_) {
            arrived_.store(0, std::memory_order_relaxed);
            generation_.fetch_add(1, std::memory_order_acq_rel);
            return;
        }
        for (unsigned spins = 0; generation_.load(std::memory_order_acquire) == generation;
             ++spins) {
            if (spins < 1024)
                pause();
            else
                std::this_thread::yield();
        }
    }

private:
    static void pause() {
#if defined(__x86_64__) || defined(__i386__)
        _mm_pause();
#endif
    }

    const unsigned threads_;
    alignas(64) std::atomic<unsigned> arrived_{0};
    alignas(64) std::atomic<unsigned> generation_{0};
};

} // namespace nm
