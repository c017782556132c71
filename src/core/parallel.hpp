// Running build work on OpenMP threads while carrying the first exception to the caller.
#pragma once

#include <exception>
#include <mutex>

#include <omp.h>

namespace nm {

// Calls fn(t) for t = 0..count-1 on up to `threads` threads; rethrows the first exception.
template<class Fn>
void parallel_for(unsigned count, unsigned threads, Fn&& fn) {
    std::exception_ptr failure;
    std::mutex guard;
#pragma omp parallel for num_threads(threads) schedule(static, 1)
    for (unsigned t = 0; t < count; ++t) {
        try {
            fn(t);
        } catch (...) {
            std::lock_guard lock(guard);
            if (!failure) failure = std::current_exception();
        }
    }
    if (failure) std::rethrow_exception(failure);
}

} // namespace nm
