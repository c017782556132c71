// The whole training step of the CUDA trainer against the CPU model's, shared by the GPU run
// (tests/gpu, skipped without a device) and the emulated run (tests/emulated, on the host).
// The including file defines NM_STEP_SUITE (the test suite's name) and NM_NEED_STEP_DEVICE()
// (what skips a test where the trainer cannot run) first.
#pragma once

#include "backends/cuda/buffer.hpp"
#include "backends/cuda/cuda.hpp"
#include "train/data.hpp"
#include "train/device_plan.hpp"
#include "train/loss.hpp"
#include "train/model.hpp"
#include "train/optimizer.hpp"

#include "kernel_checks.hpp"
#include "layer_specs.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace nm {
namespace {

using test::cast;
using test::random_values;
using test::relative_error;

// One step of a 29-64-10 rate-coded network (or an 8×8-image convolutional one) with SGD
// (Δw = −lr·∂L/∂w: the update compares the gradients themselves) on the device, from the float
// model's weights, against the same step of the CPU model in double precision (the float CPU
// layers keep v* in bfloat16 for backward, so they are not the reference).
struct step_comparison {
    float gpu_loss = 0;
    double cpu_loss = 0, update_error = 0, logit_error = 0, update_cosine = 0;
    double worst_tensor_error = 0; // the largest relative error of one tensor's update
};

struct step_case {
    bool bf16 = false;
    std::string hidden_reset = "zero", hidden_kind = "lif", readout = "lif";
    train::loss_kind loss = train::loss_kind::ce_count;
    bool learn_beta = false, learn_threshold = false; // both neuron layers (threshold: lif only)
    double dropout = 0;                               // p of a dropout layer on the hidden spikes
    double clip = 0;                                  // the optimizer's gradient-norm clip
    // The first layer a conv2d (4 channels, 3×3, this stride and padding) over 8×8 images, its
    // spikes pooled 2×2 when `pool` is set, instead of dense 29-64.
    bool conv = false;
    std::size_t stride = 1, padding = 1;
    bool recurrent = false, detach_reset = true; // the hidden layer's
    std::string pool, scheme = "rate";
    std::vector<param> code; // the scheme's parameters besides steps (and the rate's max_rate)
    bool augment = false;    // [data] flip and shift = 2 on the 8×8 images (conv only)
    // A second hidden block (dense 64 and a layer of `middle_kind`, recurrent when asked) whose
    // spikes are added to the first hidden layer's (`add` from = 2) before the readout.
    bool residual = false, middle_recurrent = false;
    double dropout_after_add = 0; // p of a dropout layer right after the add
    std::string middle_kind = "lif";
    std::vector<double> scales;      // scale layers after the hidden layer, in turn
    std::vector<layer_spec> between; // layers right after the first hidden layer
    std::vector<layer_spec> before;  // layers on the input, before the first weight layer
};

// A case's run: the network, a 50-sample dataset of random features, the code, loss and SGD.
struct step_setup {
    train_spec spec;
    dataset d;
    train::image_shape shape;
    train::input_code code;
    train::loss_options loss;
    train::optimizer_options oo;
    train::augmentation aug;
};

step_setup setup_of(const step_case& sc) {
    step_setup u;
    train_spec& spec = u.spec;
    spec.scheme = sc.scheme;
    spec.code = {{"steps", 10.0, ""}};
    if (sc.scheme == "rate") spec.code.push_back({"max_rate", 500.0, ""});
    spec.code.insert(spec.code.end(), sc.code.begin(), sc.code.end());
    spec.optimizer = "sgd";
    layer_spec fc1, lif1, fc2, out;
    fc1.kind = fc2.kind = "dense";
    fc1.size = 64;
    fc2.size = 10;
    lif1.kind = sc.hidden_kind;
    out.kind = sc.readout;
    lif1.reset = sc.hidden_reset;
    lif1.recurrent = sc.recurrent;
    lif1.detach_reset = sc.detach_reset;
    lif1.learn_beta = out.learn_beta = sc.learn_beta;
    lif1.learn_threshold = sc.learn_threshold;
    out.learn_threshold = sc.learn_threshold && sc.readout == "lif";
    fc1.init_gain = 3;
    fc2.init_gain = 3;
    if (sc.conv) {
        fc1.kind = "conv2d";
        fc1.channels = 4;
        fc1.kernel = 3;
        fc1.stride = sc.stride;
        fc1.padding = sc.padding;
    }
    spec.layers = {fc1, lif1, fc2, out};
    spec.layers.insert(spec.layers.begin() + 2, sc.between.begin(), sc.between.end());
    spec.layers.insert(spec.layers.begin(), sc.before.begin(), sc.before.end());
    if (sc.residual) {
        layer_spec fcm = fc1, middle, add;
        fcm.kind = "dense";
        middle.kind = sc.middle_kind;
        middle.recurrent = sc.middle_recurrent;
        middle.reset = "subtract";
        add.kind = "add";
        add.from = 2;
        spec.layers.insert(spec.layers.begin() + 2, {fcm, middle, add});
        if (sc.dropout_after_add > 0)
            spec.layers.insert(spec.layers.begin() + 5,
                               test::layer_of("dropout", sc.dropout_after_add));
    }
    for (const double factor : sc.scales) {
        layer_spec scale;
        scale.kind = "scale";
        scale.factor = factor;
        spec.layers.insert(spec.layers.end() - 2, scale);
    }
    if (!sc.pool.empty()) {
        layer_spec pool;
        pool.kind = sc.pool;
        pool.kernel = 2;
        spec.layers.insert(spec.layers.begin() + 2, pool);
    }
    if (sc.dropout > 0) { // on the hidden spikes, after their pooling
        layer_spec drop;
        drop.kind = "dropout";
        drop.p = sc.dropout;
        spec.layers.insert(spec.layers.begin() + (sc.pool.empty() ? 2 : 3), drop);
    }
    spec.batch = 16;
    dataset& d = u.d;
    d.samples = 50;
    d.features = sc.conv ? 64 : 29;
    u.shape = sc.conv ? train::image_shape{1, 8, 8} : train::image_shape{d.features, 1, 1};
    const std::vector<float> v = random_values(std::size_t{d.samples} * d.features, 6, 0, 1);
    d.x.assign(v.begin(), v.end());
    for (std::uint32_t i = 0; i < d.samples; ++i) d.labels.push_back(static_cast<int>(i % 10));
    u.code = train::make_input_code(spec, d.features);
    u.loss.kind = sc.loss;
    u.oo.kind = train::optimizer_kind::sgd;
    u.oo.momentum = 0;
    u.oo.clip = sc.clip;
    if (sc.augment) {
        spec.data.flip = true;
        spec.data.shift = 2;
        d.image = {8, 8};
        u.aug = train::make_augmentation(spec.data, d, spec.seed);
    }
    return u;
}

step_comparison compare_one_step(const step_case& sc) {
    const step_setup u = setup_of(sc);
    const train_spec& spec = u.spec;
    const dataset& d = u.d;
    const train::image_shape& shape = u.shape;
    const train::input_code& code = u.code;
    const train::loss_options& loss = u.loss;
    const train::optimizer_options& oo = u.oo;
    train::model<float> net(spec.layers, code.channels, 10, 1, shape);
    train::optimizer<float> opt(oo);
    auto params = net.parameters();
    train::model<double> reference(spec.layers, code.channels, 10, 1, shape);
    train::optimizer<double> ref_opt(oo);
    auto ref_params = reference.parameters();
    for (std::size_t i = 0; i < params.size(); ++i)
        ref_params[i].value->assign(params[i].value->begin(), params[i].value->end());

    train::device_plan plan = train::make_device_plan(spec, code, loss, oo, d, shape);
    plan.bf16 = sc.bf16;
    plan.augment = u.aug;
    auto device = cuda::trainer_factory()(plan);
    device->upload(train::device_tensors(params, opt), 0);
    std::vector<std::uint32_t> rows;
    for (std::uint32_t b = 0; b < spec.batch; ++b) rows.push_back((7 * b + 3) % d.samples);
    const double lr = 0.5;
    std::vector<float> gpu_logits(spec.batch * 10);
    step_comparison c;
    const std::uint32_t batch_key = 7; // the dropout masks'
    c.gpu_loss = device->step(rows.data(), spec.batch, 50, batch_key, lr, gpu_logits.data());
    std::vector<std::vector<float>> gpu_weights(params.size()), m(params.size()), s(params.size());
    std::vector<train::device_tensor> back;
    for (std::size_t i = 0; i < params.size(); ++i) back.push_back({&gpu_weights[i], &m[i], &s[i]});
    device->download(back);

    std::vector<double> x, dy, logits;
    train::encode_batch(code, d, rows, 50, x, &u.aug);
    reference.set_training(true, batch_key);
    const double* y = reference.forward(x.data(), 10, static_cast<int>(spec.batch));
    std::vector<std::int32_t> labels;
    for (auto r : rows) labels.push_back(d.labels[r]);
    c.cpu_loss = train::compute_loss(loss, y, 10, static_cast<int>(spec.batch), 10, labels.data(),
                                     dy, logits);
    reference.zero_grad();
    reference.backward(dy.data(), 10, static_cast<int>(spec.batch));
    ref_opt.step(ref_params, lr);
    std::vector<float> gpu_update;
    std::vector<double> cpu_update;
    double dot = 0, gg = 0, cc = 0;
    for (std::size_t i = 0; i < params.size(); ++i) {
        const std::size_t from = gpu_update.size();
        for (std::size_t k = 0; k < params[i].value->size(); ++k) {
            const double start = (*params[i].value)[k];
            gpu_update.push_back(static_cast<float>(gpu_weights[i][k] - start));
            cpu_update.push_back((*ref_params[i].value)[k] - start);
            dot += gpu_update.back() * cpu_update.back();
            gg += gpu_update.back() * gpu_update.back();
            cc += cpu_update.back() * cpu_update.back();
        }
        c.worst_tensor_error = std::max(
            c.worst_tensor_error, relative_error({gpu_update.begin() + from, gpu_update.end()},
                                                 {cpu_update.begin() + from, cpu_update.end()}));
    }
    c.update_error = relative_error(gpu_update, cpu_update);
    c.update_cosine = dot / std::sqrt(gg * cc);
    c.logit_error = relative_error(gpu_logits, logits);
    return c;
}

// A float32 step within its precision: the loss, the logits, and each tensor's update.
template<class What>
void expect_float32_match(const step_comparison& c, const What& what, double logit_bound = 1e-5) {
    EXPECT_NEAR(c.gpu_loss, c.cpu_loss, 1e-5 * std::abs(c.cpu_loss)) << what;
    EXPECT_LT(c.logit_error, logit_bound) << what;
    EXPECT_LT(c.worst_tensor_error, 1e-4) << what;
}

// More memory than the device has is refused in words (how much was needed, how much is free),
// and the device stays usable: the failure does not stick to the next allocation or launch.
TEST(NM_STEP_SUITE, an_allocation_past_the_device_says_how_much) {
    NM_NEED_STEP_DEVICE();
    cuda::buffer<std::byte> huge;
    try {
        huge.resize(std::size_t{1} << 50); // 1 PiB
        FAIL() << "1 PiB must not fit";
    } catch (const device_error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("out of GPU memory: 1048576.000 GiB more were needed"),
                  std::string::npos)
            << what;
        EXPECT_NE(what.find("GiB free"), std::string::npos) << what;
    }
    EXPECT_EQ(huge.data(), nullptr);
    cuda::buffer<float> small(1024);
    EXPECT_NE(small.data(), nullptr);
    EXPECT_EQ(cudaGetLastError(), cudaSuccess);
}

TEST(NM_STEP_SUITE, float32_step_matches_the_cpu_step) {
    NM_NEED_STEP_DEVICE();
    for (const char* kind : {"lif", "cuba_lif", "alif", "rf", "graded_lif"})
        for (const char* reset : {"zero", "subtract"}) {
            if (std::string(kind) == "graded_lif" && std::string(reset) == "zero") continue;
            step_case sc;
            sc.hidden_reset = reset;
            sc.hidden_kind = kind;
            const step_comparison c = compare_one_step(sc);
            EXPECT_NEAR(c.gpu_loss, c.cpu_loss, 1e-5 * std::abs(c.cpu_loss)) << kind << reset;
            EXPECT_LT(c.logit_error, 1e-6) << kind << ", " << reset;
            EXPECT_LT(c.update_error, 1e-4) << kind << ", " << reset;
        }
}

// Every loss runs train::sample_loss on the device: the step matches the CPU's for each, with the
// readout it is meant for (ce_max and ce_mean on a leaky integrator's membrane).
TEST(NM_STEP_SUITE, every_loss_matches_the_cpu_step) {
    NM_NEED_STEP_DEVICE();
    using train::loss_kind;
    const std::pair<loss_kind, const char*> losses[] = {{loss_kind::ce_count, "lif"},
                                                        {loss_kind::mse_count, "lif"},
                                                        {loss_kind::ce_first_spike, "lif"},
                                                        {loss_kind::ce_mean, "li"},
                                                        {loss_kind::ce_max, "li"}};
    for (const auto& [loss, readout] : losses) {
        step_case sc;
        sc.readout = readout;
        sc.loss = loss;
        const step_comparison c = compare_one_step(sc);
        const int k = static_cast<int>(loss);
        EXPECT_NEAR(c.gpu_loss, c.cpu_loss, 1e-5 * std::abs(c.cpu_loss)) << "loss " << k;
        EXPECT_LT(c.logit_error, 1e-5) << "loss " << k;
        EXPECT_LT(c.update_error, 1e-4) << "loss " << k;
        EXPECT_GT(c.update_cosine, 0.99) << "loss " << k; // and the update is not zero
    }
}

// Learned decays and thresholds (PLIF-style): each neuron's share computed in its thread, summed
// over the batch, and kept in bounds by the update, tensor by tensor as the CPU layers do.
TEST(NM_STEP_SUITE, learned_decays_and_thresholds_match_the_cpu_step) {
    NM_NEED_STEP_DEVICE();
    for (const char* readout : {"lif", "li"})
        for (const char* reset : {"zero", "subtract"}) {
            step_case sc;
            sc.hidden_reset = reset;
            sc.readout = readout;
            sc.learn_beta = sc.learn_threshold = true;
            sc.clip = 0.5; // the norm covers the decays and thresholds too
            if (sc.readout == "li") sc.loss = train::loss_kind::ce_mean;
            const step_comparison c = compare_one_step(sc);
            expect_float32_match(c, std::string(readout) + ", " + reset);
        }
    step_case cuba; // its decay multiplies the membrane, not the synaptic current
    cuba.hidden_kind = "cuba_lif";
    cuba.learn_beta = true;
    expect_float32_match(compare_one_step(cuba), "cuba_lif");
}

// Dropout on the hidden spikes: the device draws train::dropout's masks from the layer's own
// stream and batch key, zeroes the same features at every step and scales in the GEMMs.
TEST(NM_STEP_SUITE, dropout_matches_the_cpu_step) {
    NM_NEED_STEP_DEVICE();
    for (double p : {0.25, 0.5}) {
        step_case sc;
        sc.dropout = p;
        const step_comparison c = compare_one_step(sc);
        expect_float32_match(c, p, 1e-6);
    }
}

// Recurrent LIF after a convolution: the per-channel biases reach the step kernel.
TEST(NM_STEP_SUITE, recurrent_lif_after_a_convolution_matches_the_cpu_step) {
    NM_NEED_STEP_DEVICE();
    for (const char* reset : {"zero", "subtract"}) {
        step_case sc;
        sc.conv = true;
        sc.recurrent = true;
        sc.hidden_reset = reset;
        expect_float32_match(compare_one_step(sc), reset);
    }
}

// Recurrent LIF: a GEMM and a step kernel per step, v* kept from forward, ∂W summed over the
// steps in reverse: every reset, the reset attached or not, rate-coded or direct input.
TEST(NM_STEP_SUITE, recurrent_lif_matches_the_cpu_step) {
    NM_NEED_STEP_DEVICE();
    for (const char* scheme : {"rate", "direct"})
        for (const char* reset : {"zero", "subtract", "none"})
            for (bool detach : {true, false}) {
                step_case sc;
                sc.recurrent = true;
                sc.scheme = scheme;
                sc.hidden_reset = reset;
                sc.detach_reset = detach;
                const step_comparison c = compare_one_step(sc);
                const std::string what =
                    std::string(scheme) + ", " + reset + (detach ? ", detached" : ", attached");
                expect_float32_match(c, what);
            }
}

// Convolutions as im2col and one GEMM, pooling read from the spikes' bits: rate-coded spikes or
// direct currents (one step's columns, the gradient summed over the steps) into a conv layer,
// with and without a stride and padding, its spikes max- or average-pooled or read whole.
TEST(NM_STEP_SUITE, convolution_and_pooling_match_the_cpu_step) {
    NM_NEED_STEP_DEVICE();
    for (const char* scheme : {"rate", "direct"})
        for (const char* pool : {"maxpool", "avgpool", ""})
            for (std::size_t stride : {1, 2}) {
                step_case sc;
                sc.conv = true;
                sc.scheme = scheme;
                sc.pool = pool;
                sc.stride = stride;
                sc.padding = 2 - stride;
                const step_comparison c = compare_one_step(sc);
                const std::string what =
                    std::string(scheme) + ", " + pool + ", stride " + std::to_string(stride);
                expect_float32_match(c, what);
            }
}

// Graded spikes pooled from their kept counts: the maximum's gradient to the window's first
// largest count, the mean's shared.
TEST(NM_STEP_SUITE, pooled_graded_spikes_match_the_cpu_step) {
    NM_NEED_STEP_DEVICE();
    for (const char* pool : {"maxpool", "avgpool"}) {
        step_case sc;
        sc.conv = true;
        sc.pool = pool;
        sc.hidden_kind = "graded_lif";
        sc.hidden_reset = "subtract";
        expect_float32_match(compare_one_step(sc), pool);
    }
}

// [data] flip and shift: the device transforms its resident samples with the CPU's draws per
// sample key, for direct currents and for the rate code's thresholds.
TEST(NM_STEP_SUITE, augmented_images_match_the_cpu_step) {
    NM_NEED_STEP_DEVICE();
    for (const char* scheme : {"rate", "direct"}) {
        step_case sc;
        sc.conv = true;
        sc.augment = true;
        sc.scheme = scheme;
        expect_float32_match(compare_one_step(sc), scheme);
    }
}

// The deterministic spike codes, encoded once on the host and scattered on the device: every
// scheme that codes feature vectors but the Poisson rate (which the device draws itself), with
// graded bursts, and receptive fields (population) widening the input.
const std::vector<std::pair<std::string, std::vector<param>>>& event_codes() {
    static const std::vector<std::pair<std::string, std::vector<param>>> codes{
        {"latency", {}},
        {"latency", {{"mode", std::string("log"), ""}, {"tau", 3.0, ""}}},
        {"isi", {{"isi_min", 1.0, ""}, {"isi_max", 8.0, ""}}},
        {"phase", {{"period", 5.0, ""}}},
        {"burst", {{"n_max", 4.0, ""}}},
        {"burst", {{"n_max", 6.0, ""}, {"graded", 1.0, ""}}},
        {"sparse", {{"fraction", 0.3, ""}}},
        {"population", {{"fields", 4.0, ""}}},
        {"rate", {{"mode", std::string("regular"), ""}}},
    };
    return codes;
}

// A Poisson rate code with a dead time, drawn on the device: each channel's silences run in
// time within one thread, from the CPU encoder's Philox words.
TEST(NM_STEP_SUITE, rate_code_with_dead_time_matches_the_cpu_step) {
    NM_NEED_STEP_DEVICE();
    step_case sc;
    sc.code = {{"t_ref", 3.0, ""}};
    expect_float32_match(compare_one_step(sc), "t_ref = 3 ms");
}

TEST(NM_STEP_SUITE, every_deterministic_code_matches_the_cpu_step) {
    NM_NEED_STEP_DEVICE();
    for (const auto& [scheme, code] : event_codes()) {
        step_case sc;
        sc.scheme = scheme;
        sc.code = code;
        const std::string what = scheme + " (" + std::to_string(code.size()) + " parameters)";
        const step_comparison c = compare_one_step(sc);
        expect_float32_match(c, what);
        EXPECT_GT(c.update_cosine, 0.99) << what << ": the input must drive learning";
    }
}

// Residual adds: the second hidden block's spikes plus the first's feed the readout, the add's
// gradient reaching both (from binary, graded and recurrent layers); and scale layers folded
// into the GEMMs, alone and with dropout, before a dense layer or a convolution, and on the
// input.
TEST(NM_STEP_SUITE, residual_adds_and_scales_match_the_cpu_step) {
    NM_NEED_STEP_DEVICE();
    for (const char* kind : {"lif", "graded_lif", "cuba_lif"})
        for (bool recurrent : {false, true}) {
            if (recurrent && kind != std::string("lif")) continue;
            step_case sc;
            sc.residual = true;
            sc.hidden_kind = kind;
            sc.hidden_reset = "subtract";
            sc.middle_recurrent = recurrent;
            const std::string what =
                std::string("add of ") + kind + (recurrent ? ", recurrent" : "");
            expect_float32_match(compare_one_step(sc), what);
        }
    // Before a second convolution, whose gradients carry the scale and the mask too.
    step_case conv;
    conv.conv = true;
    conv.between = {test::layer_of("scale", 0.5), test::layer_of("dropout", 0.3),
                    test::conv_layer(3, 3, 1, 1, 3.0), test::layer_of("lif")};
    expect_float32_match(compare_one_step(conv), "scale and dropout before a convolution");
    // On the input: rate-coded (a mask over every step) and direct (one current row per
    // sample, the mask and the scale in its single GEMM and its weight gradient), into a dense
    // layer or a convolution.
    for (const char* scheme : {"rate", "direct"})
        for (bool into_conv : {false, true}) {
            step_case input;
            input.scheme = scheme;
            input.conv = into_conv;
            input.before = {test::layer_of("scale", 2.0), test::layer_of("dropout", 0.3)};
            expect_float32_match(compare_one_step(input),
                                 std::string("input, ") + scheme + (into_conv ? ", conv" : ""));
        }
    // After an add, on the sum: the mask and the scale reach both sides' gradients.
    step_case summed;
    summed.residual = true;
    summed.scales = {0.5};
    summed.dropout_after_add = 0.3;
    expect_float32_match(compare_one_step(summed), "scale and dropout after an add");
    step_case scaled;
    scaled.scales = {0.5, 3.0};
    expect_float32_match(compare_one_step(scaled), "scales");
    scaled.dropout = 0.3;
    expect_float32_match(compare_one_step(scaled), "scales and dropout");
}

// Evaluation: every sample of a split in batches, the outputs and each layer's spike count
// against the CPU model's forward (key 0, no dropout), dense and convolutional, with a graded
// burst code (input spikes counted with their sizes).
TEST(NM_STEP_SUITE, evaluation_matches_the_cpu_forward) {
    NM_NEED_STEP_DEVICE();
    for (int kind = 0; kind < 4; ++kind) {
        const bool conv = kind == 1;
        step_case sc;
        sc.conv = conv;
        sc.pool = conv ? "maxpool" : "";
        sc.dropout = kind == 3 ? 0 : 0.3; // inactive in evaluation, on both sides
        if (kind == 2) {
            sc.scheme = "burst";
            sc.code = {{"n_max", 6.0, ""}, {"graded", 1.0, ""}};
        }
        sc.residual = kind == 3; // the added spikes kept in evaluation too
        const step_setup u = setup_of(sc);
        train::model<double> cpu(u.spec.layers, u.code.channels, 10, 1, u.shape);
        train::model<float> net(u.spec.layers, u.code.channels, 10, 1, u.shape);
        auto params = net.parameters();
        auto cpu_params = cpu.parameters();
        for (std::size_t i = 0; i < params.size(); ++i)
            cpu_params[i].value->assign(params[i].value->begin(), params[i].value->end());
        train::optimizer<float> opt(u.oo);
        train::device_plan plan =
            train::make_device_plan(u.spec, u.code, u.loss, u.oo, u.d, u.shape);
        plan.bf16 = false;
        auto device = cuda::trainer_factory()(plan);
        device->upload(train::device_tensors(params, opt), 0);
        const std::uint32_t n = u.d.samples, steps = u.code.steps;
        std::vector<float> y(steps * n * 10);
        std::vector<double> spikes(net.layers().size(), 0.0), cpu_spikes(spikes.size(), 0.0);
        double input_spikes = 0, cpu_input = 0;
        device->evaluate(u.d.x.data(), n, 0, n, y.data(), spikes, input_spikes);

        std::vector<std::uint32_t> rows(n);
        for (std::uint32_t b = 0; b < n; ++b) rows[b] = b;
        std::vector<double> x;
        train::encode_batch(u.code, u.d, rows, 0, x);
        cpu.set_training(false);
        const double* out = cpu.forward(x.data(), static_cast<int>(steps), static_cast<int>(n));
        for (double v : x) cpu_input += v;
        for (std::size_t i = 0; i < cpu.layers().size(); ++i)
            if (cpu.layers()[i]->spiking())
                for (double v : cpu.activation(i)) cpu_spikes[i] += v;
        const std::string what = conv        ? "conv"
                                 : kind == 2 ? "graded bursts"
                                 : kind == 3 ? "residual"
                                             : "dense";
        EXPECT_LT(relative_error(y, {out, out + y.size()}), 1e-5) << what;
        EXPECT_EQ(input_spikes, cpu_input) << what;
        EXPECT_EQ(spikes, cpu_spikes) << what;
        EXPECT_GT(spikes[1], 0) << what;
    }
}

// Weights rounded to bfloat16 (2^-9) move v* enough to flip spikes near threshold, and a flipped
// spike changes every gradient downstream of it: elementwise bounds do not apply, the loss and
// the update's direction do.
TEST(NM_STEP_SUITE, bfloat16_step_stays_within_its_precision) {
    NM_NEED_STEP_DEVICE();
    step_case sc;
    sc.bf16 = true;
    const step_comparison c = compare_one_step(sc);
    EXPECT_NEAR(c.gpu_loss, c.cpu_loss, 2e-2 * std::abs(c.cpu_loss));
    EXPECT_GT(c.update_cosine, 0.9);
}

} // namespace
} // namespace nm
