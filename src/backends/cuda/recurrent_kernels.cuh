// Recurrent LIF on the device (train::recurrent_lif_layer): each step's input needs the spikes
// of the step before, so the time loop runs in the captured graph, a GEMM and one of these step
// kernels per step (one thread per neuron of the batch), with the membrane carried between
// them and v* kept from forward for backward, as the CPU layer keeps it.
#pragma once

#include "backends/cuda/neuron_kernels.cuh"

#include <cstdint>

namespace nm::cuda {

// Forward of step t: x = (I_t + bias) + r (r = s_{t−1}·W, the recurrent input; none at t = 0),
// v* = β·v + x, the spike, the reset. Writes v* [T][width] and the spikes as `Out` and as bits
// (every lane of a warp reaches the ballot).
template<reset_mode R, class Out>
__global__ void recurrent_step(neuron_input in, int t, neuron_constants c, const float* recurrent,
                               float* v, float* vstar, Out* spikes, std::uint32_t* bits,
                               unsigned long long* count) {
    const std::size_t k = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    const bool live = k < in.width;
    float s = 0;
    if (live) {
        float x = in.current[t * in.step_stride + k] + in.bias_of(k);
        if (recurrent) x += recurrent[k];
        const float vs = c.beta * (t > 0 ? v[k] : 0.0f) + x;
        s = vs >= c.threshold ? 1.0f : 0.0f;
        vstar[t * in.width + k] = vs;
        v[k] = train::reset_value(R, vs, s, c.threshold);
        spikes[t * in.width + k] = from_float<Out>(s);
    }
    const unsigned word = __ballot_sync(0xffffffffu, s != 0);
    if ((threadIdx.x & 31) == 0 && live) bits[t * ((in.width + 31) / 32) + k / 32] = word;
    if (count) {
        unsigned fired = __popc(word);
        if ((threadIdx.x & 31) == 0 && fired)
            atomicAdd(count, static_cast<unsigned long long>(fired));
    }
}

// Backward of step t, time in reverse: G_t = (∂L/∂s_t + r + penalty)·S' + g_v·∂v_t/∂v*_t with
// r = G_{t+1}·Wᵀ (none at the last step), g_v ← β·G_t (gv carries it between steps). G_t is
// ∂L/∂I_t, written to out.dcurrent and added to the batch's per-neuron sums.
template<reset_mode R, surrogate_kind K, class Grad>
__global__ void recurrent_step_backward(std::size_t width, int t, bool last_step,
                                        neuron_constants c, train::surrogate sg, bool detach,
                                        float penalty, const float* dspikes, const float* recurrent,
                                        const float* vstar, float* gv, neuron_grads<Grad> out) {
    const std::size_t k = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    if (k >= width) return;
    const std::size_t at = t * width + k;
    const float vs = vstar[at];
    const float s = vs >= c.threshold ? 1.0f : 0.0f;
    const float sd = sg.derivative<K>(vs - c.threshold);
    const float ds = dspikes[at] + (recurrent ? recurrent[k] : 0.0f);
    const float carried = last_step ? 0.0f : gv[k];
    const float g =
        (ds + penalty) * sd + carried * train::reset_derivative(R, detach, vs, s, c.threshold, sd);
    gv[k] = c.beta * g;
    out.dcurrent[at] = from_float<Grad>(g);
    out.summed[k] = (last_step ? 0.0f : out.summed[k]) + g;
}

} // namespace nm::cuda
