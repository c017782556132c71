// Every CUDA training kernel against the CPU layers on random inputs (never zeros): spikes
// identical, currents' gradients within float precision of the double-precision CPU layers, the
// rate code bit for bit, and one whole training step (GEMMs, loss, BPTT, update) within float32
// and bfloat16 bounds. Skipped where no GPU is present.
#include "backends/cuda/cuda.hpp"
#include "backends/cuda/ops.hpp"
#include "core/philox.hpp"
#include "train/data.hpp"
#include "train/device_plan.hpp"
#include "train/loss.hpp"
#include "train/model.hpp"
#include "train/optimizer.hpp"

#include "kernel_checks.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

namespace nm {
namespace {

#define NM_NEED_GPU()                                                                              \
    if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device"

using test::cast;
using test::random_values;
using test::relative_error;

constexpr int steps = 12, batch = 7, neurons = 45; // widths not a multiple of 32
constexpr std::size_t width = std::size_t{batch} * neurons, total = steps * width;

train::neuron_options options_of(const cuda::ops::spiking_spec& s) {
    train::neuron_options o;
    o.beta = s.beta;
    o.threshold = s.threshold;
    o.reset = static_cast<train::reset_mode>(s.reset);
    o.grad.kind = static_cast<train::surrogate_kind>(s.surrogate);
    o.grad.slope = s.slope;
    o.detach_reset = s.detach;
    return o;
}

constexpr double omega = 0.6;

// The CPU layer of a spec's kind, in float or double.
template<class Real>
std::unique_ptr<train::layer<Real>> cpu_layer(const cuda::ops::spiking_spec& s) {
    const train::neuron_options o = options_of(s);
    if (s.kind == 2) return std::make_unique<train::cuba_lif_layer<Real>>(neurons, o, s.alpha);
    if (s.kind == 3)
        return std::make_unique<train::alif_layer<Real>>(neurons, o, s.adapt, s.adapt_decay);
    if (s.kind == 4) return std::make_unique<train::rf_layer<Real>>(neurons, o, omega);
    if (s.kind == 5) return std::make_unique<train::graded_lif_layer<Real>>(neurons, o, s.n_max);
    return std::make_unique<train::lif_layer<Real>>(neurons, o);
}

constexpr int kinds[] = {0, 2, 3, 4, 5}; // lif, cuba_lif, alif, rf, graded_lif
constexpr const char* kind_names[] = {"lif", "", "cuba_lif", "alif", "rf", "graded_lif"};

// Graded spikes reset by subtraction or not at all (the model refuses the zero reset).
bool valid(int kind, int reset) {
    return kind != 5 || reset != 0;
}

// A spec of `kind` with its constants as the CPU layers derive them (rf: ω = 0.6 rad/step).
cuda::ops::spiking_spec spec_of(int kind) {
    cuda::ops::spiking_spec s;
    s.kind = kind;
    s.alpha = 0.7f;
    s.adapt = 0.3f;
    s.adapt_decay = 0.9f;
    s.n_max = 3;
    const double beta = options_of(s).beta;
    s.rf_c = static_cast<float>(beta * std::cos(omega));
    s.rf_d = static_cast<float>(beta * std::sin(omega));
    return s;
}

TEST(gpu_kernels, spiking_forward_fires_the_cpu_layers_spikes) {
    NM_NEED_GPU();
    const std::vector<float> x = random_values(total, 1, -0.3, 0.9);
    for (int kind : kinds)
        for (int reset = 0; reset < 3; ++reset) {
            if (!valid(kind, reset)) continue;
            cuda::ops::spiking_spec s = spec_of(kind);
            s.reset = reset;
            std::vector<float> ref(total);
            cpu_layer<float>(s)->forward(x.data(), ref.data(), steps, batch);
            double fired = 0;
            for (float v : ref) fired += v;
            EXPECT_GT(fired, 0.05 * total) << "the test must make neurons fire";
            EXPECT_EQ(cuda::ops::spiking_forward(s, x, steps, neurons), ref)
                << kind_names[kind] << ", reset mode " << reset;
            EXPECT_EQ(cuda::ops::spikes_as_kept(s, x, steps, neurons), ref);
        }
}

TEST(gpu_kernels, spiking_backward_matches_the_double_precision_layer) {
    NM_NEED_GPU();
    const std::vector<float> x = random_values(total, 2, -0.3, 0.9);
    const std::vector<float> dy = random_values(total, 3, -1, 1);
    for (int kind : kinds)
        for (int reset = 0; reset < 3; ++reset)
            for (int surrogate = 0; surrogate < 4; ++surrogate)
                for (bool detach : {true, false}) {
                    if (!valid(kind, reset)) continue;
                    cuda::ops::spiking_spec s = spec_of(kind);
                    s.reset = reset;
                    s.surrogate = surrogate;
                    s.detach = detach;
                    auto cpu = cpu_layer<double>(s);
                    const std::vector<double> xd = cast<double>(x), dyd = cast<double>(dy);
                    std::vector<double> y(total), dx(total);
                    cpu->forward(xd.data(), y.data(), steps, batch);
                    cpu->backward(dyd.data(), dx.data(), steps, batch);
                    const std::vector<float> gpu =
                        cuda::ops::spiking_backward(s, x, dy, steps, neurons);
                    EXPECT_LT(relative_error(gpu, dx), 1e-5)
                        << kind_names[kind] << ", reset " << reset << ", surrogate " << surrogate
                        << ", detach " << detach;
                }
}

TEST(gpu_kernels, leaky_integrator_matches_the_cpu_layer) {
    NM_NEED_GPU();
    const std::vector<float> x = random_values(total, 4, -1, 1);
    train::neuron_options o;
    o.beta = 0.8;
    train::li_layer<double> cpu(neurons, o);
    const std::vector<double> xd = cast<double>(x);
    std::vector<double> y(total), dx(total);
    cpu.forward(xd.data(), y.data(), steps, batch);
    cpu.backward(xd.data(), dx.data(), steps, batch); // x doubles as ∂L/∂y
    EXPECT_LT(relative_error(cuda::ops::li_forward(0.8f, x, steps, neurons), y), 1e-6);
    EXPECT_LT(relative_error(cuda::ops::li_backward(0.8f, x, steps, neurons), dx), 1e-6);
}

TEST(gpu_kernels, rate_code_draws_the_cpu_encoders_spikes) {
    NM_NEED_GPU();
    train_spec spec;
    spec.scheme = "rate";
    spec.code = {{"steps", 9.0, ""}, {"max_rate", 600.0, ""}};
    dataset d;
    d.samples = 40;
    d.features = 29;
    const std::vector<float> v = random_values(std::size_t{d.samples} * d.features, 5, 0, 1);
    d.x.assign(v.begin(), v.end());
    const train::input_code code = train::make_input_code(spec, d.features);
    const std::vector<std::uint32_t> rows{3, 17, 0, 39, 22};
    const std::uint64_t key = 2 * 40;
    std::vector<float> ref;
    train::encode_batch(code, d, rows, key, ref);
    const std::vector<float> gpu =
        cuda::ops::encode_rate(d.x, d.features, rows, static_cast<std::uint32_t>(key), 9, 600.0,
                               1.0, code.rng.key0(), code.rng.key1(), code.rng.stream());
    double fired = 0;
    for (float s : ref) fired += s;
    EXPECT_GT(fired, 0.1 * ref.size());
    EXPECT_EQ(gpu, ref);
}

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
};

step_comparison compare_one_step(const step_case& sc) {
    train_spec spec;
    spec.scheme = sc.scheme;
    spec.code = {{"steps", 10.0, ""}};
    if (sc.scheme == "rate") spec.code.push_back({"max_rate", 500.0, ""});
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
    if (!sc.pool.empty()) {
        layer_spec pool;
        pool.kind = sc.pool;
        pool.kernel = 2;
        spec.layers.insert(spec.layers.begin() + 2, pool);
    }
    if (sc.dropout > 0) {
        layer_spec drop;
        drop.kind = "dropout";
        drop.p = sc.dropout;
        spec.layers.insert(spec.layers.begin() + 2, drop);
    }
    spec.batch = 16;
    dataset d;
    d.samples = 50;
    d.features = sc.conv ? 64 : 29;
    const train::image_shape shape =
        sc.conv ? train::image_shape{1, 8, 8} : train::image_shape{d.features, 1, 1};
    const std::vector<float> v = random_values(std::size_t{d.samples} * d.features, 6, 0, 1);
    d.x.assign(v.begin(), v.end());
    for (std::uint32_t i = 0; i < d.samples; ++i) d.labels.push_back(static_cast<int>(i % 10));
    const train::input_code code = train::make_input_code(spec, d.features);
    train::loss_options loss;
    loss.kind = sc.loss;
    train::optimizer_options oo;
    oo.kind = train::optimizer_kind::sgd;
    oo.momentum = 0;
    oo.clip = sc.clip;
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
    train::encode_batch(code, d, rows, 50, x);
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

TEST(gpu_trainer, float32_step_matches_the_cpu_step) {
    NM_NEED_GPU();
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
TEST(gpu_trainer, every_loss_matches_the_cpu_step) {
    NM_NEED_GPU();
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
TEST(gpu_trainer, learned_decays_and_thresholds_match_the_cpu_step) {
    NM_NEED_GPU();
    for (const char* readout : {"lif", "li"})
        for (const char* reset : {"zero", "subtract"}) {
            step_case sc;
            sc.hidden_reset = reset;
            sc.readout = readout;
            sc.learn_beta = sc.learn_threshold = true;
            sc.clip = 0.5; // the norm covers the decays and thresholds too
            if (sc.readout == "li") sc.loss = train::loss_kind::ce_mean;
            const step_comparison c = compare_one_step(sc);
            EXPECT_NEAR(c.gpu_loss, c.cpu_loss, 1e-5 * std::abs(c.cpu_loss)) << readout << reset;
            EXPECT_LT(c.worst_tensor_error, 1e-4) << readout << ", " << reset;
        }
}

// Dropout on the hidden spikes: the device draws train::dropout's masks from the layer's own
// stream and batch key, zeroes the same features at every step and scales in the GEMMs.
TEST(gpu_trainer, dropout_matches_the_cpu_step) {
    NM_NEED_GPU();
    for (double p : {0.25, 0.5}) {
        step_case sc;
        sc.dropout = p;
        const step_comparison c = compare_one_step(sc);
        EXPECT_NEAR(c.gpu_loss, c.cpu_loss, 1e-5 * std::abs(c.cpu_loss)) << p;
        EXPECT_LT(c.logit_error, 1e-6) << p;
        EXPECT_LT(c.worst_tensor_error, 1e-4) << p;
    }
}

// Recurrent LIF: a GEMM and a step kernel per step, v* kept from forward, ∂W summed over the
// steps in reverse: every reset, the reset attached or not, rate-coded or direct input.
TEST(gpu_trainer, recurrent_lif_matches_the_cpu_step) {
    NM_NEED_GPU();
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
                EXPECT_NEAR(c.gpu_loss, c.cpu_loss, 1e-5 * std::abs(c.cpu_loss)) << what;
                EXPECT_LT(c.logit_error, 1e-5) << what;
                EXPECT_LT(c.worst_tensor_error, 1e-4) << what;
            }
}

// Convolutions as im2col and one GEMM, pooling read from the spikes' bits: rate-coded spikes or
// direct currents (one step's columns, the gradient summed over the steps) into a conv layer,
// with and without a stride and padding, its spikes max- or average-pooled or read whole.
TEST(gpu_trainer, convolution_and_pooling_match_the_cpu_step) {
    NM_NEED_GPU();
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
                EXPECT_NEAR(c.gpu_loss, c.cpu_loss, 1e-5 * std::abs(c.cpu_loss)) << what;
                EXPECT_LT(c.logit_error, 1e-5) << what;
                EXPECT_LT(c.worst_tensor_error, 1e-4) << what;
            }
}

// Weights rounded to bfloat16 (2^-9) move v* enough to flip spikes near threshold, and a flipped
// spike changes every gradient downstream of it: elementwise bounds do not apply, the loss and
// the update's direction do.
TEST(gpu_trainer, bfloat16_step_stays_within_its_precision) {
    NM_NEED_GPU();
    step_case sc;
    sc.bf16 = true;
    const step_comparison c = compare_one_step(sc);
    EXPECT_NEAR(c.gpu_loss, c.cpu_loss, 2e-2 * std::abs(c.cpu_loss));
    EXPECT_GT(c.update_cosine, 0.9);
}

// The plan is made on the host: these run without a device.
std::string plan_error(const std::vector<layer_spec>& layers) {
    train_spec spec;
    spec.layers = layers;
    train::input_code code;
    code.channels = 16;
    dataset d;
    try {
        train::make_device_plan(spec, code, {}, {}, d);
    } catch (const bad_config& e) {
        return e.what();
    }
    return "";
}

TEST(gpu_trainer, refuses_layers_it_cannot_train_by_name) {
    layer_spec lif, dense, cuba, pool, recurrent, conv;
    lif.kind = "lif";
    dense.kind = "dense";
    dense.size = 8;
    pool.kind = "maxpool";
    pool.kernel = 2;
    const std::string pooled_dense = plan_error({dense, lif, pool});
    EXPECT_NE(pooled_dense.find("layer 3 (maxpool)"), std::string::npos) << pooled_dense;
    recurrent.kind = "lif";
    recurrent.recurrent = true;
    conv.kind = "conv2d";
    conv.channels = 2;
    conv.kernel = 1;
    const std::string recurrent_conv = plan_error({conv, recurrent});
    EXPECT_NE(recurrent_conv.find("layer 2 (lif): recurrent after a conv2d layer"),
              std::string::npos)
        << recurrent_conv;
    EXPECT_EQ(plan_error({dense, recurrent}), "");
    cuba.kind = "cuba_lif";
    cuba.learn_beta = true;
    EXPECT_NE(plan_error({dense, cuba}).find("learn_beta on a cuba_lif layer"), std::string::npos)
        << plan_error({dense, cuba});
    layer_spec drop;
    drop.kind = "dropout";
    drop.p = 0.5;
    const std::string on_input = plan_error({drop, dense, lif});
    EXPECT_NE(on_input.find("layer 1 (dropout)"), std::string::npos) << on_input;
    const std::string at_end = plan_error({dense, lif, drop});
    EXPECT_NE(at_end.find("layer 3 (dropout)"), std::string::npos) << at_end;
    EXPECT_NE(at_end.find("not followed by a dense layer"), std::string::npos) << at_end;
}

TEST(gpu_trainer, plans_learned_decays_and_thresholds) {
    layer_spec dense, lif, out, li;
    dense.kind = out.kind = "dense";
    dense.size = 8;
    out.size = 3;
    lif.kind = "lif";
    lif.learn_beta = lif.learn_threshold = true;
    li.kind = "li";
    li.learn_beta = true;
    layer_spec drop;
    drop.kind = "dropout";
    drop.p = 0.3;
    train_spec spec;
    spec.seed = 11;
    spec.layers = {dense, lif, drop, out, li};
    train::input_code code;
    code.channels = 16;
    dataset d;
    const train::device_plan p = train::make_device_plan(spec, code, {}, {}, d);
    ASSERT_EQ(p.blocks.size(), 2u);
    EXPECT_TRUE(p.blocks[0].learn_beta && p.blocks[0].learn_threshold);
    EXPECT_TRUE(p.blocks[1].learn_beta && !p.blocks[1].learn_threshold);
    EXPECT_EQ(p.blocks[1].dropout, 0.3);
    EXPECT_EQ(p.blocks[1].dense_layer, 3u); // the dropout layer counts in the CPU model
    // The mask the device draws comes from the CPU layer's stream.
    EXPECT_EQ(p.blocks[1].dropout_rng.uniform(5, 9), train::model_stream(11, 2).uniform(5, 9));
    EXPECT_EQ(p.blocks[0].dropout, 0.0);
}

// The plan's images are the CPU model's: a conv2d block's input and output, the pooled image,
// and what the dense layer after them reads.
TEST(gpu_trainer, plans_convolutions_with_the_cpu_models_shapes) {
    layer_spec conv, lif, pool, flat, dense, li;
    conv.kind = "conv2d";
    conv.channels = 4;
    conv.kernel = 3;
    conv.stride = 2;
    conv.padding = 1;
    lif.kind = "lif";
    pool.kind = "avgpool";
    pool.kernel = 2;
    flat.kind = "flatten";
    dense.kind = "dense";
    dense.size = 10;
    li.kind = "li";
    train_spec spec;
    spec.layers = {conv, lif, pool, flat, dense, li};
    train::input_code code;
    code.channels = 2 * 9 * 9;
    const train::image_shape input{2, 9, 9};
    const train::device_plan p = train::make_device_plan(spec, code, {}, {}, {}, input);
    train::model<float> cpu(spec.layers, code.channels, 10, 1, input);
    const auto* c = dynamic_cast<const train::conv2d<float>*>(cpu.layers()[0].get());
    const auto* q = dynamic_cast<const train::pool2d<float>*>(cpu.layers()[2].get());
    ASSERT_TRUE(c && q);
    ASSERT_EQ(p.blocks.size(), 2u);
    const train::device_block& b = p.blocks[0];
    EXPECT_TRUE(b.conv);
    EXPECT_EQ(b.in.size(), code.channels);
    EXPECT_EQ(b.out.channels, c->output_shape().channels);
    EXPECT_EQ(b.out.height, c->output_shape().height);
    EXPECT_EQ(b.out.width, c->output_shape().width);
    EXPECT_EQ(b.outputs, c->outputs());
    EXPECT_EQ(b.pool, 1);
    EXPECT_EQ(b.pooled.size(), q->outputs());
    EXPECT_EQ(b.pooled.height, q->output_shape().height);
    EXPECT_EQ(p.blocks[1].inputs, q->outputs());
    EXPECT_EQ(p.blocks[1].dense_layer, 3u); // conv, lif, avgpool, dense: flatten is not a layer
    EXPECT_EQ(p.blocks[1].neuron_layer, 4u);
    EXPECT_EQ(cpu.layers()[3]->kind(), "dense");
}

} // namespace
} // namespace nm
