// Convolution and pooling around the neuron kernels, on T·B images laid out [image][C][H][W] as
// the CPU layers (train/conv.hpp) lay them out. A convolution is im2col and one GEMM over every
// image at once, in channel-major form [C][image·HW] (one matrix for all images), converted to
// and from the images' layout on either side; backward recomputes the columns, as the CPU does.
// Pooling reads the spikes kept as bits: the windows of binary spikes are counted, and the
// maximum's gradient goes to the first spike of the window (the first element when none fired),
// the winner pool2d's strict comparison picks.
#pragma once

#include "backends/cuda/neuron_kernels.cuh"

#include <cstdint>

namespace nm::cuda {

// A conv2d block's geometry in ints, as the kernels index it.
struct conv_geometry {
    int in_c, in_h, in_w, out_c, out_h, out_w, k, stride, pad;
    __host__ __device__ int fan_in() const { return in_c * k * k; }
    __host__ __device__ int out_hw() const { return out_h * out_w; }
    __host__ __device__ int in_size() const { return in_c * in_h * in_w; }
};

// cols[r][g·HW + p], r = (c·k + i)·k + j, p = oy·W_out + ox: x[g][c][oy·s + i − pad][ox·s + j −
// pad], 0 outside the image (conv2d::walk). One thread per column entry: neighbours read
// neighbouring pixels.
template<class T>
__global__ void im2col(const T* x, conv_geometry g, std::size_t images, T* cols) {
    const std::size_t n = images * g.out_hw();
    const std::size_t at = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    if (at >= n * g.fan_in()) return;
    const int r = static_cast<int>(at / n);
    const std::size_t col = at % n;
    const std::size_t image = col / g.out_hw();
    const int p = static_cast<int>(col % g.out_hw());
    const int c = r / (g.k * g.k), i = r / g.k % g.k, j = r % g.k;
    const int y = p / g.out_w * g.stride + i - g.pad, xx = p % g.out_w * g.stride + j - g.pad;
    const bool inside = y >= 0 && xx >= 0 && y < g.in_h && xx < g.in_w;
    cols[at] =
        inside ? x[image * g.in_size() + (c * g.in_h + y) * g.in_w + xx] : from_float<T>(0.0f);
}

// ∂L/∂x from the columns' gradient dcols [fan_in][image·HW]: each input element gathers the
// entries it was copied to, in conv2d::col2im's order (i, then j), so the sums match.
static __global__ void col2im(const float* dcols, conv_geometry g, std::size_t images, float* dx) {
    const std::size_t at = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    if (at >= images * g.in_size()) return;
    const std::size_t image = at / g.in_size();
    const int e = static_cast<int>(at % g.in_size());
    const int c = e / (g.in_h * g.in_w), y = e / g.in_w % g.in_h, x = e % g.in_w;
    const std::size_t n = images * g.out_hw();
    float sum = 0;
    for (int i = 0; i < g.k; ++i)
        for (int j = 0; j < g.k; ++j) {
            const int ys = y + g.pad - i, xs = x + g.pad - j;
            if (ys < 0 || xs < 0 || ys % g.stride != 0 || xs % g.stride != 0) continue;
            const int oy = ys / g.stride, ox = xs / g.stride;
            if (oy >= g.out_h || ox >= g.out_w) continue;
            const int r = (c * g.k + i) * g.k + j;
            sum += dcols[r * n + image * g.out_hw() + oy * g.out_w + ox];
        }
    dx[at] = sum;
}

// [image][C][HW] into channel-major [C][image·HW].
template<class T>
__global__ void to_channel_major(const T* y, int channels, int hw, std::size_t images, T* out) {
    const std::size_t at = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    const std::size_t n = images * hw;
    if (at >= n * channels) return;
    const std::size_t c = at / n, image = at % n / hw, p = at % hw;
    out[at] = y[(image * channels + c) * hw + p];
}

// Channel-major [C][image·HW] back into [image][C][HW].
static __global__ void from_channel_major(const float* yc, int channels, int hw, std::size_t images,
                                          float* out) {
    const std::size_t at = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    if (at >= images * channels * hw) return;
    const std::size_t image = at / (static_cast<std::size_t>(channels) * hw),
                      c = at / hw % channels, p = at % hw;
    out[at] = yc[c * images * hw + image * hw + p];
}

// out[c] = Σ_p in[c·length + p], in a fixed order (a channel's bias gradient from its pixels').
static __global__ void segment_sums(const float* in, int segments, int length, float* out) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= segments) return;
    float s = 0;
    for (int p = 0; p < length; ++p) s += in[static_cast<std::size_t>(c) * length + p];
    out[c] = s;
}

// A pooling of one image's kept spikes: as bits (the spikes of the batch at one step are bits
// b·n + e of that step's words, n neurons per sample, as spiking_forward keeps them) or as
// graded counts ([t][b·n + e]).
struct pool_geometry {
    int channels, height, width, k;
    bool max;
    __host__ __device__ int out_h() const { return height / k; }
    __host__ __device__ int out_w() const { return width / k; }
    __host__ __device__ int in_size() const { return channels * height * width; }
    __host__ __device__ int out_size() const { return channels * out_h() * out_w(); }
};

// The spikes a pooling reads: bits, or counts when set.
struct pooled_spikes {
    const std::uint32_t* bits;
    const std::uint16_t* counts;

    // The spikes of element k of step t ([t][batch · n], n = in_size).
    __device__ float at(int t, std::size_t per_step, std::size_t k) const {
        if (counts) return counts[t * per_step + k];
        const std::size_t words = (per_step + 31) / 32;
        return static_cast<float>((bits[t * words + k / 32] >> (k % 32)) & 1u);
    }
};

// The window of pooled element (c, oy, ox) in sample b at step t, as pool2d reads it: the sum
// of its k² spikes, their maximum and where the first maximum is (row-major in the window).
struct window_stats {
    float sum = 0, max = -1;
    int first_max = 0;
};
__device__ __forceinline__ window_stats scan_window(const pooled_spikes& in, int t,
                                                    std::size_t per_step, std::size_t sample,
                                                    const pool_geometry& g, int c, int oy, int ox) {
    window_stats w;
    for (int i = 0; i < g.k; ++i)
        for (int j = 0; j < g.k; ++j) {
            const int e = (c * g.height + oy * g.k + i) * g.width + ox * g.k + j;
            const float v = in.at(t, per_step, sample + e);
            w.sum += v;
            if (v > w.max) {
                w.max = v;
                w.first_max = i * g.k + j;
            }
        }
    return w;
}

// The next block's input [T][B][pooled] from the kept spikes: the maximum or the mean of each
// window, as pool2d computes them.
template<class P>
__global__ void pool_spikes(pooled_spikes in, int batch, int steps, pool_geometry g, P* out) {
    const std::size_t at = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    const std::size_t per_step = static_cast<std::size_t>(batch) * g.out_size();
    if (at >= per_step * steps) return;
    const int t = static_cast<int>(at / per_step);
    const int b = static_cast<int>(at % per_step / g.out_size());
    const int o = static_cast<int>(at % g.out_size());
    const int c = o / (g.out_h() * g.out_w()), oy = o / g.out_w() % g.out_h(), ox = o % g.out_w();
    const window_stats w = scan_window(in, t, static_cast<std::size_t>(batch) * g.in_size(),
                                       static_cast<std::size_t>(b) * g.in_size(), g, c, oy, ox);
    out[at] = from_float<P>(g.max ? w.max : w.sum / static_cast<float>(g.k * g.k));
}

// ∂L/∂s [T][B][n] of the pooled spikes from ∂L/∂(pooled) [T][B][pooled]: the mean's gradient
// shared evenly, the maximum's to the window's first maximum; 0 past the last whole window.
static __global__ void unpool_spikes(const float* dy, pooled_spikes in, int batch, int steps,
                                     pool_geometry g, float* dx) {
    const std::size_t at = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    const std::size_t per_step = static_cast<std::size_t>(batch) * g.in_size();
    if (at >= per_step * steps) return;
    const int t = static_cast<int>(at / per_step);
    const int b = static_cast<int>(at % per_step / g.in_size());
    const int e = static_cast<int>(at % g.in_size());
    const int c = e / (g.height * g.width), y = e / g.width % g.height, x = e % g.width;
    const int oy = y / g.k, ox = x / g.k;
    if (oy >= g.out_h() || ox >= g.out_w()) {
        dx[at] = 0;
        return;
    }
    const float d = dy[(static_cast<std::size_t>(t) * batch + b) * g.out_size() +
                       (c * g.out_h() + oy) * g.out_w() + ox];
    if (!g.max) {
        dx[at] = d / static_cast<float>(g.k * g.k);
        return;
    }
    const window_stats w =
        scan_window(in, t, per_step, static_cast<std::size_t>(b) * g.in_size(), g, c, oy, ox);
    dx[at] = (y - oy * g.k) * g.k + (x - ox * g.k) == w.first_max ? d : 0.0f;
}

} // namespace nm::cuda
