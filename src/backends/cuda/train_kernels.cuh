// The training step's kernels around the neurons: input coding on the device (the CPU encoder's
// Philox words), the loss on the output sequence, bias sums, and the optimizer update.
#pragma once

#include "backends/cuda/neuron_kernels.cuh"
#include "core/philox.hpp"
#include "train/augmentation.hpp"
#include "train/loss.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace nm::cuda {

// Values the host changes between replays of a captured step: read on the device, so one graph
// serves every batch.
struct step_values {
    double lr = 0, c1 = 1, c2 = 1; // learning rate, Adam's bias corrections
    std::uint32_t key = 0;         // added to the sample index for the input code's Philox draws
    std::uint32_t batch_key = 0;   // the dropout masks' step (model::set_training's key)
};

// Which samples a batch holds: rows[b], or first + b when rows is null.
struct batch_rows {
    const std::uint32_t* rows;
    std::uint32_t first, n;
    __device__ std::uint32_t operator[](std::uint32_t b) const {
        return rows ? rows[b] : first + b;
    }
};

// A channel's firing threshold on the 24-bit uniform draw: u = k / 2^24 < p exactly when
// k < ceil(p · 2^24), p = feature · max_rate · dt (coding::rate's product, in its order).
inline std::uint32_t rate_threshold(double feature, double max_rate, double dt) {
    const double p = feature * max_rate * dt * 1e-3;
    return static_cast<std::uint32_t>(std::clamp(std::ceil(p * 16777216.0), 0.0, 16777216.0));
}

// Bernoulli rate code, bit-identical to coding::rate: channel c at step t fires when word c & 3
// of Philox block (c >> 2, t, stream, sample) is under the channel's threshold, which the host
// precomputes as ceil(p · 2^24) so the comparison is exact in integers; with a dead time, a
// channel that fired stays silent for `dead` steps (its draws unused). One thread per block of
// four channels, per step without a dead time, over all steps with one (the silences run in
// time); the spike count goes to `count` when set. Training images are transformed first when
// `aug` is active (train::augment_image's draws: padding reads as 0, never fires).
// The threads encode_rate takes for n samples: one per four channels and step, or per four
// channels without the steps when a dead time makes each run through them.
__host__ __device__ inline std::size_t rate_threads(std::size_t channels, std::size_t n, int steps,
                                                    int dead) {
    return (channels + 3) / 4 * n * static_cast<std::size_t>(dead > 0 ? 1 : steps);
}

template<class Out>
static __global__ void encode_rate(const std::uint32_t* thresholds, batch_rows rows, int channels,
                                   int steps, int dead, const step_values* values,
                                   train::augmentation aug, std::uint32_t k0, std::uint32_t k1,
                                   std::uint32_t stream, Out* x, unsigned long long* count) {
    const int groups = (channels + 3) / 4;
    const std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    const int per_thread = dead > 0 ? steps : 1; // steps one thread draws
    unsigned fired = 0;
    if (i < rate_threads(static_cast<std::size_t>(channels), rows.n, steps, dead)) {
        const auto g = static_cast<std::uint32_t>(i % groups);
        const auto b = static_cast<std::uint32_t>(i / groups % rows.n);
        const auto first = static_cast<std::uint32_t>(i / groups / rows.n);
        const std::uint32_t row = rows[b];
        const std::uint32_t* th = thresholds + std::size_t{row} * channels;
        const train::image_transform tf =
            aug.active() ? train::transform_of(aug, row + values->key) : train::image_transform{};
        int quiet[4] = {0, 0, 0, 0};
        for (std::uint32_t t = first; t < first + per_thread; ++t) {
            const philox_block blk = philox4x32(g, t, stream, row + values->key, k0, k1);
            Out* out = x + (std::size_t{t} * rows.n + b) * channels;
            for (int w = 0; w < 4; ++w) {
                const int c = 4 * static_cast<int>(g) + w;
                if (c >= channels) break;
                const std::int64_t from = aug.active() ? train::source_of(aug, tf, c) : c;
                bool s = false;
                if (quiet[w] > 0)
                    --quiet[w];
                else if (from >= 0 && (blk.w[w] >> 8) < th[from]) {
                    s = true;
                    quiet[w] = dead;
                }
                out[c] = from_float<Out>(s ? 1.0f : 0.0f);
                fired += s;
            }
        }
    }
    if (count) {
        for (int off = 16; off > 0; off >>= 1) fired += __shfl_down_sync(0xffffffffu, fired, off);
        if ((threadIdx.x & 31) == 0 && fired)
            atomicAdd(count, static_cast<unsigned long long>(fired));
    }
}

// One spike of a deterministic input code (train::device_input::events): `count` spikes of
// `channel` at `step`; a sample's events name each (step, channel) once (coding::encode merges).
struct coded_event {
    std::uint32_t channel;
    std::uint16_t step, count;
};

// Event-coded input: one block per sample of the batch, its threads over the sample's events,
// each written at x [step][b][channel] (zeroed before); the spike count goes to `count` when
// set.
template<class Out>
static __global__ void scatter_events(const std::uint64_t* offsets, const coded_event* events,
                                      batch_rows rows, int channels, Out* x,
                                      unsigned long long* count) {
    const std::uint32_t b = blockIdx.x, row = rows[b];
    unsigned long long fired = 0;
    for (std::uint64_t e = offsets[row] + threadIdx.x; e < offsets[row + 1]; e += blockDim.x) {
        const coded_event ev = events[e];
        x[(std::size_t{ev.step} * rows.n + b) * channels + ev.channel] =
            from_float<Out>(static_cast<float>(ev.count));
        fired += ev.count;
    }
    if (count && fired) atomicAdd(count, fired);
}

// Direct code: the batch's feature rows as currents (one copy: the first layer's GEMM runs once),
// transformed as encode_rate transforms them when `aug` is active.
static __global__ void gather_rows(const float* features, batch_rows rows, int channels,
                                   const step_values* values, train::augmentation aug, float* x) {
    const std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    if (i >= std::size_t{rows.n} * channels) return;
    const std::uint32_t row = rows[static_cast<std::uint32_t>(i / channels)];
    const auto c = static_cast<std::int64_t>(i % channels);
    const std::int64_t from =
        aug.active() ? train::source_of(aug, train::transform_of(aug, row + values->key), c) : c;
    x[i] = from >= 0 ? features[std::size_t{row} * channels + from] : 0.0f;
}

// One thread per sample: train::sample_loss (the CPU's own arithmetic) on the output sequence
// y [T][n][C], the sample's logits and loss, and its columns of ∂L/∂y.
static __global__ void sequence_loss(const float* y, batch_rows rows, const std::int32_t* labels,
                                     int classes, int steps, train::loss_options o, float* logits,
                                     float* losses, float* dy) {
    const std::uint32_t b = blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= rows.n) return;
    const std::size_t first = std::size_t{b} * classes;
    losses[b] = train::sample_loss(o, y, first, std::size_t{rows.n} * classes, steps, classes,
                                   labels[rows[b]], static_cast<int>(rows.n), logits + first, dy);
}

// train::dropout's mask of one batch: feature k of the batch is kept when the layer's uniform
// draw (k, batch key) is at least p.
static __global__ void dropout_mask(rng_stream rng, double p, std::size_t width,
                                    const step_values* values, std::uint8_t* keep) {
    const std::size_t k = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    if (k < width)
        keep[k] = rng.uniform(static_cast<std::uint32_t>(k), values->batch_key) >= p ? 1 : 0;
}

// x[t][k] = 0 where feature k is dropped, at every step (the 1/(1 − p) goes into the GEMMs).
template<class T>
static __global__ void apply_mask(const std::uint8_t* keep, std::size_t width, int steps, T* x) {
    const std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    if (i < width * steps && !keep[i % width]) x[i] = from_float<T>(0.0f);
}

// out[j] = Σ_b in[b][j], in a fixed order (deterministic, unlike atomics).
static __global__ void column_sums(const float* in, int rows, int columns, float* out) {
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= columns) return;
    float s = 0;
    for (int r = 0; r < rows; ++r) s += in[static_cast<std::size_t>(r) * columns + j];
    out[j] = s;
}

// Squares of a gradient summed per block of a fixed grid (deterministic global-norm clipping).
constexpr int norm_blocks = 120;
static __global__ void square_sums(const float* g, std::size_t n, double* partial) {
    __shared__ double part[256];
    double s = 0;
    for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < n;
         i += std::size_t{gridDim.x} * blockDim.x)
        s += static_cast<double>(g[i]) * g[i];
    part[threadIdx.x] = s;
    __syncthreads();
    for (unsigned h = blockDim.x / 2; h > 0; h >>= 1) {
        if (threadIdx.x < h) part[threadIdx.x] += part[threadIdx.x + h];
        __syncthreads();
    }
    if (threadIdx.x == 0) partial[blockIdx.x] = part[0];
}

// The clip factor from all tensors' partial sums: clip/‖g‖ when over, else 1.
static __global__ void clip_scale(const double* partial, int n, double clip, double* scale) {
    double s = 0;
    for (int i = 0; i < n; ++i) s += partial[i];
    const double norm = sqrt(s);
    *scale = norm > clip ? clip / norm : 1.0;
}

struct optimizer_constants {
    int kind; // train::optimizer_kind: sgd, adam, adamw
    double beta1, beta2, eps, momentum, weight_decay;
};

// train::optimizer's update, element by element in double, the result kept in [low, high]; also
// refreshes the bfloat16 copy of the weights the GEMMs read, when there is one.
static __global__ void optimizer_update(float* w, const float* grad, float* m, float* v,
                                        std::size_t n, optimizer_constants o,
                                        const step_values* values, const double* scale, double low,
                                        double high, __nv_bfloat16* w16) {
    const std::size_t k = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    if (k >= n) return;
    const double lr = values->lr, c1 = values->c1, c2 = values->c2;
    double g = grad[k] * (scale ? *scale : 1.0);
    double x = w[k];
    if (o.kind == 0) {
        g += o.weight_decay * x;
        m[k] = static_cast<float>(o.momentum * m[k] + g);
        x -= lr * m[k];
    } else {
        if (o.kind == 1) g += o.weight_decay * x;
        m[k] = static_cast<float>(o.beta1 * m[k] + (1 - o.beta1) * g);
        v[k] = static_cast<float>(o.beta2 * v[k] + (1 - o.beta2) * g * g);
        x -= lr * (m[k] / c1) / (sqrt(v[k] / c2) + o.eps);
        if (o.kind == 2) x -= lr * o.weight_decay * w[k];
    }
    w[k] = static_cast<float>(fmin(fmax(x, low), high));
    if (w16) w16[k] = __float2bfloat16_rn(w[k]);
}

static __global__ void to_bf16(const float* x, std::size_t n, __nv_bfloat16* y) {
    const std::size_t k = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    if (k < n) y[k] = __float2bfloat16_rn(x[k]);
}

} // namespace nm::cuda
