// Spiking stacks go to the device: pairs of (dense | linear | conv2d) and (lif | if | cuba_lif |
// alif | rf | graded_lif | li), the readout last, pooling after a conv2d block's spikes,
// dropout and scale layers on the input or between blocks, residual adds of neuron layers'
// spikes, any input code, any loss (the device runs train::sample_loss).
#include "train/device_plan.hpp"

#include "nm/errors.hpp"
#include "train/model.hpp"

#include <cmath>

namespace nm::train {

namespace {

[[noreturn]] void refuse(const std::string& where, const std::string& what) {
    throw bad_config(where + ": " + what +
                     " is not available with --device cuda yet (it trains dense, linear and conv2d "
                     "layers each followed by lif, if, cuba_lif, alif, rf, graded_lif or li)");
}

} // namespace

device_plan make_device_plan(const train_spec& spec, const input_code& code,
                             const loss_options& loss, const optimizer_options& opt,
                             const dataset& train_split, image_shape input) {
    device_plan p;
    std::size_t model_index = 0;
    image_shape shape = input.size() == code.channels ? input : image_shape{code.channels, 1, 1};
    bool open = false;  // a dense layer waiting for its neuron layer
    double dropout = 0; // a dropout layer waiting for its dense layer...
    rng_stream dropout_rng;
    std::string dropout_ctx; // ...and where it is
    float scale = 1.0f;      // scale layers waiting for it...
    std::string scale_ctx;   // ...and where the first is
    int skip = -1;           // a residual add waiting for it: the block it adds...
    std::string skip_ctx;    // ...and where it is
    for (std::size_t i = 0; i < spec.layers.size(); ++i) {
        const layer_spec& s = spec.layers[i];
        const std::string ctx = layer_context(s, i);
        if (s.kind == "flatten") { // bookkeeping only: no layer in the model
            shape = {shape.size(), 1, 1};
            continue;
        }
        if (s.kind == "dropout") { // on the input or a spiking layer's output
            if (open || (!p.blocks.empty() && !p.blocks.back().spiking()) || !dropout_ctx.empty())
                refuse(ctx, "dropout other than on the input or a spiking layer's output");
            dropout = s.p;
            dropout_rng = model_stream(spec.seed, i); // the CPU layer's
            dropout_ctx = ctx;
            ++model_index;
            continue;
        }
        // Dropout and scales after an add act on the sum, as the next GEMM reads it; before one
        // they would act on one side only, which the add refuses.
        if (s.kind == "scale") { // of the input or a spiking layer's output
            if (open || (!p.blocks.empty() && !p.blocks.back().spiking()))
                refuse(ctx, "a scale other than of the input or a spiking layer's output");
            scale *= static_cast<float>(s.factor);
            if (scale_ctx.empty()) scale_ctx = ctx;
            ++model_index;
            continue;
        }
        if (s.kind == "add") {
            if (open || p.blocks.empty() || !p.blocks.back().spiking() || p.blocks.back().pool ||
                !dropout_ctx.empty() || !scale_ctx.empty() || skip >= 0)
                refuse(ctx, "an add other than right after a neuron layer (no pooling, dropout "
                            "or scale between)");
            for (std::size_t k = 0; k < p.blocks.size(); ++k)
                if (p.blocks[k].neuron_layer + 1 == s.from && p.blocks[k].spiking() &&
                    !p.blocks[k].pool)
                    skip = static_cast<int>(k);
            if (skip < 0) refuse(ctx, "an add of a layer other than an unpooled neuron layer");
            skip_ctx = ctx;
            ++model_index;
            continue;
        }
        if (s.kind == "maxpool" || s.kind == "avgpool") {
            if (open || p.blocks.empty() || !p.blocks.back().conv || p.blocks.back().pool ||
                !p.blocks.back().spiking() || !scale_ctx.empty() || skip >= 0 ||
                !dropout_ctx.empty())
                refuse(ctx, "pooling other than of a conv2d layer's spikes");
            device_block& b = p.blocks.back();
            b.pool = s.kind == "maxpool" ? 2 : 1;
            b.pool_kernel = s.kernel;
            b.pooled = shape = pool_output(shape, s.kernel);
            ++model_index;
            continue;
        }
        if (s.kind == "dense" || s.kind == "linear" || s.kind == "conv2d") {
            if (open) refuse(ctx, "a weight layer right after another");
            if (!p.blocks.empty() && !p.blocks.back().spiking())
                refuse(ctx, "a layer after a leaky-integrator readout");
            device_block b;
            b.inputs = shape.size();
            b.bias = s.kind != "linear";
            if (s.kind == "conv2d") {
                b.conv = true;
                b.in = shape;
                b.out = shape = conv_output(shape, s.channels, s.kernel, s.stride, s.padding);
                b.kernel = s.kernel;
                b.stride = s.stride;
                b.padding = s.padding;
                b.outputs = b.out.size();
            } else {
                b.outputs = s.size;
                shape = {s.size, 1, 1};
            }
            b.dense_layer = model_index++;
            b.dropout = dropout;
            b.dropout_rng = dropout_rng;
            b.input_scale = scale;
            b.skip = skip;
            dropout = 0;
            dropout_ctx.clear();
            scale = 1.0f;
            scale_ctx.clear();
            skip = -1;
            p.blocks.push_back(b);
            open = true;
            continue;
        }
        const bool neuron = s.kind == "lif" || s.kind == "if" || s.kind == "li" ||
                            s.kind == "cuba_lif" || s.kind == "alif" || s.kind == "rf" ||
                            s.kind == "graded_lif";
        if (!neuron) refuse(ctx, "a " + s.kind + " layer");
        if (!open) refuse(ctx, "a neuron layer not fed by a dense or conv2d layer");
        if (!dropout_ctx.empty()) refuse(dropout_ctx, "dropout not followed by a dense layer");
        if (skip >= 0) refuse(skip_ctx, "an add not followed by a dense layer");
        if (!scale_ctx.empty()) refuse(scale_ctx, "a scale not followed by a dense layer");
        const neuron_options o = neuron_options_of(s, i);
        device_block& b = p.blocks.back();
        b.neuron = s.kind == "li"           ? 1
                   : s.kind == "cuba_lif"   ? 2
                   : s.kind == "alif"       ? 3
                   : s.kind == "rf"         ? 4
                   : s.kind == "graded_lif" ? 5
                                            : 0;
        b.n_max = static_cast<int>(s.n_max);
        b.rf_c = static_cast<float>(o.beta * std::cos(s.omega));
        b.rf_d = static_cast<float>(o.beta * std::sin(s.omega));
        b.alpha = static_cast<float>(s.alpha);
        b.adapt = static_cast<float>(s.adapt);
        b.adapt_decay = static_cast<float>(s.adapt_decay);
        b.beta = static_cast<float>(o.beta);
        b.threshold = static_cast<float>(o.threshold);
        b.slope = static_cast<float>(o.grad.slope);
        b.surrogate = static_cast<int>(o.grad.kind);
        b.reset = static_cast<int>(o.reset);
        b.detach_reset = o.detach_reset;
        b.learn_beta = o.learn_beta;           // the model allows it on lif, if, cuba_lif and li
        b.learn_threshold = o.learn_threshold; // the model allows it on lif and if only
        b.recurrent = s.recurrent;             // the model allows it on lif and if only
        b.rate_penalty = static_cast<float>(spec.rate_reg);
        b.neuron_layer = model_index++;
        open = false;
    }
    if (!dropout_ctx.empty()) refuse(dropout_ctx, "dropout not followed by a dense layer");
    if (skip >= 0) refuse(skip_ctx, "an add not followed by a dense layer");
    if (!scale_ctx.empty()) refuse(scale_ctx, "a scale not followed by a dense layer");
    if (p.blocks.empty() || open)
        refuse(spec.layers.back().where, "a network that does not end in a neuron layer");
    const bool poisson =
        code.scheme == coding::scheme::rate && code.params.mode == coding::rate_poisson;
    if (poisson) {
        p.input = device_input::rate;
        p.max_rate = code.params.max_rate;
        p.dt = code.params.dt;
        p.dead_steps = coding::steps_of(code.params.t_ref, code.params.dt);
    } else if (code.scheme != coding::scheme::direct) {
        if (spec.data.flip || spec.data.shift > 0)
            refuse(located(spec.data.where, "[data]"),
                   "flip or shift with a spike code other than direct or Poisson rate");
        if (code.steps > 65535)
            refuse(located(spec.source, "[input]"), "more than 65535 steps with a spike code "
                                                    "other than direct or Poisson rate");
        p.input = device_input::events;
        p.scheme = code.scheme;
        p.code = code.params;
        p.features_per_sample = train_split.features;
    }
    p.steps = code.steps;
    p.rng_key0 = code.rng.key0();
    p.rng_key1 = code.rng.key1();
    p.rng_stream = code.rng.stream();
    p.features = train_split.x.data();
    p.labels = train_split.labels.data();
    p.samples = train_split.samples;
    p.loss = static_cast<int>(loss.kind);
    p.correct_rate = loss.correct_rate;
    p.incorrect_rate = loss.incorrect_rate;
    p.optimizer = static_cast<int>(opt.kind);
    p.beta1 = opt.beta1;
    p.beta2 = opt.beta2;
    p.eps = opt.eps;
    p.momentum = opt.momentum;
    p.weight_decay = opt.weight_decay;
    p.clip = opt.clip;
    p.max_batch = spec.batch;
    if (spec.precision != "bf16" && spec.precision != "fp32")
        throw bad_config(located(spec.source, "[train] precision = \"" + spec.precision +
                                                  "\" must be \"bf16\" or \"fp32\""));
    p.bf16 = spec.precision == "bf16";
    return p;
}

std::vector<device_tensor> device_tensors(std::vector<parameter<float>>& params,
                                          optimizer<float>& opt) {
    auto& m = opt.first_moments();
    auto& v = opt.second_moments();
    if (m.size() != params.size()) { // no step taken yet: moments start at zero
        m.assign(params.size(), {});
        v.assign(params.size(), {});
        for (std::size_t i = 0; i < params.size(); ++i) {
            m[i].assign(params[i].value->size(), 0.0f);
            v[i].assign(params[i].value->size(), 0.0f);
        }
    }
    std::vector<device_tensor> out;
    for (std::size_t i = 0; i < params.size(); ++i) out.push_back({params[i].value, &m[i], &v[i]});
    return out;
}

} // namespace nm::train
