// NM_VECTOR_CLONES compiles a hot loop twice, for x86-64-v3 (AVX2 + FMA) and for the baseline,
// and the loader picks one per machine (GCC's target_clones, an ifunc): the release build
// stays portable while an AVX2 machine runs the neuron loops four doubles wide (COBA: 3.7x
// faster than the SSE2 loop). The clones may differ in the last bits (FMA contraction), so a
// seed's results are reproducible per machine type and thread count, not across CPU families.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#define NM_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
// Loops that stream whole 64-byte vectors from L1 (the spike products) gain from AVX-512 too.
#define NM_WIDE_VECTOR_CLONES                                                                      \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define NM_VECTOR_CLONES
#define NM_WIDE_VECTOR_CLONES
#endif
