// Fused multi-step neuron kernels for training (SpikingJelly's pattern): one thread per neuron
// of the batch, the time loop inside; LIF/IF, CuBa-LIF and adaptive LIF share one forward and
// one backward kernel, instantiated per kind, reset and surrogate. Forward integrates, fires and
// resets over all T steps; backward recomputes v* from the input currents (nothing but the spikes
// of hidden layers is kept from forward), then runs time in reverse. The arithmetic is the CPU
// layers' own (train/reset.hpp, train/surrogate.hpp), so a neuron fed the same currents fires the
// same spikes.
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

// What every neuron kernel reads: input currents I[t][b][j] (a row stride of 0: the same
// currents at every step, from a constant input), an optional bias per neuron, the sizes, and
// the learned decays and thresholds of a layer that trains them.
struct neuron_input {
    const float* current;
    std::size_t step_stride; // elements between steps of `current`: width, or 0
    const float* bias;       // [n] or null
    int n;                   // neurons per sample
    std::size_t width;       // batch · n
    int steps;
    const float* beta = nullptr;      // [n], or null: the layer's constant
    const float* threshold = nullptr; // [n], or null: the layer's constant
    int bias_every = 1;               // neurons sharing one bias: a conv channel's pixels

    __device__ float bias_of(std::size_t k) const { return bias ? bias[k % n / bias_every] : 0.0f; }
};

// The spiking layers a kernel instantiates (the CPU layers they mirror: lif_layer,
// cuba_lif_layer, alif_layer, rf_layer, graded_lif_layer).
enum class neuron_kind : int { lif = 0, cuba_lif = 2, alif = 3, rf = 4, graded = 5 };

struct neuron_constants {
    float beta = 0.9f, threshold = 1.0f;
    float alpha = 0.8f;                      // cuba_lif: synaptic current decay per step
    float adapt = 0.2f, adapt_decay = 0.98f; // alif: threshold rise per unit of a; a's decay
    float rf_c = 0.0f, rf_d = 0.0f;          // rf: λ = β·e^{iω} = c + i·d
    train::softplus_ramp ramp;               // graded: the staircase and its surrogate
};

// The constants of neuron k of the batch: the layer's, with its learned decay and threshold.
__device__ __forceinline__ neuron_constants at_neuron(neuron_constants c, const neuron_input& in,
                                                      std::size_t k) {
    if (in.beta) c.beta = in.beta[k % in.n];
    if (in.threshold) c.threshold = in.threshold[k % in.n];
    return c;
}

// One neuron's state over time and its step, as the CPU layer computes it. The CuBa and
// adaptive layers round every product and sum (their CPU loops are not contracted into FMAs);
// LIF lets the compiler fuse, as the CPU's vectorised LIF loop does.
template<neuron_kind Kind>
struct neuron_state {
    float v = 0, i = 0, a = 0; // membrane (rf: its real part), current, adaptation
    float b = 0, b_star = 0;   // rf: the imaginary part after and before the reset

    // v* and the threshold it is compared with at this step, from the input x.
    __device__ float charge(const neuron_constants& c, float x, float& theta) {
        theta = c.threshold;
        if constexpr (Kind == neuron_kind::cuba_lif) {
            i = __fadd_rn(__fmul_rn(c.alpha, i), x);
            return __fadd_rn(__fmul_rn(c.beta, v), i);
        } else if constexpr (Kind == neuron_kind::alif) {
            theta = __fadd_rn(c.threshold, __fmul_rn(c.adapt, a));
            return __fadd_rn(__fmul_rn(c.beta, v), x);
        } else if constexpr (Kind == neuron_kind::graded) {
            return __fadd_rn(__fmul_rn(c.beta, v), x);
        } else if constexpr (Kind == neuron_kind::rf) {
            b_star = __fadd_rn(__fmul_rn(c.rf_d, v), __fmul_rn(c.rf_c, b));
            return __fadd_rn(__fsub_rn(__fmul_rn(c.rf_c, v), __fmul_rn(c.rf_d, b)), x);
        } else {
            return c.beta * v + x;
        }
    }

    // The spikes emitted at v*: 0/1, or the graded count min(floor(v*/θ), n_max).
    __device__ float fire(const neuron_constants& c, float vstar, float theta) const {
        if constexpr (Kind == neuron_kind::graded) return c.ramp.count(vstar / theta);
        return vstar >= theta ? 1.0f : 0.0f;
    }

    template<reset_mode R>
    __device__ void reset(const neuron_constants& c, float vstar, float s, float theta) {
        if constexpr (Kind == neuron_kind::graded) { // θ·n rounds: no fused multiply-subtract
            v = R == reset_mode::subtract ? __fsub_rn(vstar, __fmul_rn(theta, s)) : vstar;
            return;
        }
        v = train::reset_value(R, vstar, s, theta);
        if constexpr (Kind == neuron_kind::alif) a = __fadd_rn(__fmul_rn(c.adapt_decay, a), s);
        if constexpr (Kind == neuron_kind::rf)
            b = R == reset_mode::zero ? b_star * (1 - s) : b_star;
    }
};

// What forward keeps of a hidden layer's spikes for backward: 0/1 spikes packed 32 to a word
// (bits[t][k / 32], bit k % 32), or graded counts (counts[t][k]); neither for the last layer.
struct kept_spikes {
    std::uint32_t* bits = nullptr;
    std::uint16_t* counts = nullptr;
};

// Forward of a spiking layer. Writes the spikes as `Out` (the next GEMM's operand) when
// `spikes` is set, keeps them for backward as `keep` says, and adds the spikes (graded ones by
// size) to `count` when set. Every lane of a warp reaches the ballot.
template<neuron_kind Kind, reset_mode R, class Out>
__global__ void spiking_forward(neuron_input in, neuron_constants layer, Out* spikes,
                                kept_spikes keep, unsigned long long* count) {
    const std::size_t k = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    const bool live = k < in.width;
    const neuron_constants c = at_neuron(layer, in, k);
    const float bias = live ? in.bias_of(k) : 0.0f;
    const std::size_t words = (in.width + 31) / 32;
    neuron_state<Kind> n;
    unsigned fired = 0;
    for (int t = 0; t < in.steps; ++t) {
        float theta;
        const float x = (live ? in.current[t * in.step_stride + k] : 0.0f) + bias;
        const float vstar = n.charge(c, x, theta);
        const float s = live ? n.fire(c, vstar, theta) : 0.0f;
        n.template reset<R>(c, vstar, s, theta);
        fired += static_cast<unsigned>(s); // graded spikes add their size, as on the CPU
        if (spikes && live) spikes[t * in.width + k] = from_float<Out>(s);
        if (keep.counts && live) keep.counts[t * in.width + k] = static_cast<std::uint16_t>(s);
        if (keep.bits) {
            const unsigned word = __ballot_sync(0xffffffffu, s != 0);
            if ((threadIdx.x & 31) == 0 && k < in.width) keep.bits[t * words + k / 32] = word;
        }
    }
    if (count) {
        for (int off = 16; off > 0; off >>= 1) fired += __shfl_down_sync(0xffffffffu, fired, off);
        if ((threadIdx.x & 31) == 0 && fired)
            atomicAdd(count, static_cast<unsigned long long>(fired));
    }
}

// Forward of a leaky-integrator readout: y_t = β·y_{t−1} + I_t.
static __global__ void li_forward(neuron_input in, float layer_beta, float* y) {
    const std::size_t k = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    if (k >= in.width) return;
    const float beta = in.beta ? in.beta[k % in.n] : layer_beta;
    const float bias = in.bias_of(k);
    float v = 0;
    for (int t = 0; t < in.steps; ++t) {
        v = beta * v + (in.current[t * in.step_stride + k] + bias);
        y[t * in.width + k] = v;
    }
}

// What a backward kernel writes: ∂L/∂I_t as `Grad` (the operand of the weight-gradient and
// input-gradient GEMMs), Σ_t ∂L/∂I_t per neuron of the batch (the bias gradient, and the whole
// gradient of a constant input's currents), and, for a layer that learns them, each neuron of
// the batch's share of ∂L/∂β and ∂L/∂θ (summed over the batch afterwards).
template<class Grad>
struct neuron_grads {
    Grad* dcurrent;             // [T][width]
    float* summed;              // [width]
    float* beta = nullptr;      // [width], or null
    float* threshold = nullptr; // [width], or null
};

// Backward of a spiking layer from ∂L/∂s_t (`dspikes`, [T][width]). v*_t (and into `aux` an
// adaptive layer's threshold θ_t or a resonator's imaginary part b*_t) is recomputed from the
// currents into `vstar` ([T][width]; it may be the currents themselves when they have one row
// per step), then time runs in reverse with the CPU layers' recurrences:
//   LIF       G_t = (∂L/∂s_t + penalty)·S'(v*_t − θ) + g_v·∂v_t/∂v*_t,   g_v ← β·G_t
//   CuBa-LIF  G_v = as LIF,  G_t = G_v + g_i,   g_v ← β·G_v,   g_i ← α·G_t
//   ALIF      G_s = ∂L/∂s_t + penalty + g_a + g_v·∂v_t/∂s_t,  G_t = G_s·S' + g_v·∂v_t/∂v*_t,
//             G_θ = −G_s·S' + g_v·∂v_t/∂θ_t,   g_v ← β·G_t,   g_a ← ρ·g_a + b·G_θ
//   graded    G_t = (∂L/∂n_t + penalty)·N' + g_v·∂v_t/∂v*_t,   g_v ← β·G_t
//   RF        G_t = (∂L/∂s_t + penalty)·S' + g_a·∂a_t/∂a*_t + g_b·∂b_t/∂a*_t,
//             G_b = g_b·∂b_t/∂b*_t,   g_a ← c·G_t + d·G_b,   g_b ← −d·G_t + c·G_b
//   learned  ∂L/∂β += G_v·v_{t−1} (LIF and CuBa-LIF),  ∂L/∂θ += −(∂L/∂s_t + penalty)·S' +
//            g_v·∂v_t/∂θ  (LIF, as
//            lif_layer: ∂v/∂θ = v*·S' for the zero reset, −s + θ·S' for subtract, S' terms
//            only with the reset attached)
template<neuron_kind Kind, reset_mode R, surrogate_kind K, class Grad>
__global__ void spiking_backward(neuron_input in, neuron_constants layer, train::surrogate sg,
                                 bool detach, float penalty, const float* dspikes, float* vstar,
                                 float* aux, neuron_grads<Grad> out) {
    const std::size_t k = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    if (k >= in.width) return;
    const neuron_constants c = at_neuron(layer, in, k);
    const float bias = in.bias_of(k);
    neuron_state<Kind> n;
    for (int t = 0; t < in.steps; ++t) {
        float th;
        const std::size_t at = t * in.width + k;
        const float vs = n.charge(c, in.current[t * in.step_stride + k] + bias, th);
        vstar[at] = vs;
        if constexpr (Kind == neuron_kind::alif) aux[at] = th;
        if constexpr (Kind == neuron_kind::rf) aux[at] = n.b_star;
        n.template reset<R>(c, vs, n.fire(c, vs, th), th);
    }
    float gv = 0, gi = 0, ga = 0, summed = 0, gbeta = 0, gthreshold = 0;
    for (int t = in.steps - 1; t >= 0; --t) {
        const std::size_t at = t * in.width + k;
        const float vs = vstar[at];
        const float th = Kind == neuron_kind::alif ? aux[at] : c.threshold;
        const float s = n.fire(c, vs, th);
        const float sd = sg.derivative<K>(vs - th);
        float g;
        if constexpr (Kind == neuron_kind::graded) {
            // N' = ∂n/∂v* = ramp'(v*/θ)/θ;  ∂v_t/∂v*_t = 1 − θ·N' with the reset attached.
            const float dn = c.ramp.derivative(vs / th) / th;
            const bool attached = R == reset_mode::subtract && !detach;
            g = (dspikes[at] + penalty) * dn + gv * (attached ? 1 - th * dn : 1.0f);
            gv = c.beta * g;
        } else if constexpr (Kind == neuron_kind::alif) {
            float dv_ds = 0, dv_dvs = 1, dv_dth = 0;
            if (R == reset_mode::zero) {
                dv_ds = detach ? 0 : -vs;
                dv_dvs = 1 - s;
            } else if (R == reset_mode::subtract) {
                dv_ds = detach ? 0 : -th;
                dv_dth = detach ? 0 : -s;
            }
            const float gs = dspikes[at] + penalty + ga + gv * dv_ds;
            g = gs * sd + gv * dv_dvs;
            ga = c.adapt_decay * ga + c.adapt * (-gs * sd + gv * dv_dth);
            gv = c.beta * g;
        } else if constexpr (Kind == neuron_kind::rf) {
            const bool zero = R == reset_mode::zero;
            const float bs = aux[at];
            const float db_das = zero && !detach ? -bs * sd : 0.0f;
            const float db_dbs = zero ? 1 - s : 1.0f;
            g = (dspikes[at] + penalty) * sd +
                gv * train::reset_derivative(R, detach, vs, s, c.threshold, sd) + gi * db_das;
            const float gbs = gi * db_dbs;
            gv = c.rf_c * g + c.rf_d * gbs;  // g_a
            gi = -c.rf_d * g + c.rf_c * gbs; // g_b
        } else {
            const float gs = dspikes[at] + penalty;
            const float gvs =
                gs * sd + gv * train::reset_derivative(R, detach, vs, s, c.threshold, sd);
            g = Kind == neuron_kind::cuba_lif ? gvs + gi : gvs;
            if (out.beta && t > 0) { // β multiplies v only: the membrane's share, G_v
                const float before = vstar[at - in.width];
                gbeta += gvs *
                         train::reset_value(R, before, n.fire(c, before, c.threshold), c.threshold);
            }
            if constexpr (Kind == neuron_kind::lif) {
                if (out.threshold) {
                    float dv_dth = 0;
                    if (R == reset_mode::zero && !detach) dv_dth = vs * sd;
                    if (R == reset_mode::subtract) dv_dth = -s + (detach ? 0 : c.threshold * sd);
                    gthreshold += -gs * sd + gv * dv_dth;
                }
            }
            gv = c.beta * gvs;
            if constexpr (Kind == neuron_kind::cuba_lif) gi = c.alpha * g;
        }
        out.dcurrent[at] = from_float<Grad>(g);
        summed += g;
    }
    out.summed[k] = summed;
    if (out.beta) out.beta[k] = gbeta;
    if (out.threshold) out.threshold[k] = gthreshold;
}

// Backward of the leaky-integrator readout: G_t = ∂L/∂y_t + β·G_{t+1}; with a learned decay,
// ∂L/∂β += G_t·y_{t−1} from the forward output y.
template<class Grad>
static __global__ void li_backward(neuron_input in, float layer_beta, const float* dy,
                                   const float* y, neuron_grads<Grad> out) {
    const std::size_t k = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    if (k >= in.width) return;
    const float beta = in.beta ? in.beta[k % in.n] : layer_beta;
    float gv = 0, summed = 0, gbeta = 0;
    for (int t = in.steps - 1; t >= 0; --t) {
        const std::size_t at = t * in.width + k;
        const float g = dy[at] + gv;
        out.dcurrent[at] = from_float<Grad>(g);
        summed += g;
        if (out.beta && t > 0) gbeta += g * y[at - in.width];
        gv = beta * g;
    }
    out.summed[k] = summed;
    if (out.beta) out.beta[k] = gbeta;
}

// x = s, or x += s with Add (a residual add's second operand; spike counts are exact in
// bfloat16 up to 256).
template<bool Add, class Out>
__device__ __forceinline__ void put(Out& x, float s) {
    if constexpr (!Add)
        x = from_float<Out>(s);
    else if constexpr (std::is_same_v<Out, float>)
        x += s;
    else
        x = from_float<Out>(__bfloat162float(x) + s);
}

// Graded counts kept for backward back into a GEMM operand.
template<class Out, bool Add = false>
__global__ void unpack_counts(const std::uint16_t* counts, std::size_t n, Out* x) {
    const std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    if (i < n) put<Add>(x[i], static_cast<float>(counts[i]));
}

// Spikes kept as bits back into a GEMM operand: x[t][k] = bit k of step t.
template<class Out, bool Add = false>
static __global__ void unpack_bits(const std::uint32_t* bits, std::size_t width, int steps,
                                   Out* x) {
    const std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    if (i >= width * steps) return;
    const std::size_t t = i / width, k = i % width;
    const std::size_t words = (width + 31) / 32;
    put<Add>(x[i], static_cast<float>((bits[t * words + k / 32] >> (k % 32)) & 1u));
}

// dst += src, elementwise (a residual add's gradient reaching the layer it came from).
static __global__ void accumulate(const float* src, std::size_t n, float* dst) {
    const std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    if (i < n) dst[i] += src[i];
}

} // namespace nm::cuda
