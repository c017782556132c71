// Device memory owned by one object (freed on destruction, moved not copied), with the byte
// count every allocation adds to a trainer's memory report.
#pragma once

#include "backends/cuda/check.hpp"

#include <cstddef>
#include <utility>

namespace nm::cuda {

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
        NM_CUDA_CHECK(cudaMalloc(&p_, n * sizeof(T)));
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
