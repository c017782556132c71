// A feed-forward stack of primitives built from layer specs: validation with located messages,
// weight initialisation, and forward/backward over a [T][B][features] batch. Activation and
// gradient buffers are sized on the first batch and reused.
#pragma once

#include "core/bind.hpp"
#include "core/huge_pages.hpp"
#include "core/philox.hpp"
#include "nm/errors.hpp"
#include "nm/train.hpp"
#include "train/conv.hpp"
#include "train/cuba_lif.hpp"
#include "train/elementwise.hpp"
#include "train/graded_lif.hpp"
#include "train/layers.hpp"
#include "train/recurrent_lif.hpp"
#include "train/rf_layer.hpp"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

namespace nm::train {

inline std::string layer_context(const layer_spec& s, std::size_t index) {
    return located(s.where, "layer " + std::to_string(index + 1) + " (" + s.kind + ")");
}

inline neuron_options neuron_options_of(const layer_spec& s, std::size_t index) {
    const std::string ctx = layer_context(s, index);
    auto fail = [&](const std::string& msg) { throw bad_parameter(ctx + ": " + msg); };
    neuron_options o;
    o.beta = s.kind == "if" ? 1.0 : s.beta;
    if (!(o.beta >= 0 && o.beta <= 1))
        fail("beta = " + format_number(s.beta) + " must be in [0, 1] (|lambda| <= 1)");
    if (!(s.threshold > 0 && std::isfinite(s.threshold)))
        fail("threshold = " + format_number(s.threshold) + " must be > 0");
    o.threshold = s.threshold;
    if (s.reset == "zero")
        o.reset = reset_mode::zero;
    else if (s.reset == "subtract")
        o.reset = reset_mode::subtract;
    else if (s.reset == "none")
        o.reset = reset_mode::none;
    else
        fail("reset = \"" + s.reset + "\" must be \"zero\", \"subtract\" or \"none\"");
    bool known = false;
    for (std::size_t k = 0; k < std::size(surrogate_names); ++k)
        if (s.surrogate == surrogate_names[k]) {
            o.grad.kind = static_cast<surrogate_kind>(k);
            known = true;
        }
    if (!known)
        fail("unknown surrogate \"" + s.surrogate + "\"" +
             did_you_mean(s.surrogate, {"arctan", "fast_sigmoid", "erf", "triangle"}));
    if (!(s.slope > 0 && std::isfinite(s.slope)))
        fail("slope = " + format_number(s.slope) + " must be > 0");
    o.grad.slope = s.slope;
    o.learn_beta = s.learn_beta;
    o.learn_threshold = s.learn_threshold;
    if (s.learn_threshold && s.kind != "lif" && s.kind != "if")
        fail("learn_threshold is available on lif and if layers");
    if (s.learn_beta && s.kind != "lif" && s.kind != "if" && s.kind != "cuba_lif" && s.kind != "li")
        fail("learn_beta is available on lif, if, cuba_lif and li layers");
    if (s.recurrent && s.kind != "lif" && s.kind != "if")
        fail("recurrent is available on lif and if layers");
    if (s.recurrent && (s.learn_beta || s.learn_threshold))
        fail("learn_beta and learn_threshold are not available with recurrent");
    o.detach_reset = s.detach_reset;
    return o;
}

// The stream of the model's layer i: its initial weights, its dropout masks.
inline rng_stream model_stream(std::uint64_t seed, std::size_t i) {
    return rng_stream(seed, stream_id(purpose::params, 0x7000u + static_cast<std::uint32_t>(i)));
}

template<class Real>
class model {
public:
    model(const std::vector<layer_spec>& specs, std::size_t inputs, std::size_t classes,
          std::uint64_t seed, image_shape input = {})
        : inputs_(inputs) {
        if (specs.empty()) throw bad_config("the network has no [[layer]]");
        if (input.size() != inputs) input = {inputs, 1, 1};
        image_shape shape = input; // what the next layer reads
        std::size_t width = inputs;
        for (std::size_t i = 0; i < specs.size(); ++i) {
            const layer_spec& s = specs[i];
            const std::string ctx = layer_context(s, i);
            const rng_stream rng = model_stream(seed, i);
            if (s.kind == "dense" || s.kind == "linear") {
                if (s.size < 1)
                    throw bad_parameter(ctx + ": size = " + std::to_string(s.size) +
                                        " must be >= 1");
                auto d = std::make_unique<dense<Real>>(width, s.size, s.kind == "dense");
                initialise(d->weights(), width, s, ctx, rng);
                width = s.size;
                shape = {width, 1, 1};
                layers_.push_back(std::move(d));
            } else if (s.kind == "conv2d") {
                if (s.channels < 1 || s.kernel < 1 || s.stride < 1 ||
                    s.kernel > shape.height + 2 * s.padding ||
                    s.kernel > shape.width + 2 * s.padding)
                    throw bad_parameter(
                        ctx + ": channels, kernel and stride must be >= 1 and the kernel (" +
                        std::to_string(s.kernel) + ") must fit the " +
                        std::to_string(shape.height) + "x" + std::to_string(shape.width) +
                        " input with padding " + std::to_string(s.padding));
                auto c = std::make_unique<conv2d<Real>>(shape, s.channels, s.kernel, s.stride,
                                                        s.padding);
                initialise(c->weights(), c->fan_in(), s, ctx, rng);
                shape = c->output_shape();
                width = shape.size();
                layers_.push_back(std::move(c));
            } else if (s.kind == "avgpool" || s.kind == "maxpool") {
                if (s.kernel < 1 || s.kernel > shape.height || s.kernel > shape.width)
                    throw bad_parameter(ctx + ": kernel = " + std::to_string(s.kernel) +
                                        " must be in [1, " +
                                        std::to_string(std::min(shape.height, shape.width)) + "]");
                auto p = std::make_unique<pool2d<Real>>(shape, s.kernel, s.kind == "maxpool");
                shape = p->output_shape();
                width = shape.size();
                layers_.push_back(std::move(p));
            } else if (s.kind == "dropout") {
                if (!(s.p >= 0 && s.p < 1))
                    throw bad_parameter(ctx + ": p = " + format_number(s.p) + " must be in [0, 1)");
                layers_.push_back(std::make_unique<dropout<Real>>(width, s.p, rng));
            } else if (s.kind == "flatten") {
                shape = {width, 1, 1}; // bookkeeping only: activations are already contiguous
            } else if (s.kind == "scale") {
                if (!std::isfinite(s.factor))
                    throw bad_parameter(ctx + ": factor must be a finite number");
                layers_.push_back(std::make_unique<scale_layer<Real>>(width, s.factor));
            } else if (s.kind == "add") {
                if (s.from < 1 || s.from > i)
                    throw bad_config(ctx + ": from = " + std::to_string(s.from) +
                                     " must name an earlier layer (1 to " + std::to_string(i) +
                                     ")");
                const std::size_t skip_width = layers_[s.from - 1]->outputs();
                if (skip_width != width)
                    throw bad_config(ctx + ": layer " + std::to_string(s.from) + " has " +
                                     std::to_string(skip_width) +
                                     " outputs but the input here has " + std::to_string(width) +
                                     "; an add needs equal sizes");
                layers_.push_back(std::make_unique<residual_add<Real>>(width, s.from - 1));
            } else if (s.kind == "lif" || s.kind == "if" || s.kind == "cuba_lif") {
                if (s.size != 0 && s.size != width)
                    throw bad_config(ctx + ": size = " + std::to_string(s.size) +
                                     " but its input has " + std::to_string(width) +
                                     " features (neuron layers keep the size)");
                const neuron_options o = neuron_options_of(s, i);
                if (s.kind == "cuba_lif") {
                    if (!(s.alpha >= 0 && s.alpha <= 1))
                        throw bad_parameter(ctx + ": alpha = " + format_number(s.alpha) +
                                            " must be in [0, 1]");
                    layers_.push_back(std::make_unique<cuba_lif_layer<Real>>(width, o, s.alpha));
                } else if (s.recurrent) {
                    auto r = std::make_unique<recurrent_lif_layer<Real>>(width, o);
                    initialise(r->weights(), width, s, ctx, rng);
                    layers_.push_back(std::move(r));
                } else {
                    layers_.push_back(std::make_unique<lif_layer<Real>>(width, o));
                }
            } else if (s.kind == "graded_lif") {
                const neuron_options o = neuron_options_of(s, i);
                if (o.reset == reset_mode::zero)
                    throw bad_parameter(ctx + ": graded spikes reset by subtraction (reset = "
                                              "\"subtract\") or not at all (\"none\")");
                if (s.n_max < 1 || s.n_max > 1000)
                    throw bad_parameter(ctx + ": n_max = " + std::to_string(s.n_max) +
                                        " must be in [1, 1000]");
                layers_.push_back(
                    std::make_unique<graded_lif_layer<Real>>(width, o, static_cast<int>(s.n_max)));
            } else if (s.kind == "rf") {
                if (!std::isfinite(s.omega))
                    throw bad_parameter(ctx + ": omega must be a finite number (radians per step)");
                layers_.push_back(
                    std::make_unique<rf_layer<Real>>(width, neuron_options_of(s, i), s.omega));
            } else if (s.kind == "alif") {
                if (!(s.adapt >= 0) || !(s.adapt_decay >= 0 && s.adapt_decay <= 1))
                    throw bad_parameter(ctx + ": adapt must be >= 0 and adapt_decay in [0, 1]");
                layers_.push_back(std::make_unique<alif_layer<Real>>(width, neuron_options_of(s, i),
                                                                     s.adapt, s.adapt_decay));
            } else if (s.kind == "li") {
                layers_.push_back(std::make_unique<li_layer<Real>>(width, neuron_options_of(s, i)));
            } else {
                throw bad_config(
                    ctx + ": unknown layer kind \"" + s.kind + "\"" +
                    did_you_mean(s.kind, {"dense", "linear", "conv2d", "avgpool", "maxpool",
                                          "flatten", "dropout", "scale", "add", "lif", "if",
                                          "cuba_lif", "graded_lif", "rf", "alif", "li"}));
            }
        }
        // Dense layers reading spikes may accumulate events instead of multiplying, and keep
        // binary spikes as bits for their backward pass.
        for (std::size_t i = 1; i < layers_.size(); ++i)
            if (auto* d = dynamic_cast<dense<Real>*>(layers_[i].get())) {
                d->spiking_input = layers_[i - 1]->spiking();
                d->binary_input = layers_[i - 1]->binary_spikes();
            }
        if (width != classes)
            throw bad_config(layer_context(specs.back(), specs.size() - 1) +
                             ": the network ends with " + std::to_string(width) +
                             " outputs but the dataset has " + std::to_string(classes) +
                             " classes");
        acts_.resize(layers_.size());
    }

    std::size_t inputs() const { return inputs_; }

    // Uniform weights with variance gain²/fan_in: unit-variance input gives the layer's neurons
    // input currents of variance gain², which keeps them firing at depth.
    static void initialise(std::vector<Real>& w, std::size_t fan_in, const layer_spec& s,
                           const std::string& ctx, const rng_stream& rng) {
        if (!(s.init_gain > 0)) throw bad_parameter(ctx + ": init_gain must be > 0");
        const double a = s.init_gain * std::sqrt(3.0 / static_cast<double>(fan_in));
        for (std::size_t k = 0; k < w.size(); ++k)
            w[k] = static_cast<Real>(a * (2 * rng.uniform(static_cast<std::uint32_t>(k), 0) - 1));
    }
    std::vector<std::unique_ptr<layer<Real>>>& layers() { return layers_; }
    const std::vector<Real>& activation(std::size_t i) const { return acts_[i]; }

    // Outputs that no backward pass reads (a neuron layer's input current; spikes a layer kept
    // as bits) go to two scratch buffers used in turn; the others are kept until backward.
    // Evaluation keeps every output (the spike counts per layer read them).
    const Real* forward(const Real* x, int steps, int batch) {
        const std::size_t n = layers_.size();
        kept_.assign(n, keep_all_);
        for (std::size_t i = 0; i < n; ++i) {
            if (i + 1 == n || layers_[i]->needs_output() ||
                (i + 1 < n && layers_[i + 1]->needs_input()))
                kept_[i] = true;
            if (const auto* add = dynamic_cast<const residual_add<Real>*>(layers_[i].get()))
                kept_[add->from()] = true; // read again by the add, further on
        }
        const Real* in = x;
        for (std::size_t i = 0; i < n; ++i) {
            if (auto* add = dynamic_cast<residual_add<Real>*>(layers_[i].get()))
                add->skip = acts_[add->from()].data();
            std::vector<Real>& out = kept_[i] ? acts_[i] : scratch_[i % 2];
            if (!kept_[i]) std::vector<Real>().swap(acts_[i]);
            size_for(out, static_cast<std::size_t>(steps) * batch * layers_[i]->outputs());
            layers_[i]->forward(in, out.data(), steps, batch);
            in = out.data();
        }
        return in;
    }

    // dy: ∂L/∂output; the input's gradient is not needed and not computed. A skip connection's
    // gradient waits in skip_grads_ until the backward pass reaches the layer it came from.
    void backward(const Real* dy, int steps, int batch) {
        const Real* g = dy;
        std::size_t spare = 0;
        skip_grads_.resize(layers_.size());
        for (std::size_t i = layers_.size(); i-- > 0;) {
            if (const auto* add = dynamic_cast<const residual_add<Real>*>(layers_[i].get())) {
                auto& pending = skip_grads_[add->from()];
                const std::size_t size =
                    static_cast<std::size_t>(steps) * batch * layers_[i]->outputs();
                pending.resize(size, Real(0));
                for (std::size_t k = 0; k < size; ++k) pending[k] += g[k];
            }
            // A readout's gradient reaches the neuron layer below it as g·Wᵀ, formed row by row
            // there: no [T·B × n] array written, cleared and read back (5% of a step).
            const Real* fused = narrow_product(i);
            const int k = static_cast<int>(layers_[i]->outputs());
            if (fused) layers_[i--]->backward(g, nullptr, steps, batch);
            Real* dx = nullptr;
            if (i > 0) { // into the buffer that g is not in
                size_for(grads_[spare],
                         static_cast<std::size_t>(steps) * batch * layers_[i - 1]->outputs());
                dx = grads_[spare].data();
                spare ^= 1;
            }
            if (fused)
                layers_[i]->backward_from_product(
                    g, fused, transposed_stride(layers_[i]->outputs()), k, dx, steps, batch);
            else
                layers_[i]->backward(g, dx, steps, batch);
            if (dx && !skip_grads_[i - 1].empty()) {
                for (std::size_t k = 0; k < skip_grads_[i - 1].size(); ++k)
                    dx[k] += skip_grads_[i - 1][k];
                skip_grads_[i - 1].clear();
            }
            g = dx;
        }
    }

    std::vector<parameter<Real>> parameters() {
        std::vector<parameter<Real>> all;
        for (std::size_t i = 0; i < layers_.size(); ++i)
            for (auto& p : layers_[i]->parameters()) {
                p.name = "layer" + std::to_string(i + 1) + "." + p.name;
                all.push_back(p);
            }
        return all;
    }

    void zero_grad() {
        for (auto& p : parameters()) std::fill(p.grad->begin(), p.grad->end(), Real(0));
    }

    // Whether a readout hands its gradient to the layer below as a product (tests compare).
    void set_fused_readout(bool on) { fuse_narrow_ = on; }

    // Gradient checks: neurons fire with the surrogate's smooth antiderivative.
    void set_smooth(bool on) {
        for (auto& l : layers_) l->set_smooth(on);
    }

    // Bytes kept from forward for backward: the kept outputs and what the layers keep.
    std::size_t saved_bytes() const {
        std::size_t bytes = 0;
        for (std::size_t i = 0; i < acts_.size(); ++i)
            if (i < kept_.size() && kept_[i]) bytes += acts_[i].size() * sizeof(Real);
        for (const auto& l : layers_) bytes += l->saved_bytes();
        return bytes;
    }

    // Training mode (dropout active, masks keyed by `batch_key`) or evaluation.
    void set_training(bool on, std::uint32_t batch_key = 0) {
        keep_all_ = !on;
        for (auto& l : layers_)
            if (auto* d = dynamic_cast<dropout<Real>*>(l.get())) {
                d->training = on;
                d->key = batch_key;
            }
    }

    void set_rate_penalty(Real per_spike) {
        for (auto& l : layers_) l->set_rate_penalty(per_spike);
    }

private:
    std::size_t inputs_;
    std::vector<std::unique_ptr<layer<Real>>> layers_;
    // For a dense layer i of at most 16 outputs over a layer that takes its gradient as a
    // product, and no skip connection adding to that gradient: Wᵀ [outputs × inputs], else null.
    // Its rows 16 elements longer than a row: 4 KiB apart they aliased the stores of the rows
    // formed from them, and every load waited.
    const Real* narrow_product(std::size_t i) {
        if (!fuse_narrow_ || i == 0 || !skip_grads_[i - 1].empty()) return nullptr;
        auto* d = dynamic_cast<dense<Real>*>(layers_[i].get());
        if (!d || d->constant_input || d->outputs() > 16 || !layers_[i - 1]->takes_products())
            return nullptr;
        const std::size_t n = d->inputs(), k = d->outputs();
        transposed_.resize(k * transposed_stride(n));
        for (std::size_t j = 0; j < n; ++j)
            for (std::size_t q = 0; q < k; ++q)
                transposed_[q * transposed_stride(n) + j] = d->weights()[j * k + q];
        return transposed_.data();
    }

    static std::size_t transposed_stride(std::size_t n) { return n + 16; }

    // A step's buffer at n elements; new storage on huge pages: the spike products read and
    // write these [T·B × n] arrays 128 bytes a row at a time, a page apart with 4 KiB pages
    // (a TLB miss each: the products ran 10-15% slower).
    static void size_for(std::vector<Real>& v, std::size_t n) {
        if (v.capacity() < n)
            resize_on_huge_pages(v, n);
        else
            v.resize(n);
    }

    std::vector<std::vector<Real>> acts_;
    std::vector<Real> grads_[2], scratch_[2], transposed_;
    std::vector<bool> kept_;
    bool keep_all_ = false;
    bool fuse_narrow_ = true;
    std::vector<std::vector<Real>> skip_grads_; // by layer: ∂L/∂output from skip connections
};

} // namespace nm::train
