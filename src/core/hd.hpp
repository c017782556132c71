// NM_HD marks functions that run on host and device: __host__ __device__ under nvcc, nothing else.
#pragma once

#if defined(__CUDACC__)
#define NM_HD __host__ __device__ __forceinline__
#else
#define NM_HD inline
#endif
