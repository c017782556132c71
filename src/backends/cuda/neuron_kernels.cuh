// Fused multi-step neuron kernels for training (SpikingJelly's pattern): one thread per neuron
// of the batch, the time loop inside. Forward integrates, fires and resets over all T steps;
// backward recomputes v* from the input currents (nothing but the spikes of hidden layers is
// kept from forward), then runs time in reverse. The arithmetic is the CPU layers' own
// (train/reset.hpp, train/surrogate.hpp), so a neuron fed the same currents fires the same spikes.
#pragma once

#include "train/reset.hpp"
#include "train/surrogate.hpp"

#include <cuda_bf16.h>

#include <cstdint>

namespace nm::cuda {

using train::reset_mode;
using train::surrogate_kind;

template<class T>
__device__ __forceinline__ T from_float(float x) {
    if constexpr (std::is_same_v<T, float>)
        return x;
    else
        return __float2bfloat16_rn(x);
}

template<class T>
__device__ __forceinline__ float to_float(T x) {
    if constexpr (std::is_same_v<T, float>)
        return x;
    else
        return __bfloat162float(x);
}

// What every neuron kernel reads: input currents I[t][b][j] (a row stride of 0: the same
// currents at every step, from a constant input), an optional bias per neuron, the sizes.
struct neuron_input {
    const float* current;
    std::size_t step_stride; // elements between steps of `current`: width, or 0
    const float* bias;       // [n] or null
    int n;                   // neurons per sample
    std::size_t width;       // batch · n
    int steps;
};

struct lif_constants {
    float beta, threshold;
};

// Forward of a LIF layer. Writes the spikes as `Out` (the next GEMM's operand) when `spikes`
// is set, packs them 32 to a word (bits[t][k / 32], bit k % 32) when `bits` is set, and adds
// the spike count to `count` when set. Every lane of a warp reaches the ballot.
template<reset_mode R, class Out>
static __global__ void lif_forward(neuron_input in, lif_constants c, Out* spikes,
                                   std::uint32_t* bits, unsigned long long* count) {
    const std::size_t k = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    const bool live = k < in.width;
    const float bias = live && in.bias ? in.bias[k % in.n] : 0.0f;
    const std::size_t words = (in.width + 31) / 32;
    float v = 0;
    unsigned fired = 0;
    for (int t = 0; t < in.steps; ++t) {
        const float vstar =
            c.beta * v + ((live ? in.current[t * in.step_stride + k] : 0.0f) + bias);
        const float s = live && vstar >= c.threshold ? 1.0f : 0.0f;
        v = train::reset_value(R, vstar, s, c.threshold);
        fired += s != 0;
        if (spikes && live) spikes[t * in.width + k] = from_float<Out>(s);
        if (bits) {
            const unsigned word = __ballot_sync(0xffffffffu, s != 0);
            if ((threadIdx.x & 31) == 0 && k < in.width) bits[t * words + k / 32] = word;
        }
    }
    if (count) {
        for (int off = 16; off > 0; off >>= 1) fired += __shfl_down_sync(0xffffffffu, fired, off);
        if ((threadIdx.x & 31) == 0 && fired)
            atomicAdd(count, static_cast<unsigned long long>(fired));
    }
}

// Forward of a leaky-integrator readout: y_t = β·y_{t−1} + I_t.
static __global__ void li_forward(neuron_input in, float beta, float* y) {
    const std::size_t k = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    if (k >= in.width) return;
    const float bias = in.bias ? in.bias[k % in.n] : 0.0f;
    float v = 0;
    for (int t = 0; t < in.steps; ++t) {
        v = beta * v + (in.current[t * in.step_stride + k] + bias);
        y[t * in.width + k] = v;
    }
}

// What a backward kernel writes: ∂L/∂I_t as `Grad` (the operand of the weight-gradient and
// input-gradient GEMMs), and Σ_t ∂L/∂I_t per neuron of the batch (the bias gradient, and the
// whole gradient of a constant input's currents).
template<class Grad>
struct neuron_grads {
    Grad* dcurrent; // [T][width]
    float* summed;  // [width]
};

// Backward of a LIF layer from ∂L/∂s_t (`dspikes`, [T][width]). v*_t is recomputed from the
// currents into `vstar` ([T][width]; it may be the currents themselves when they have one row
// per step), then G_t = (∂L/∂s_t + penalty)·S'(v*_t − θ) + g_v·∂v_t/∂v*_t, g_v ← β·G_t.
template<reset_mode R, surrogate_kind K, class Grad>
static __global__ void lif_backward(neuron_input in, lif_constants c, train::surrogate sg,
                                    bool detach, float penalty, const float* dspikes, float* vstar,
                                    neuron_grads<Grad> out) {
    const std::size_t k = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    if (k >= in.width) return;
    const float bias = in.bias ? in.bias[k % in.n] : 0.0f;
    float v = 0;
    for (int t = 0; t < in.steps; ++t) {
        const float vs = c.beta * v + (in.current[t * in.step_stride + k] + bias);
        vstar[t * in.width + k] = vs;
        v = train::reset_value(R, vs, vs >= c.threshold ? 1.0f : 0.0f, c.threshold);
    }
    float gv = 0, summed = 0;
    for (int t = in.steps - 1; t >= 0; --t) {
        const std::size_t at = t * in.width + k;
        const float vs = vstar[at], s = vs >= c.threshold ? 1.0f : 0.0f;
        const float sd = sg.derivative<K>(vs - c.threshold);
        const float g = (dspikes[at] + penalty) * sd +
                        gv * train::reset_derivative(R, detach, vs, s, c.threshold, sd);
        out.dcurrent[at] = from_float<Grad>(g);
        summed += g;
        gv = c.beta * g;
    }
    out.summed[k] = summed;
}

// Backward of the leaky-integrator readout: G_t = ∂L/∂y_t + β·G_{t+1}.
template<class Grad>
static __global__ void li_backward(neuron_input in, float beta, const float* dy,
                                   neuron_grads<Grad> out) {
    const std::size_t k = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    if (k >= in.width) return;
    float gv = 0, summed = 0;
    for (int t = in.steps - 1; t >= 0; --t) {
        const std::size_t at = t * in.width + k;
        const float g = dy[at] + gv;
        out.dcurrent[at] = from_float<Grad>(g);
        summed += g;
        gv = beta * g;
    }
    out.summed[k] = summed;
}

// Spikes kept as bits back into a GEMM operand: x[t][k] = bit k of step t.
template<class Out>
static __global__ void unpack_bits(const std::uint32_t* bits, std::size_t width, int steps,
                                   Out* x) {
    const std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    if (i >= width * steps) return;
    const std::size_t t = i / width, k = i % width;
    const std::size_t words = (width + 31) / 32;
    x[i] = from_float<Out>(static_cast<float>((bits[t * words + k / 32] >> (k % 32)) & 1u));
}

} // namespace nm::cuda
