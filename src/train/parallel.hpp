// The training threads: one pool of workers, sized from the run's thread count, runs both the
// element-wise loops (neuron layers, pooling, im2col) and the GEMMs (blas.hpp splits each
// product into slices, every slice a single-threaded OpenBLAS call). OpenBLAS's own threads stay
// off: after each product they spin, yielding, and took the cores from the element-wise loops
// (a Fashion-MNIST conv epoch ran slower on 2 threads than on 1). The workers block on a
// condition variable between loops. A slice of an element-wise loop is computed exactly as in
// one piece, so those results do not depend on the thread count.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

extern "C" void openblas_set_num_threads(int);

namespace nm::train {

class slice_pool {
public:
    static slice_pool& instance() {
        static slice_pool pool;
        return pool;
    }
    ~slice_pool() { resize(1); }

    int threads() const { return static_cast<int>(workers_.size()) + 1; }

    void resize(int threads) {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
            ++generation_;
        }
        wake_.notify_all();
        for (auto& w : workers_) w.join();
        workers_.clear();
        stop_ = false;
        const std::uint64_t start = generation_; // read before any worker could run()
        for (int t = 1; t < threads; ++t)
            workers_.emplace_back([this, t, start] { work(t, start); });
    }

    // Whether this thread is running a task (a loop inside it then runs in one piece).
    static bool& in_task() {
        thread_local bool inside = false;
        return inside;
    }

    // task(t) for t = 0 .. threads() - 1; the caller runs t = 0. Returns when all are done.
    void run(const std::function<void(int)>& task) {
        {
            std::lock_guard lock(mutex_);
            task_ = &task;
            pending_ = static_cast<int>(workers_.size());
            ++generation_;
        }
        wake_.notify_all();
        in_task() = true;
        task(0);
        in_task() = false;
        std::unique_lock lock(mutex_);
        done_.wait(lock, [&] { return pending_ == 0; });
    }

private:
    void work(int t, std::uint64_t seen) {
        in_task() = true;
        for (;;) {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return generation_ != seen; });
            seen = generation_;
            if (stop_) return;
            const std::function<void(int)>* task = task_;
            lock.unlock();
            (*task)(t);
            lock.lock();
            if (--pending_ == 0) done_.notify_one();
        }
    }

    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    const std::function<void(int)>* task_ = nullptr;
    std::uint64_t generation_ = 0;
    int pending_ = 0;
    bool stop_ = false;
};

inline void set_threads(int threads) {
    openblas_set_num_threads(1);
    if (slice_pool::instance().threads() != threads) slice_pool::instance().resize(threads);
}

// body(begin, end) on one contiguous slice of [0, n) per thread, slice bounds multiples of
// `align` (a slice of neurons then owns whole words of spike bits); in one piece when n is not
// a multiple of `align` or there is one thread.
template<class Body>
void parallel_slices(std::size_t n, std::size_t align, Body&& body) {
    slice_pool& pool = slice_pool::instance();
    const std::size_t units = n / align, team = static_cast<std::size_t>(pool.threads());
    if (n % align != 0 || team <= 1 || units < team || slice_pool::in_task())
        return body(std::size_t{0}, n);
    pool.run([&](int t) {
        const auto k = static_cast<std::size_t>(t);
        body(units * k / team * align, units * (k + 1) / team * align);
    });
}

} // namespace nm::train
