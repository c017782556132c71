// The device kernels one at a time on host vectors, for the parity tests against the CPU layers
// (ggml's test-backend-ops pattern) and the kernel lab. Plain C++: no CUDA types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nm::cuda::ops {

// A spiking training layer: kind 0 lif/if, 2 cuba_lif, 3 alif, 4 rf, 5 graded_lif
// (train::device_block's codes).
struct spiking_spec {
    int kind = 0, reset = 0, surrogate = 0; // train::reset_mode, train::surrogate_kind
    float beta = 0.9f, threshold = 1.0f, slope = 2.0f, penalty = 0.0f;
    float alpha = 0.8f, adapt = 0.2f, adapt_decay = 0.98f, rf_c = 0.0f, rf_d = 0.0f;
    int n_max = 1;
    bool detach = true;
};

// Currents x [T][width] (n neurons per sample, width = batch · n) through the layer: spikes.
std::vector<float> spiking_forward(const spiking_spec& s, const std::vector<float>& x, int steps,
                                   int n);

// ∂L/∂x from ∂L/∂spikes `dy`, both [T][width].
std::vector<float> spiking_backward(const spiking_spec& s, const std::vector<float>& x,
                                    const std::vector<float>& dy, int steps, int n);

// The forward's spikes as kept for backward (bits, or graded counts), unpacked again on the
// device (a round trip).
std::vector<float> spikes_as_kept(const spiking_spec& s, const std::vector<float>& x, int steps,
                                  int n);

std::vector<float> li_forward(float beta, const std::vector<float>& x, int steps, int n);
std::vector<float> li_backward(float beta, const std::vector<float>& dy, int steps, int n);

// Rate code of samples `rows` of `features` [samples][channels], silent for `dead` steps after
// each spike: x [T][rows][channels].
std::vector<float> encode_rate(const std::vector<double>& features, std::uint32_t channels,
                               const std::vector<std::uint32_t>& rows, std::uint32_t key, int steps,
                               int dead, double max_rate, double dt, std::uint32_t k0,
                               std::uint32_t k1, std::uint32_t stream);

} // namespace nm::cuda::ops
