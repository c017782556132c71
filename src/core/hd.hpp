// NM_HD marks functions that run on host and device: __host__ __device__ under nvcc, nothing else.
// NM_HD_INLINE also forces inlining on the host, for the pieces of a neuron loop that must be
// inlined for it to vectorise (GCC gives up on inlining large straight-line functions).
#pragma once

#if defined(__CUDACC__)
#define NM_HD __host__ __device__ __forceinline__
#define NM_HD_INLINE __host__ __device__ __forceinline__
#else
#define NM_HD inline
#define NM_HD_INLINE inline __attribute__((always_inline))
#endif

namespace nm {

// a·b rounded on its own, never fused with a neighbouring addition into an FMA: nvcc contracts
// by default where the CPU's baseline code (plasticity, stimuli) does not, so code shared by
// both rounds alike through it.
NM_HD double product(double a, double b) {
#if defined(__CUDA_ARCH__)
    return __dmul_rn(a, b);
#else
    return a * b;
#endif
}

} // namespace nm
