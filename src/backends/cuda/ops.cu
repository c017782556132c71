// Host wrappers running one kernel each on uploaded vectors (ops.hpp).
#include "backends/cuda/buffer.hpp"
#include "backends/cuda/dispatch.cuh"
#include "backends/cuda/ops.hpp"
#include "backends/cuda/train_kernels.cuh"

#include <algorithm>
#include <cmath>

namespace nm::cuda::ops {

namespace {

std::vector<float> fetch(const buffer<float>& b, std::size_t n) {
    NM_CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<float> out(n);
    b.download(out.data(), n);
    return out;
}

neuron_input input_of(const buffer<float>& x, int steps, int n) {
    const std::size_t width = x.size() / steps;
    return {x.data(), width, nullptr, n, width, steps};
}

} // namespace

std::vector<float> spiking_forward(const spiking_spec& s, const std::vector<float>& x, int steps,
                                   int n) {
    buffer<float> in, out(x.size());
    in.upload(x.data(), x.size());
    const neuron_input ni = input_of(in, steps, n);
    with_spiking(s.kind, s.reset, [&]<neuron_kind Kind, reset_mode R>() {
        spiking_forward<Kind, R, float><<<grid_for(ni.width), block_threads>>>(
            ni, constants_of(s), out.data(), kept_spikes{}, nullptr);
    });
    NM_CUDA_LAUNCHED();
    return fetch(out, x.size());
}

std::vector<float> spikes_as_kept(const spiking_spec& s, const std::vector<float>& x, int steps,
                                  int n) {
    buffer<float> in, out(x.size());
    in.upload(x.data(), x.size());
    const neuron_input ni = input_of(in, steps, n);
    const bool graded = s.kind == static_cast<int>(neuron_kind::graded);
    buffer<std::uint32_t> bits(graded ? 0 : steps * ((ni.width + 31) / 32));
    buffer<std::uint16_t> counts(graded ? x.size() : 0);
    with_spiking(s.kind, s.reset, [&]<neuron_kind Kind, reset_mode R>() {
        spiking_forward<Kind, R, float><<<grid_for(ni.width), block_threads>>>(
            ni, constants_of(s), nullptr, kept_spikes{bits.data(), counts.data()}, nullptr);
    });
    NM_CUDA_LAUNCHED();
    if (graded)
        unpack_counts<float>
            <<<grid_for(x.size()), block_threads>>>(counts.data(), x.size(), out.data());
    else
        unpack_bits<float>
            <<<grid_for(x.size()), block_threads>>>(bits.data(), ni.width, steps, out.data());
    NM_CUDA_LAUNCHED();
    return fetch(out, x.size());
}

std::vector<float> spiking_backward(const spiking_spec& s, const std::vector<float>& x,
                                    const std::vector<float>& dy, int steps, int n) {
    buffer<float> in, d, vstar(x.size()), aux(x.size()), dx(x.size());
    in.upload(x.data(), x.size());
    d.upload(dy.data(), dy.size());
    const neuron_input ni = input_of(in, steps, n);
    buffer<float> summed(ni.width);
    const train::surrogate sg = surrogate_of(s);
    with_spiking(s.kind, s.reset, [&]<neuron_kind Kind, reset_mode R>() {
        with_surrogate(sg.kind, [&]<surrogate_kind K>() {
            spiking_backward<Kind, R, K, float><<<grid_for(ni.width), block_threads>>>(
                ni, constants_of(s), sg, s.detach, s.penalty, d.data(), vstar.data(), aux.data(),
                neuron_grads<float>{dx.data(), summed.data()});
        });
    });
    NM_CUDA_LAUNCHED();
    return fetch(dx, x.size());
}

std::vector<float> li_forward(float beta, const std::vector<float>& x, int steps, int n) {
    buffer<float> in, out(x.size());
    in.upload(x.data(), x.size());
    const neuron_input ni = input_of(in, steps, n);
    li_forward<<<grid_for(ni.width), block_threads>>>(ni, beta, out.data());
    NM_CUDA_LAUNCHED();
    return fetch(out, x.size());
}

std::vector<float> li_backward(float beta, const std::vector<float>& dy, int steps, int n) {
    buffer<float> d, dx(dy.size());
    d.upload(dy.data(), dy.size());
    const neuron_input ni = input_of(d, steps, n);
    buffer<float> summed(ni.width);
    li_backward<float><<<grid_for(ni.width), block_threads>>>(
        ni, beta, d.data(), nullptr, neuron_grads<float>{dx.data(), summed.data()});
    NM_CUDA_LAUNCHED();
    return fetch(dx, dy.size());
}

std::vector<float> encode_rate(const std::vector<double>& features, std::uint32_t channels,
                               const std::vector<std::uint32_t>& rows, std::uint32_t key, int steps,
                               int dead, double max_rate, double dt, std::uint32_t k0,
                               std::uint32_t k1, std::uint32_t stream) {
    std::vector<std::uint32_t> th(features.size());
    for (std::size_t i = 0; i < th.size(); ++i) th[i] = rate_threshold(features[i], max_rate, dt);
    buffer<std::uint32_t> thresholds, r;
    thresholds.upload(th.data(), th.size());
    r.upload(rows.data(), rows.size());
    step_values v;
    v.key = key;
    buffer<step_values> values;
    values.upload(&v, 1);
    const std::size_t n = std::size_t{channels} * rows.size() * steps;
    buffer<float> x(n);
    const auto b = static_cast<std::uint32_t>(rows.size());
    encode_rate<float>
        <<<grid_for(rate_threads(channels, rows.size(), steps, dead)), block_threads>>>(
            thresholds.data(), {r.data(), 0, b}, static_cast<int>(channels), steps, dead,
            values.data(), train::augmentation{}, k0, k1, stream, x.data(), nullptr);
    NM_CUDA_LAUNCHED();
    return fetch(x, n);
}

} // namespace nm::cuda::ops
