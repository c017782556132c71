// Finding the device and saying plainly when there is none.
#include "backends/cuda/check.hpp"
#include "backends/cuda/cuda.hpp"

#include <cstdio>

namespace nm::cuda {

int device_count() {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError(); // clear the sticky "no driver" status
        return 0;
    }
    return n;
}

std::string require_device() {
    int n = 0;
    const cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess || n == 0)
        throw device_error(std::string("--device cuda: no CUDA device is usable here (") +
                           (e != cudaSuccess ? cudaGetErrorString(e) : "the driver reports none") +
                           "); run on a machine with an NVIDIA GPU, or leave --device at cpu");
    cudaDeviceProp p{};
    NM_CUDA_CHECK(cudaGetDeviceProperties(&p, 0));
    char text[256];
    std::snprintf(text, sizeof text, "%s (sm_%d%d, %d SMs, %.1f GiB)", p.name, p.major, p.minor,
                  p.multiProcessorCount, static_cast<double>(p.totalGlobalMem) / (1u << 30));
    return text;
}

} // namespace nm::cuda
