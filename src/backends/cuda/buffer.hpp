// Device memory owned by one object (freed on destruction, moved not copied), with the byte
// count every allocation adds to a trainer's memory report.
#pragma once

#include "backends/cuda/check.hpp"

#include <cstddef>
#include <cstdio>
#include <string>
#include <utility>

namespace nm::cuda {

// An allocation the GPU could not give, in words: what was asked for against what is free, so
// that a network or batch too large for the device says so instead of a bare driver error.
[[noreturn]] inline void out_of_memory(std::size_t bytes) {
    cudaGetLastError(); // clears the failure, which would otherwise stick to the next launch
    std::size_t free = 0, total = 0;
    cudaMemGetInfo(&free, &total);
    constexpr double gib = 1024.0 * 1024.0 * 1024.0;
    char what[200];
    std::snprintf(what, sizeof what,
                  "CUDA: out of GPU memory: %.3f GiB more were needed, %.3f GiB of %.3f GiB free; "
                  "a smaller network or batch fits",
                  static_cast<double>(bytes) / gib, static_cast<double>(free) / gib,
                  static_cast<double>(total) / gib);
    throw device_error(what);
}

template<class T>
class buffer {
public:
    buffer() = default;
    explicit buffer(std::size_t n) { resize(n); }
    buffer(const buffer&) = delete;
    buffer& operator=(const buffer&) = delete;
    buffer(buffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
    buffer& operator=(buffer&& o) noexcept {
        std::swap(p_, o.p_);
        std::swap(n_, o.n_);
        return *this;
    }
    ~buffer() {
        if (p_) cudaFree(p_);
    }

    // Grows only: workspaces are sized for the largest batch once.
    void resize(std::size_t n) {
        if (n <= n_) return; // (0 stays unallocated: data() is null)
        if (p_) NM_CUDA_CHECK(cudaFree(p_));
        p_ = nullptr;
        n_ = 0;
        const cudaError_t e = cudaMalloc(&p_, n * sizeof(T));
        if (e == cudaErrorMemoryAllocation) {
            p_ = nullptr;
            out_of_memory(n * sizeof(T));
        }
        NM_CUDA_CHECK(e);
        n_ = n;
    }
    T* data() const { return p_; }
    std::size_t size() const { return n_; }
    std::size_t bytes() const { return n_ * sizeof(T); }
    void upload(const T* host, std::size_t n) {
        resize(n);
        NM_CUDA_CHECK(cudaMemcpy(p_, host, n * sizeof(T), cudaMemcpyHostToDevice));
    }
    void download(T* host, std::size_t n) const {
        NM_CUDA_CHECK(cudaMemcpy(host, p_, n * sizeof(T), cudaMemcpyDeviceToHost));
    }

private:
    T* p_ = nullptr;
    std::size_t n_ = 0;
};

} // namespace nm::cuda
