// The CUDA training kernels run on the host (cuda_emulation.hpp) against the CPU layers in double
// precision: convolution columns and gathers, pooling from spike bits, recurrent steps, learned
// decays and thresholds, dropout masks and the loss kernel. The GEMMs between kernels are done
// here with the arguments the trainer passes cuBLAS (same layouts and leading dimensions), so
// the trainer's shapes are checked too. Runs everywhere the CUDA headers are, GPU or not.
#include "emulated/cuda_emulation.hpp"

#include "backends/cuda/conv_kernels.cuh"
#include "backends/cuda/recurrent_kernels.cuh"
#include "backends/cuda/train_kernels.cuh"
#include "core/with_constant.hpp"
#include "train/conv.hpp"
#include "train/layers.hpp"
#include "train/loss.hpp"
#include "train/model.hpp"
#include "train/recurrent_lif.hpp"

#include "kernel_checks.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nm {
namespace {

using emulated::launch;
using test::cast;
using test::random_values;
using test::relative_error;
using train::reset_mode;
using train::surrogate_kind;

constexpr unsigned threads = 256; // the trainer's block size
unsigned blocks_for(std::size_t n) {
    return static_cast<unsigned>((n + threads - 1) / threads);
}

// The trainer's gemm() on the host: row-major C[m×n] = alpha·op(A)·op(B) + beta·C, where a
// stored matrix's leading dimension is its row length.
void gemm(bool ta, bool tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
          float* c, int ldc, float alpha = 1, float beta = 0) {
    for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) {
            double sum = 0;
            for (int p = 0; p < k; ++p)
                sum += static_cast<double>(ta ? a[p * lda + i] : a[i * lda + p]) *
                       (tb ? b[j * ldb + p] : b[p * ldb + j]);
            c[i * ldc + j] = static_cast<float>(alpha * sum + beta * c[i * ldc + j]);
        }
}

template<class Real>
std::vector<Real>& values_of(train::layer<Real>& l, std::size_t i) {
    return *l.parameters().at(i).value;
}
template<class Real>
std::vector<Real>& grads_of(train::layer<Real>& l, std::size_t i) {
    return *l.parameters().at(i).grad;
}

// A conv2d forward and backward through the kernels and the trainer's three GEMMs.
TEST(emulated_kernels, convolution_matches_conv2d) {
    constexpr int steps = 2, batch = 2, images = steps * batch;
    struct shape_case {
        int stride, pad;
    };
    for (const shape_case sc : {shape_case{1, 1}, shape_case{2, 0}, shape_case{2, 1}}) {
        const train::image_shape in{2, 7, 6};
        train::conv2d<double> conv(in, 3, 3, sc.stride, sc.pad);
        const std::vector<float> w = random_values(conv.weights().size(), 1, -0.5, 0.5);
        const std::vector<float> bias = random_values(3, 2, -0.2, 0.2);
        values_of(conv, 0) = cast<double>(w);
        values_of(conv, 1) = cast<double>(bias);
        const train::image_shape out = conv.output_shape();
        const std::vector<float> x = random_values(images * in.size(), 3, -1, 1);
        const std::vector<float> dy = random_values(images * out.size(), 4, -1, 1);
        std::vector<double> y(dy.size()), dx(x.size());
        const std::vector<double> xd = cast<double>(x); // conv2d reads it again in backward
        conv.forward(xd.data(), y.data(), steps, batch);
        conv.backward(cast<double>(dy).data(), dx.data(), steps, batch);

        const cuda::conv_geometry g{
            2, 7,         6,     3, static_cast<int>(out.height), static_cast<int>(out.width),
            3, sc.stride, sc.pad};
        const int span = images * g.out_hw();
        std::vector<float> cols(static_cast<std::size_t>(g.fan_in()) * span), yc(3 * span),
            current(y.size());
        launch(cuda::im2col<float>, blocks_for(cols.size()), threads, x.data(), g,
               std::size_t{images}, cols.data());
        gemm(false, false, g.out_c, span, g.fan_in(), w.data(), g.fan_in(), cols.data(), span,
             yc.data(), span);
        launch(cuda::from_channel_major, blocks_for(current.size()), threads, yc.data(), g.out_c,
               g.out_hw(), std::size_t{images}, current.data());
        for (std::size_t k = 0; k < current.size(); ++k) // the neuron kernels add the bias
            current[k] += bias[k % out.size() / g.out_hw()];
        const std::string what = "stride " + std::to_string(sc.stride);
        EXPECT_LT(relative_error(current, y), 1e-6) << what;

        std::vector<float> dyc(yc.size()), gw(w.size()), dcols(cols.size()), gdx(x.size());
        launch(cuda::to_channel_major<float>, blocks_for(dyc.size()), threads, dy.data(), g.out_c,
               g.out_hw(), std::size_t{images}, dyc.data());
        gemm(false, true, g.out_c, g.fan_in(), span, dyc.data(), span, cols.data(), span, gw.data(),
             g.fan_in());
        gemm(true, false, g.fan_in(), span, g.out_c, w.data(), g.fan_in(), dyc.data(), span,
             dcols.data(), span);
        launch(cuda::col2im, blocks_for(gdx.size()), threads, dcols.data(), g, std::size_t{images},
               gdx.data());
        EXPECT_LT(relative_error(gw, grads_of(conv, 0)), 1e-6) << what;
        EXPECT_LT(relative_error(gdx, dx), 1e-6) << what;

        // The bias: per-neuron sums over the images, then over each channel's pixels.
        std::vector<float> per_neuron(out.size(), 0), gb(3);
        for (std::size_t k = 0; k < dy.size(); ++k) per_neuron[k % out.size()] += dy[k];
        launch(cuda::segment_sums, 1, threads, per_neuron.data(), g.out_c, g.out_hw(), gb.data());
        EXPECT_LT(relative_error(gb, grads_of(conv, 1)), 1e-6) << what;
    }
}

// Spikes [T][B][C·H·W] as the bits spiking_forward keeps: bit b·n + e of step t's words.
std::vector<std::uint32_t> bits_of(const std::vector<float>& spikes, int steps, std::size_t width) {
    const std::size_t words = (width + 31) / 32;
    std::vector<std::uint32_t> bits(steps * words, 0);
    for (int t = 0; t < steps; ++t)
        for (std::size_t k = 0; k < width; ++k)
            if (spikes[t * width + k] != 0) bits[t * words + k / 32] |= 1u << (k % 32);
    return bits;
}

// Pooling read from bits (binary spikes) and from counts (graded spikes, ties for the maximum
// included) against pool2d on the spikes, windows past the edge included.
TEST(emulated_kernels, pooling_from_kept_spikes_matches_pool2d) {
    constexpr int steps = 3, batch = 2;
    const train::image_shape in{3, 5, 5};
    const std::size_t width = batch * in.size();
    std::vector<float> spikes = random_values(steps * width, 5, 0, 1);
    for (float& s : spikes) s = s < 0.3f ? 1.0f : 0.0f;
    const std::vector<std::uint32_t> bits = bits_of(spikes, steps, width);
    std::vector<float> graded = random_values(steps * width, 8, 0, 4);
    std::vector<std::uint16_t> counts;
    for (float& s : graded) {
        s = std::floor(s);
        counts.push_back(static_cast<std::uint16_t>(s));
    }
    for (bool binary : {true, false})
        for (bool max : {true, false})
            for (int k : {2, 3}) {
                const std::vector<float>& spikes_here = binary ? spikes : graded;
                train::pool2d<double> pool(in, k, max);
                const std::size_t pooled = pool.outputs() * batch * steps;
                std::vector<double> y(pooled), dx(spikes.size());
                const std::vector<float> dy = random_values(pooled, 6, -1, 1);
                pool.forward(cast<double>(spikes_here).data(), y.data(), steps, batch);
                pool.backward(cast<double>(dy).data(), dx.data(), steps, batch);
                const cuda::pool_geometry g{3, 5, 5, k, max};
                std::vector<float> out(pooled), back(spikes.size());
                const cuda::pooled_spikes kept{bits.data(), binary ? nullptr : counts.data()};
                launch(cuda::pool_spikes<float>, blocks_for(pooled), threads, kept, batch, steps, g,
                       out.data());
                launch(cuda::unpool_spikes, blocks_for(back.size()), threads, dy.data(), kept,
                       batch, steps, g, back.data());
                const std::string what = std::string(binary ? "bits, " : "counts, ") +
                                         (max ? "max" : "average") + ", k " + std::to_string(k);
                EXPECT_LT(relative_error(out, y), 1e-7) << what;
                EXPECT_LT(relative_error(back, dx), 1e-7) << what;
            }
}

train::neuron_options lif_options(reset_mode reset, bool detach) {
    train::neuron_options o;
    o.beta = 0.85;
    o.threshold = 0.9;
    o.reset = reset;
    o.detach_reset = detach;
    o.grad.kind = surrogate_kind::fast_sigmoid;
    o.grad.slope = 3;
    return o;
}

// Recurrent LIF stepped as the trainer steps it (a GEMM, then the step kernel) against
// recurrent_lif_layer: the spikes exactly, ∂L/∂I and the recurrent weights' gradient.
TEST(emulated_kernels, recurrent_steps_match_the_recurrent_layer) {
    constexpr int steps = 6, batch = 3, n = 40;
    constexpr std::size_t width = batch * n;
    const std::vector<float> x = random_values(steps * width, 7, -0.4, 1.2);
    const std::vector<float> w = random_values(n * n, 8, -0.3, 0.3);
    const std::vector<float> dy = random_values(steps * width, 9, -1, 1);
    for (reset_mode reset : {reset_mode::zero, reset_mode::subtract, reset_mode::none})
        for (bool detach : {true, false}) {
            const train::neuron_options o = lif_options(reset, detach);
            train::recurrent_lif_layer<double> cpu(n, o);
            cpu.weights() = cast<double>(w);
            std::vector<double> y(x.size()), dx(x.size());
            cpu.forward(cast<double>(x).data(), y.data(), steps, batch);
            cpu.backward(cast<double>(dy).data(), dx.data(), steps, batch);

            const cuda::neuron_input in{x.data(), width, nullptr, n, width, steps};
            cuda::neuron_constants c;
            c.beta = static_cast<float>(o.beta);
            c.threshold = static_cast<float>(o.threshold);
            std::vector<float> spikes(x.size()), vstar(x.size()), v(width), r(width);
            std::vector<std::uint32_t> bits(steps * ((width + 31) / 32));
            unsigned long long fired = 0;
            const std::string what = "reset " + std::to_string(static_cast<int>(reset)) +
                                     (detach ? ", detached" : ", attached");
            with_constant<reset_mode::zero, reset_mode::subtract, reset_mode::none>(
                reset, [&]<reset_mode R>() {
                    for (int t = 0; t < steps; ++t) {
                        if (t > 0)
                            gemm(false, false, batch, n, n, spikes.data() + (t - 1) * width, n,
                                 w.data(), n, r.data(), n);
                        launch(cuda::recurrent_step<R, float>, blocks_for(width), threads, in, t, c,
                               t > 0 ? r.data() : nullptr, v.data(), vstar.data(), spikes.data(),
                               bits.data(), &fired);
                    }
                    EXPECT_EQ(cast<double>(spikes), y) << what;
                    EXPECT_EQ(bits, bits_of(spikes, steps, width)) << what;
                    double total = 0;
                    for (float s : spikes) total += s;
                    EXPECT_EQ(static_cast<double>(fired), total) << what;
                    EXPECT_GT(total, 0.05 * spikes.size()) << what;

                    std::vector<float> g(x.size()), summed(width), gv(width), gw(n * n, 0);
                    for (int t = steps - 1; t >= 0; --t) {
                        const bool last = t == steps - 1;
                        launch(
                            cuda::recurrent_step_backward<R, surrogate_kind::fast_sigmoid, float>,
                            blocks_for(width), threads, width, t, last, c, o.grad, detach, 0.0f,
                            dy.data(), last ? nullptr : r.data(), vstar.data(), gv.data(),
                            cuda::neuron_grads<float>{g.data(), summed.data()});
                        if (t == 0) break;
                        gemm(true, false, n, n, batch, spikes.data() + (t - 1) * width, n,
                             g.data() + t * width, n, gw.data(), n, 1, 1);
                        gemm(false, true, batch, n, n, g.data() + t * width, n, w.data(), n,
                             r.data(), n);
                    }
                    EXPECT_LT(relative_error(g, dx), 1e-5) << what;
                    EXPECT_LT(relative_error(gw, grads_of(cpu, 0)), 1e-5) << what;
                });
        }
}

// Learned decays and thresholds: each neuron of the batch's share from spiking_backward (and
// li_backward), summed over the batch here as column_sums does, against the layers' gradients.
TEST(emulated_kernels, learned_decays_and_thresholds_match_the_layers) {
    constexpr int steps = 8, batch = 3, n = 20;
    constexpr std::size_t width = batch * n;
    const std::vector<float> x = random_values(steps * width, 10, -0.3, 1.1);
    const std::vector<float> dy = random_values(steps * width, 11, -1, 1);
    const std::vector<float> beta = random_values(n, 12, 0.5, 1.0);
    const std::vector<float> theta = random_values(n, 13, 0.6, 1.4);
    auto batch_sums = [&](const std::vector<float>& shares) {
        std::vector<float> out(n, 0);
        for (std::size_t k = 0; k < width; ++k) out[k % n] += shares[k];
        return out;
    };
    for (reset_mode reset : {reset_mode::zero, reset_mode::subtract})
        for (bool detach : {true, false}) {
            train::neuron_options o = lif_options(reset, detach);
            o.learn_beta = o.learn_threshold = true;
            train::lif_layer<double> cpu(n, o);
            values_of(cpu, 0) = cast<double>(beta);
            values_of(cpu, 1) = cast<double>(theta);
            std::vector<double> y(x.size()), dx(x.size());
            cpu.forward(cast<double>(x).data(), y.data(), steps, batch);
            cpu.backward(cast<double>(dy).data(), dx.data(), steps, batch);

            const cuda::neuron_input in{x.data(), width, nullptr,     n,
                                        width,    steps, beta.data(), theta.data()};
            std::vector<float> vstar(x.size()), aux(x.size()), g(x.size()), summed(width),
                gbeta(width), gtheta(width);
            with_constant<reset_mode::zero, reset_mode::subtract>(reset, [&]<reset_mode R>() {
                launch(cuda::spiking_backward<cuda::neuron_kind::lif, R,
                                              surrogate_kind::fast_sigmoid, float>,
                       blocks_for(width), threads, in, cuda::neuron_constants{}, o.grad, detach,
                       0.0f, dy.data(), vstar.data(), aux.data(),
                       cuda::neuron_grads<float>{g.data(), summed.data(), gbeta.data(),
                                                 gtheta.data()});
            });
            const std::string what = "reset " + std::to_string(static_cast<int>(reset)) +
                                     (detach ? ", detached" : ", attached");
            EXPECT_LT(relative_error(g, dx), 1e-5) << what;
            EXPECT_LT(relative_error(batch_sums(gbeta), grads_of(cpu, 0)), 1e-5) << what;
            EXPECT_LT(relative_error(batch_sums(gtheta), grads_of(cpu, 1)), 1e-5) << what;
        }

    train::neuron_options o;
    o.learn_beta = true;
    train::li_layer<double> li(n, o);
    values_of(li, 0) = cast<double>(beta);
    std::vector<double> y(x.size()), dx(x.size());
    li.forward(cast<double>(x).data(), y.data(), steps, batch);
    li.backward(cast<double>(dy).data(), dx.data(), steps, batch);
    const cuda::neuron_input in{x.data(), width, nullptr, n, width, steps, beta.data()};
    std::vector<float> out(x.size()), g(x.size()), summed(width), gbeta(width);
    launch(cuda::li_forward, blocks_for(width), threads, in, 0.5f, out.data());
    launch(cuda::li_backward<float>, blocks_for(width), threads, in, 0.5f, dy.data(), out.data(),
           cuda::neuron_grads<float>{g.data(), summed.data(), gbeta.data()});
    EXPECT_LT(relative_error(out, y), 1e-6);
    EXPECT_LT(relative_error(g, dx), 1e-6);
    EXPECT_LT(relative_error(batch_sums(gbeta), grads_of(li, 0)), 1e-5);
}

// Dropout: the device's mask and zeroed operand, times the 1/(1 − p) the GEMMs apply, give the
// CPU layer's output for the same stream and batch key.
TEST(emulated_kernels, dropout_masks_match_the_dropout_layer) {
    constexpr int steps = 4, batch = 5, n = 30;
    constexpr std::size_t width = batch * n;
    const std::vector<float> x = random_values(steps * width, 14, 0.1, 1.0);
    const rng_stream rng = train::model_stream(3, 2);
    for (double p : {0.2, 0.5}) {
        train::dropout<double> cpu(n, p, rng);
        cpu.training = true;
        cpu.key = 9;
        std::vector<double> y(x.size());
        cpu.forward(cast<double>(x).data(), y.data(), steps, batch);
        cuda::step_values values;
        values.batch_key = 9;
        std::vector<std::uint8_t> keep(width);
        std::vector<float> dropped = x;
        launch(cuda::dropout_mask, blocks_for(width), threads, rng, p, width, &values, keep.data());
        launch(cuda::apply_mask<float>, blocks_for(x.size()), threads, keep.data(), width, steps,
               dropped.data());
        const auto scale = static_cast<float>(1 / (1 - p));
        for (float& v : dropped) v *= scale;
        EXPECT_LT(relative_error(dropped, y), 1e-7) << p;
    }
}

// The loss kernel runs train::sample_loss per sample: its logits, losses and ∂L/∂y are
// compute_loss's.
TEST(emulated_kernels, sequence_loss_matches_compute_loss) {
    constexpr int steps = 5, batch = 6, classes = 4;
    std::vector<float> y = random_values(steps * batch * classes, 15, -1, 2);
    for (train::loss_kind kind :
         {train::loss_kind::ce_count, train::loss_kind::ce_mean, train::loss_kind::ce_max,
          train::loss_kind::mse_count, train::loss_kind::ce_first_spike}) {
        if (kind == train::loss_kind::ce_first_spike)
            for (float& v : y) v = v > 1.2f ? 1.0f : 0.0f;
        const train::loss_options o{kind, 0.7, 0.1};
        const std::vector<std::int32_t> labels{0, 3, 1, 2, 2, 1};
        std::vector<float> dy, logits;
        const float loss =
            train::compute_loss(o, y.data(), steps, batch, classes, labels.data(), dy, logits);
        std::vector<float> gpu_dy(dy.size()), gpu_logits(logits.size()), losses(batch);
        launch(cuda::sequence_loss, 1, threads, y.data(),
               cuda::batch_rows{nullptr, 0, static_cast<std::uint32_t>(batch)}, labels.data(),
               classes, steps, o, gpu_logits.data(), losses.data(), gpu_dy.data());
        float total = 0;
        for (float l : losses) total += l;
        const int k = static_cast<int>(kind);
        EXPECT_FLOAT_EQ(total / batch, loss) << k;
        EXPECT_EQ(gpu_logits, logits) << k;
        EXPECT_EQ(gpu_dy, dy) << k;
    }
}

} // namespace
} // namespace nm
