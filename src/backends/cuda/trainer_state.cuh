// What the GPU trainer keeps on the device: each trained tensor with its gradient and moments,
// each block's state (weights, the spikes kept for backward, the residual adds' gradients),
// each resident dataset split as its input code needs it; and the GEMM call they all go
// through. Included by trainer.cu alone.
#pragma once

#include "backends/cuda/buffer.hpp"
#include "backends/cuda/check.hpp"
#include "backends/cuda/conv_kernels.cuh"
#include "backends/cuda/train_kernels.cuh"
#include "train/device_trainer.hpp"

#include <cuda_bf16.h>

#include <limits>
#include <type_traits>
#include <vector>

namespace nm::cuda {
namespace {

using bf16 = __nv_bfloat16;

// Row-major C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, float accumulation: cuBLAS is
// column-major, so it computes Cᵀ = op(B)ᵀ · op(A)ᵀ.
void gemm(cublasHandle_t h, bool ta, bool tb, int m, int n, int k, const void* a, int lda,
          const void* b, int ldb, float* c, int ldc, bool half, float alpha = 1, float beta = 0) {
    const cudaDataType type = half ? CUDA_R_16BF : CUDA_R_32F;
    NM_CUDA_CHECK(cublasGemmEx(h, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, n,
                               m, k, &alpha, b, type, ldb, a, type, lda, &beta, c, CUDA_R_32F, ldc,
                               CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

// Calls f with a value of the GEMM operand type: bfloat16 or float.
template<class F>
void with_operand(bool half, F&& f) {
    if (half)
        f(bf16{});
    else
        f(float{});
}

// A trained tensor on the device: its values, gradient and optimizer moments, and the interval
// the update keeps it in (train::parameter's low and high).
struct tensor_state {
    buffer<float> value, grad, m, v;
    double low = -std::numeric_limits<double>::infinity(),
           high = std::numeric_limits<double>::infinity();

    void resize(std::size_t n) {
        for (auto* p : {&value, &grad, &m, &v}) p->resize(n);
    }
    std::size_t bytes() const { return value.bytes() + grad.bytes() + m.bytes() + v.bytes(); }
};

struct layer_state {
    train::device_block spec;
    tensor_state w, b, beta, threshold; // b, beta, threshold: [outputs], when trained
    tensor_state recurrent;             // a recurrent layer's W [n][n]
    buffer<bf16> recurrent16;           // its copy for bfloat16 GEMMs
    buffer<float> vstar;                // a recurrent layer's v* [T][batch · n], from forward
    buffer<bf16> w16;                   // the GEMMs' copy, when this block's operands are bfloat16
    buffer<std::uint32_t> bits;         // hidden spikes kept for backward...
    buffer<std::uint16_t> counts;       // ...or graded counts
    bool half = false;                  // bfloat16 operands
    bool constant = false;     // direct-coded input: one current row per sample, every step
    buffer<std::uint8_t> keep; // with dropout on the input: this batch's mask [batch · inputs]
    // Read again by a residual add further on: its spikes are kept in every pass, and the add's
    // gradient waits in skip_grad [T][batch · outputs] until backward reaches this block.
    bool skip_source = false;
    buffer<float> skip_grad;

    // What the GEMMs scale this block's input by: its scale layers', and in training dropout's
    // 1/(1 − p) (train::dropout's, as the kept inputs are scaled there).
    float input_scale(bool training) const {
        const float dropout = static_cast<float>(1 / (1 - spec.dropout));
        return spec.input_scale * (training && spec.dropout > 0 ? dropout : 1.0f);
    }

    std::size_t weight_count() const {
        return spec.conv ? spec.out.channels * spec.in.channels * spec.kernel * spec.kernel
                         : spec.inputs * spec.outputs;
    }
    conv_geometry conv() const {
        const auto i = [](std::size_t v) { return static_cast<int>(v); };
        return {i(spec.in.channels),  i(spec.in.height),  i(spec.in.width),
                i(spec.out.channels), i(spec.out.height), i(spec.out.width),
                i(spec.kernel),       i(spec.stride),     i(spec.padding)};
    }
    // The spikes kept for backward, as a pooling reads them.
    pooled_spikes kept() const { return {bits.data(), spec.graded() ? counts.data() : nullptr}; }
    pool_geometry pool() const {
        return {static_cast<int>(spec.out.channels), static_cast<int>(spec.out.height),
                static_cast<int>(spec.out.width), static_cast<int>(spec.pool_kernel),
                spec.pool == 2};
    }

    // The trained tensors in the order of the CPU model's parameters (device_trainer::upload).
    std::vector<tensor_state*> tensors() {
        std::vector<tensor_state*> out{&w};
        if (spec.bias) out.push_back(&b);
        if (spec.learn_beta) out.push_back(&beta);
        if (spec.learn_threshold) out.push_back(&threshold);
        if (spec.recurrent) out.push_back(&recurrent);
        return out;
    }
    // The bfloat16 copy the GEMMs read of tensor t, refreshed with every update; null if none.
    bf16* half_copy(const tensor_state* t) {
        if (t == &w && half) return w16.data();
        if (t == &recurrent && recurrent16.size()) return recurrent16.data();
        return nullptr;
    }
    // Tensor t as a GEMM operand of type T.
    template<class T>
    const void* operand(const tensor_state& t) const {
        if constexpr (std::is_same_v<T, bf16>)
            return &t == &w ? w16.data() : recurrent16.data();
        else
            return t.value.data();
    }

    std::vector<const tensor_state*> tensors() const {
        const auto all = const_cast<layer_state*>(this)->tensors();
        return {all.begin(), all.end()};
    }
};

// A split of a dataset on the device, coded as the trainer's input code needs it.
struct resident_split {
    buffer<float> currents;           // direct code
    buffer<std::uint32_t> thresholds; // rate code: ceil(p · 2^24) per sample and channel
    // Other codes: sample s's spikes at events[offsets[s] .. offsets[s + 1]).
    buffer<std::uint64_t> offsets;
    buffer<coded_event> events;

    std::size_t bytes() const {
        return currents.bytes() + thresholds.bytes() + offsets.bytes() + events.bytes();
    }
};

} // namespace
} // namespace nm::cuda
