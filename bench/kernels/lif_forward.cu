// Kernel lab (llm.c style): the LIF training forward of workload (b)'s hidden layer, T = 100,
// batch 64, 4096 neurons, as a CPU reference and numbered CUDA versions, each checked against
// the reference (spikes identical) and timed with events (median of 50, inputs rotated over
// four sets so that L2 does not hold them). Predictions and outcomes: bench/kernels/NOTES.md.
//
//   build/release/bin/nm_lab_lif_forward
#include "backends/cuda/check.hpp"
#include "backends/cuda/neuron_kernels.cuh"
#include "core/philox.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace {

using nm::cuda::from_float;
using bf16 = __nv_bfloat16;

constexpr int steps = 100, batch = 64, neurons = 4096, sets = 4;
constexpr std::size_t width = std::size_t{batch} * neurons, total = steps * width;
constexpr float beta = 0.9f, threshold = 1.0f;

// v1: one thread per neuron, float spikes out (the plain port of the CPU loop).
__global__ void v1(const float* current, float* spikes) {
    const std::size_t k = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x;
    if (k >= width) return;
    float v = 0;
    for (int t = 0; t < steps; ++t) {
        const float vstar = beta * v + current[t * width + k];
        const float s = vstar >= threshold ? 1.0f : 0.0f;
        v = vstar * (1 - s);
        spikes[t * width + k] = s;
    }
}

// v3: four neurons per thread, 16-byte loads of the currents and 8-byte stores of bfloat16
// spikes, bits by ballot as in v2.
__global__ void v3(const float* current, bf16* spikes, std::uint32_t* bits) {
    const std::size_t q = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; // neuron quad
    const bool live = 4 * q < width;
    float v[4] = {0, 0, 0, 0};
    for (int t = 0; t < steps; ++t) {
        float4 in = live ? reinterpret_cast<const float4*>(current + t * width)[q]
                         : make_float4(0, 0, 0, 0);
        const float x[4] = {in.x, in.y, in.z, in.w};
        unsigned nibble = 0;
        bf16 out[4];
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const float vstar = beta * v[j] + x[j];
            const bool s = live && vstar >= threshold;
            v[j] = s ? 0.0f : vstar;
            out[j] = from_float<bf16>(s ? 1.0f : 0.0f);
            nibble |= unsigned{s} << j;
        }
        if (live) reinterpret_cast<uint2*>(spikes + t * width)[q] = *reinterpret_cast<uint2*>(out);
        // Eight lanes hold a word's 32 bits as nibbles: gather them with shuffles.
        unsigned word = nibble << (4 * (threadIdx.x & 7));
        for (int off = 1; off < 8; off <<= 1) word |= __shfl_xor_sync(0xffffffffu, word, off);
        if ((threadIdx.x & 7) == 0 && live) bits[t * (width / 32) + q / 8] = word;
    }
}

template<class F>
float median_ms(F&& launch) {
    cudaEvent_t a, b;
    NM_CUDA_CHECK(cudaEventCreate(&a));
    NM_CUDA_CHECK(cudaEventCreate(&b));
    std::vector<float> ms;
    for (int rep = 0; rep < 55; ++rep) {
        NM_CUDA_CHECK(cudaEventRecord(a));
        launch(rep % sets);
        NM_CUDA_CHECK(cudaEventRecord(b));
        NM_CUDA_CHECK(cudaEventSynchronize(b));
        float x = 0;
        NM_CUDA_CHECK(cudaEventElapsedTime(&x, a, b));
        if (rep >= 5) ms.push_back(x);
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

} // namespace

int main() {
    try {
        std::vector<float> host(total * sets);
        const nm::rng_stream rng(3, 1);
        for (std::size_t i = 0; i < host.size(); ++i)
            host[i] =
                static_cast<float>(-0.3 + 1.2 * rng.uniform(static_cast<std::uint32_t>(i), 0));
        // CPU reference spikes of set 0.
        std::vector<std::uint8_t> ref(total);
        for (std::size_t k = 0; k < width; ++k) {
            float v = 0;
            for (int t = 0; t < steps; ++t) {
                const float vstar = std::fma(beta, v, host[t * width + k]); // the GPU FFMA
                ref[t * width + k] = vstar >= threshold;
                v = ref[t * width + k] ? 0.0f : vstar;
            }
        }
        float* current;
        float* spikes32;
        bf16* spikes16;
        std::uint32_t* bits;
        NM_CUDA_CHECK(cudaMalloc(&current, host.size() * sizeof(float)));
        NM_CUDA_CHECK(cudaMalloc(&spikes32, total * sizeof(float)));
        NM_CUDA_CHECK(cudaMalloc(&spikes16, total * sizeof(bf16)));
        NM_CUDA_CHECK(cudaMalloc(&bits, total / 8));
        NM_CUDA_CHECK(
            cudaMemcpy(current, host.data(), host.size() * sizeof(float), cudaMemcpyHostToDevice));
        auto in = [&](int set) { return current + std::size_t(set) * total; };
        // Poisoned outputs: an element a version forgets to write fails the check.
        auto poison = [&] {
            NM_CUDA_CHECK(cudaMemset(spikes32, 0x7f, total * sizeof(float)));
            NM_CUDA_CHECK(cudaMemset(spikes16, 0x7f, total * sizeof(bf16)));
            NM_CUDA_CHECK(cudaMemset(bits, 0xA5, total / 8));
        };
        auto check_float = [&](const char* name) {
            std::vector<float> got(total);
            NM_CUDA_CHECK(cudaMemcpy(got.data(), spikes32, total * 4, cudaMemcpyDeviceToHost));
            std::size_t bad = 0;
            for (std::size_t i = 0; i < total; ++i) bad += got[i] != static_cast<float>(ref[i]);
            std::printf("  %-4s check: %zu of %zu spikes differ\n", name, bad, total);
            return bad == 0;
        };
        auto check_bf16 = [&](const char* name) {
            std::vector<bf16> got(total);
            std::vector<std::uint32_t> words(total / 32);
            NM_CUDA_CHECK(cudaMemcpy(got.data(), spikes16, total * 2, cudaMemcpyDeviceToHost));
            NM_CUDA_CHECK(cudaMemcpy(words.data(), bits, total / 8, cudaMemcpyDeviceToHost));
            std::size_t bad = 0;
            for (std::size_t i = 0; i < total; ++i) {
                const bool bit = (words[i / 32] >> (i % 32)) & 1u;
                bad += (__bfloat162float(got[i]) != ref[i]) + (bit != ref[i]);
            }
            std::printf("  %-4s check: %zu of %zu spikes or bits differ\n", name, bad, total);
            return bad == 0;
        };
        const unsigned blocks = (width + 255) / 256;
        bool ok = true;
        poison();
        v1<<<blocks, 256>>>(in(0), spikes32);
        NM_CUDA_LAUNCHED();
        ok &= check_float("v1");
        const nm::cuda::neuron_input ni{nullptr, width, nullptr, neurons, width, steps};
        auto v2 = [&](int set) {
            nm::cuda::neuron_input x = ni;
            x.current = in(set);
            nm::cuda::spiking_forward<nm::cuda::neuron_kind::lif, nm::train::reset_mode::zero, bf16>
                <<<blocks, 256>>>(x, {beta, threshold}, spikes16,
                                  nm::cuda::kept_spikes{bits, nullptr}, nullptr);
        };
        poison();
        v2(0);
        NM_CUDA_LAUNCHED();
        ok &= check_bf16("v2");
        poison();
        v3<<<(width / 4 + 255) / 256, 256>>>(in(0), spikes16, bits);
        NM_CUDA_LAUNCHED();
        ok &= check_bf16("v3");

        const double bytes32 = total * 8.0, bytes16 = total * (4.0 + 2.0 + 1.0 / 8);
        const float t1 = median_ms([&](int s) { v1<<<blocks, 256>>>(in(s), spikes32); });
        const float t2 = median_ms(v2);
        const float t3 =
            median_ms([&](int s) { v3<<<(width / 4 + 255) / 256, 256>>>(in(s), spikes16, bits); });
        std::printf("LIF forward, T = %d, batch %d, %d neurons\n", steps, batch, neurons);
        std::printf("  %-46s %9s %9s\n", "version", "ms", "GB/s");
        std::printf("  %-46s %9.4f %9.0f\n", "v1 thread per neuron, float spikes", t1,
                    bytes32 / t1 / 1e6);
        std::printf("  %-46s %9.4f %9.0f\n", "v2 engine kernel: bf16 spikes + ballot bits", t2,
                    bytes16 / t2 / 1e6);
        std::printf("  %-46s %9.4f %9.0f\n", "v3 four neurons per thread, 16-byte loads", t3,
                    bytes16 / t3 / 1e6);
        return ok ? 0 : 1;
    } catch (const nm::error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 2;
    }
}
