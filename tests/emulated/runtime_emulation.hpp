// The part of the CUDA runtime and cuBLAS the trainer calls, on the host, so that the whole
// training step (src/backends/cuda/trainer.cu, compiled as C++ with NM_CUDA_EMULATED) runs
// against the CPU model where no GPU is present. Device memory is host memory; work on a stream
// runs at once, or, while the stream is captured, is recorded and run again at each launch of
// the graph, as CUDA graphs replay it; GEMMs sum in double. Include once per test program, after
// cuda_emulation.hpp: it defines the runtime's functions.
#pragma once

#include "emulated/cuda_emulation.hpp"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

struct CUgraph_st {
    std::vector<std::function<void()>> work;
};
struct CUgraphExec_st {
    std::vector<std::function<void()>> work;
};
struct CUstream_st {
    CUgraph_st* capture = nullptr; // the graph being recorded, while capturing
};
struct cublasContext {
    cudaStream_t stream = nullptr;
};

namespace nm::emulated {

// Runs `work` now, or records it into the graph its stream is capturing.
inline void enqueue(cudaStream_t stream, std::function<void()> work) {
    if (stream && stream->capture)
        stream->capture->work.push_back(std::move(work));
    else
        work();
}

inline float element(const void* p, cudaDataType type, std::size_t i) {
    return type == CUDA_R_16BF ? __bfloat162float(static_cast<const __nv_bfloat16*>(p)[i])
                               : static_cast<const float*>(p)[i];
}

} // namespace nm::emulated

namespace nm::cuda {

template<class... Params, class... Args>
void launch(void (*kernel)(Params...), unsigned grid, unsigned block, cudaStream_t stream,
            Args&&... args) {
    emulated::enqueue(stream, [=] { emulated::launch(kernel, grid, block, args...); });
}

int device_count() {
    return 1;
}
std::string require_device() {
    return "emulated CUDA device (host threads)";
}

} // namespace nm::cuda

cudaError_t cudaSetDevice(int) {
    return cudaSuccess;
}
cudaError_t cudaGetDeviceCount(int* count) {
    *count = 1;
    return cudaSuccess;
}
cudaError_t cudaGetLastError(void) {
    return cudaSuccess;
}
const char* cudaGetErrorString(cudaError_t) {
    return "emulated runtime error";
}
cudaError_t cudaDeviceSynchronize(void) {
    return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp* prop, int) {
    *prop = {};
    prop->multiProcessorCount = 1; // few propagation blocks: each is a block of fibers here
    return cudaSuccess;
}
cudaError_t cudaMemcpyToSymbol(const void* symbol, const void* src, size_t count, size_t offset,
                               enum cudaMemcpyKind) {
    std::memcpy(static_cast<char*>(const_cast<void*>(symbol)) + offset, src, count);
    return cudaSuccess;
}

// The emulated device holds 1 GiB.
constexpr size_t emulated_device_bytes = size_t{1} << 30;
cudaError_t cudaMalloc(void** p, size_t size) {
    *p = size <= emulated_device_bytes ? std::calloc(size, 1) : nullptr;
    return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
cudaError_t cudaMemGetInfo(size_t* free, size_t* total) {
    *free = *total = emulated_device_bytes;
    return cudaSuccess;
}
cudaError_t cudaFree(void* p) {
    std::free(p);
    return cudaSuccess;
}
cudaError_t cudaMallocHost(void** p, size_t size) {
    return cudaMalloc(p, size);
}
cudaError_t cudaHostAlloc(void** p, size_t size, unsigned int) {
    return cudaMalloc(p, size);
}
cudaError_t cudaFreeHost(void* p) {
    return cudaFree(p);
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, enum cudaMemcpyKind) {
    std::memcpy(dst, src, count);
    return cudaSuccess;
}
cudaError_t cudaMemset(void* p, int value, size_t count) {
    std::memset(p, value, count);
    return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, enum cudaMemcpyKind,
                            cudaStream_t stream) {
    nm::emulated::enqueue(stream, [=] { std::memcpy(dst, src, count); });
    return cudaSuccess;
}
cudaError_t cudaMemcpy2DAsync(void* dst, size_t dpitch, const void* src, size_t spitch,
                              size_t width, size_t height, enum cudaMemcpyKind,
                              cudaStream_t stream) {
    nm::emulated::enqueue(stream, [=] {
        for (size_t r = 0; r < height; ++r)
            std::memcpy(static_cast<char*>(dst) + r * dpitch,
                        static_cast<const char*>(src) + r * spitch, width);
    });
    return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void* p, int value, size_t count, cudaStream_t stream) {
    nm::emulated::enqueue(stream, [=] { std::memset(p, value, count); });
    return cudaSuccess;
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int) {
    *stream = new CUstream_st;
    return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
    delete stream;
    return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t) {
    return cudaSuccess;
}
cudaError_t cudaStreamBeginCapture(cudaStream_t stream, enum cudaStreamCaptureMode) {
    stream->capture = new CUgraph_st;
    return cudaSuccess;
}
cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t* graph) {
    *graph = stream->capture;
    stream->capture = nullptr;
    return cudaSuccess;
}
cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long) {
    *exec = new CUgraphExec_st{graph->work};
    return cudaSuccess;
}
cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
    delete graph;
    return cudaSuccess;
}
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
    delete exec;
    return cudaSuccess;
}
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
    for (const auto& work : exec->work) nm::emulated::enqueue(stream, work);
    return cudaSuccess;
}

cublasStatus_t cublasCreate_v2(cublasHandle_t* handle) {
    *handle = new cublasContext;
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDestroy_v2(cublasHandle_t handle) {
    delete handle;
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t stream) {
    handle->stream = stream;
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t, void*, size_t) {
    return CUBLAS_STATUS_SUCCESS;
}
const char* cublasGetStatusString(cublasStatus_t) {
    return "emulated cuBLAS error";
}

// Column-major C[m×n] = alpha·op(A)·op(B) + beta·C, as cuBLAS defines it; alpha and beta are read
// when the call is made (host pointer mode).
cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa,
                            cublasOperation_t transb, int m, int n, int k, const void* alpha,
                            const void* A, cudaDataType Atype, int lda, const void* B,
                            cudaDataType Btype, int ldb, const void* beta, void* C, cudaDataType,
                            int ldc, cublasComputeType_t, cublasGemmAlgo_t) {
    const float a = *static_cast<const float*>(alpha), b = *static_cast<const float*>(beta);
    const bool ta = transa != CUBLAS_OP_N, tb = transb != CUBLAS_OP_N;
    nm::emulated::enqueue(handle->stream, [=] {
        auto* c = static_cast<float*>(C);
        for (int j = 0; j < n; ++j)
            for (int i = 0; i < m; ++i) {
                double sum = 0;
                for (int p = 0; p < k; ++p) {
                    const std::size_t ai = ta ? p + std::size_t{static_cast<unsigned>(i)} * lda
                                              : i + std::size_t{static_cast<unsigned>(p)} * lda;
                    const std::size_t bi = tb ? j + std::size_t{static_cast<unsigned>(p)} * ldb
                                              : p + std::size_t{static_cast<unsigned>(j)} * ldb;
                    sum += static_cast<double>(nm::emulated::element(A, Atype, ai)) *
                           nm::emulated::element(B, Btype, bi);
                }
                float& out = c[i + std::size_t{static_cast<unsigned>(j)} * ldc];
                out = static_cast<float>(a * sum + (b != 0 ? b * out : 0.0));
            }
    });
    return CUBLAS_STATUS_SUCCESS;
}
