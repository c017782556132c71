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
#include "layer_specs.hpp"

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
    for (const int dead : {0, 3}) { // with a dead time (t_ref = 3 ms) too
        train_spec spec;
        spec.scheme = "rate";
        spec.code = {{"steps", 9.0, ""}, {"max_rate", 600.0, ""}, {"t_ref", 1.0 * dead, ""}};
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
            cuda::ops::encode_rate(d.x, d.features, rows, static_cast<std::uint32_t>(key), 9, dead,
                                   600.0, 1.0, code.rng.key0(), code.rng.key1(), code.rng.stream());
        double fired = 0;
        for (float s : ref) fired += s;
        EXPECT_GT(fired, 0.1 * ref.size()) << "dead " << dead;
        EXPECT_EQ(gpu, ref) << "dead " << dead;
    }
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
    EXPECT_EQ(plan_error({conv, recurrent}), "");
    EXPECT_EQ(plan_error({dense, recurrent}), "");
    cuba.kind = "cuba_lif";
    cuba.learn_beta = true;
    EXPECT_EQ(plan_error({dense, cuba}), "");
    const layer_spec drop = test::layer_of("dropout", 0.5);
    EXPECT_EQ(plan_error({drop, dense, lif}), "");
    const std::string twice = plan_error({drop, drop, dense, lif});
    EXPECT_NE(twice.find("layer 2 (dropout)"), std::string::npos) << twice;
    const std::string at_end = plan_error({dense, lif, drop});
    EXPECT_NE(at_end.find("layer 3 (dropout)"), std::string::npos) << at_end;
    EXPECT_NE(at_end.find("not followed by a dense layer"), std::string::npos) << at_end;
    // Residual adds of neuron layers' spikes (examples/digits_ttfs.toml's shape) and scales
    // between blocks plan; the others are named.
    const layer_spec scale = test::layer_of("scale", 0.5);
    EXPECT_EQ(plan_error({dense, test::layer_of("cuba_lif"), dense, recurrent,
                          test::layer_of("add", 2), dense, lif}),
              "");
    EXPECT_EQ(plan_error({dense, lif, scale, scale, dense, lif}), "");
    const std::string of_dense =
        plan_error({dense, lif, dense, lif, test::layer_of("add", 1), dense, lif});
    EXPECT_NE(of_dense.find("layer 5 (add): an add of a layer other than an unpooled neuron"),
              std::string::npos)
        << of_dense;
    const std::string scaled_end = plan_error({dense, lif, scale});
    EXPECT_NE(scaled_end.find("layer 3 (scale): a scale not followed by a dense layer"),
              std::string::npos)
        << scaled_end;
    const std::string dropped_pool = plan_error({conv, lif, drop, pool, dense, lif});
    EXPECT_NE(dropped_pool.find("layer 4 (maxpool)"), std::string::npos) << dropped_pool;
}

// Poisson rates (with their dead time in steps) are drawn on the device; every other code is
// planned as host-encoded events, except with image transforms, which the host encodes before.
TEST(gpu_trainer, plans_each_input_code) {
    layer_spec dense, lif;
    dense.kind = "dense";
    dense.size = 8;
    lif.kind = "lif";
    auto plan_of = [&](const std::string& scheme, std::vector<param> code, bool flip = false) {
        train_spec spec;
        spec.layers = {dense, lif};
        spec.scheme = scheme;
        spec.code = std::move(code);
        spec.data.flip = flip;
        spec.data.where = "run.toml:3";
        dataset d;
        d.features = 16;
        return train::make_device_plan(spec, train::make_input_code(spec, d.features), {}, {}, d);
    };
    EXPECT_EQ(plan_of("direct", {}).input, train::device_input::direct);
    EXPECT_EQ(plan_of("rate", {}).input, train::device_input::rate);
    const train::device_plan regular = plan_of("rate", {{"mode", std::string("regular"), ""}});
    EXPECT_EQ(regular.input, train::device_input::events);
    EXPECT_EQ(regular.features_per_sample, 16u);
    const train::device_plan latency = plan_of("latency", {{"steps", 12.0, ""}});
    EXPECT_EQ(latency.input, train::device_input::events);
    EXPECT_EQ(latency.scheme, coding::scheme::latency);
    EXPECT_EQ(latency.code.steps, 12.0);
    const train::device_plan dead = plan_of("rate", {{"t_ref", 2.0, ""}, {"dt", 0.5, ""}});
    EXPECT_EQ(dead.input, train::device_input::rate);
    EXPECT_EQ(dead.dead_steps, 4u);
    try {
        plan_of("latency", {}, true);
        ADD_FAILURE() << "flips of an event code must be refused";
    } catch (const bad_config& e) {
        EXPECT_NE(std::string(e.what()).find("run.toml:3: [data]: flip or shift"),
                  std::string::npos)
            << e.what();
    }
}

// Every training example trains on the GPU as written: its plan is made (on the host).
TEST(gpu_trainer, plans_every_training_example) {
    for (const char* name :
         {"iris", "wdbc", "digits", "digits_ttfs", "fmnist_mlp", "fmnist_rate", "fmnist_conv"}) {
        const train_spec spec =
            load_train_spec(std::string(NM_SOURCE_DIR) + "/examples/" + name + ".toml");
        const train::data_split split = train::load_split(spec.data, spec.seed);
        const train::input_code code = train::make_input_code(spec, split.train.features);
        EXPECT_NO_THROW(train::make_device_plan(spec, code, {}, {}, split.train,
                                                train::input_shape(spec, split.train, code)))
            << name;
    }
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
    layer_spec lif, flat, li;
    lif.kind = "lif";
    flat.kind = "flatten";
    li.kind = "li";
    train_spec spec;
    spec.layers = {test::conv_layer(4, 3, 2, 1), lif, test::pool_layer("avgpool", 2), flat,
                   test::dense_layer(10),        li};
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

// The whole-step tests, skipped without a device.
#define NM_STEP_SUITE gpu_trainer
#define NM_NEED_STEP_DEVICE() NM_NEED_GPU()
#include "step_tests.hpp"
