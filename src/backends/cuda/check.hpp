// Every CUDA runtime and cuBLAS return code is checked: a failure becomes nm::device_error naming
// the call, the file and line, and the driver's own words.
#pragma once

#include "nm/errors.hpp"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

namespace nm::cuda {

inline void check(cudaError_t e, const char* call, const char* file, int line) {
    if (e != cudaSuccess)
        throw device_error(std::string("CUDA: ") + call + " failed at " + file + ":" +
                           std::to_string(line) + ": " + cudaGetErrorString(e));
}

inline void check(cublasStatus_t s, const char* call, const char* file, int line) {
    if (s != CUBLAS_STATUS_SUCCESS)
        throw device_error(std::string("cuBLAS: ") + call + " failed at " + file + ":" +
                           std::to_string(line) + ": " + cublasGetStatusString(s));
}

} // namespace nm::cuda

#define NM_CUDA_CHECK(call) ::nm::cuda::check((call), #call, __FILE__, __LINE__)
// After a kernel launch: a bad configuration shows up here, not at the next synchronisation.
#define NM_CUDA_LAUNCHED()                                                                         \
    ::nm::cuda::check(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)
