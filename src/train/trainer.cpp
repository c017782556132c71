// The training loop: epochs of shuffled batches through forward, loss, BPTT backward and the
// optimizer; per-epoch validation and checkpoint; final test with spike, SOP and anytime
// figures. Float32 throughout; gradients are checked in double by the tests.
#include "coding/codec.hpp"
#include "core/bind.hpp"
#include "io/atomic_file.hpp"
#include "io/svg.hpp"
#include "nm/cost.hpp"
#include "nm/errors.hpp"
#include "nm/train.hpp"
#include "train/checkpoint.hpp"
#include "train/conv.hpp"
#include "train/data.hpp"
#include "train/device_plan.hpp"
#include "train/loss.hpp"
#include "train/model.hpp"
#include "train/optimizer.hpp"
#include "train/parallel.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <cblas.h>
#include <nlohmann/json.hpp>

namespace nm {

namespace {

using train::loss_kind;

loss_kind loss_of(const train_spec& s) {
    if (s.loss == "ce_count") return loss_kind::ce_count;
    if (s.loss == "ce_mean") return loss_kind::ce_mean;
    if (s.loss == "ce_max") return loss_kind::ce_max;
    if (s.loss == "mse_count") return loss_kind::mse_count;
    if (s.loss == "ce_first_spike") return loss_kind::ce_first_spike;
    throw bad_config(located(s.source, "[loss] kind \"" + s.loss + "\"" +
                                           did_you_mean(s.loss, {"ce_count", "ce_mean", "ce_max",
                                                                 "mse_count", "ce_first_spike"})));
}

train::optimizer_options optimizer_of(const train_spec& s) {
    auto fail = [&](const std::string& m) {
        throw bad_parameter(located(s.source, "[optimizer]: " + m));
    };
    train::optimizer_options o;
    if (s.optimizer == "sgd")
        o.kind = train::optimizer_kind::sgd;
    else if (s.optimizer == "adam")
        o.kind = train::optimizer_kind::adam;
    else if (s.optimizer == "adamw")
        o.kind = train::optimizer_kind::adamw;
    else
        fail("kind \"" + s.optimizer + "\"" + did_you_mean(s.optimizer, {"sgd", "adam", "adamw"}));
    if (s.schedule == "none")
        o.schedule = train::schedule_kind::none;
    else if (s.schedule == "cosine")
        o.schedule = train::schedule_kind::cosine;
    else if (s.schedule == "step")
        o.schedule = train::schedule_kind::step;
    else
        fail("schedule \"" + s.schedule + "\"" +
             did_you_mean(s.schedule, {"none", "cosine", "step"}));
    if (!(s.lr > 0 && std::isfinite(s.lr))) fail("lr = " + format_number(s.lr) + " must be > 0");
    if (!(s.weight_decay >= 0))
        fail("weight_decay = " + format_number(s.weight_decay) + " must be >= 0");
    if (!(s.momentum >= 0 && s.momentum < 1))
        fail("momentum = " + format_number(s.momentum) + " must be in [0, 1)");
    if (!(s.clip >= 0)) fail("clip = " + format_number(s.clip) + " must be >= 0");
    if (!(s.step_size > 0) || !(s.gamma > 0)) fail("step_size and gamma must be > 0");
    o.lr = s.lr;
    o.momentum = s.momentum;
    o.weight_decay = s.weight_decay;
    o.clip = s.clip;
    o.step_size = s.step_size;
    o.gamma = s.gamma;
    return o;
}

// Everything a run needs, validated, before the first batch.
struct setup {
    train::data_split data;
    train::input_code code;
    train::augmentation augment;
    train::loss_options loss;
    train::optimizer_options opt;
    std::unique_ptr<train::model<float>> net;
};

setup prepare(const train_spec& s) {
    auto fail = [&](const std::string& m) {
        throw bad_parameter(located(s.source, "[train]: " + m));
    };
    if (s.epochs < 1) fail("epochs must be >= 1");
    if (s.batch < 1 || s.batch > 65536)
        fail("batch = " + std::to_string(s.batch) + " must be in [1, 65536]");
    if (s.threads < 1 || s.threads > 1024)
        fail("threads = " + std::to_string(s.threads) + " must be in [1, 1024]");
    if (!(s.rate_reg >= 0)) fail("rate_reg must be >= 0");
    setup u;
    u.loss.kind = loss_of(s);
    u.opt = optimizer_of(s);
    u.data = train::load_split(s.data, s.seed);
    u.code = train::make_input_code(s, u.data.train.features);
    u.augment = train::make_augmentation(s.data, u.data.train, s.seed);
    u.net = std::make_unique<train::model<float>>(s.layers, u.code.channels,
                                                  static_cast<std::size_t>(u.data.classes), s.seed,
                                                  train::input_shape(s, u.data.train, u.code));
    u.net->set_rate_penalty(static_cast<float>(s.rate_reg));
    if (u.loss.kind == loss_kind::ce_first_spike && !u.net->layers().back()->spiking())
        throw bad_config(located(s.layers.back().where,
                                 "[loss] kind \"ce_first_spike\" reads spike times: the last "
                                 "layer must be a spiking neuron layer, not \"" +
                                     s.layers.back().kind + "\""));
    // A direct code feeds the same currents at every step: the first dense or conv layer
    // computes one step; any other code feeds spikes, which a dense layer may take as events.
    const bool direct = u.code.scheme == coding::scheme::direct;
    if (auto* first = dynamic_cast<train::dense<float>*>(u.net->layers().front().get())) {
        first->constant_input = direct;
        first->spiking_input = !direct;
    } else if (auto* conv = dynamic_cast<train::conv2d<float>*>(u.net->layers().front().get())) {
        conv->constant_input = direct;
    }
    return u;
}

int argmax(const float* row, int n) {
    return static_cast<int>(std::max_element(row, row + n) - row);
}

// Accuracy (and, on request, the anytime curve, spikes and SOPs) of `net` on `d`; the forward
// passes run on `device` when one trains the network.
train_result evaluate(train::model<float>& net, const train::input_code& code,
                      const train::loss_options& loss, const dataset& d, int classes,
                      std::uint32_t batch, train::device_trainer* device = nullptr) {
    train_result r;
    if (d.samples == 0) return r;
    const int steps = static_cast<int>(code.steps);
    auto& layers = net.layers();
    r.layer_spikes_per_sample.assign(layers.size(), 0.0);
    for (auto& l : layers) {
        r.layer_names.push_back(l->kind());
        r.layer_outputs.push_back(l->outputs());
    }
    std::vector<double> anytime(steps, 0.0);
    double correct = 0, input_spikes = 0;
    std::vector<float> x, device_y;
    for (std::uint32_t start = 0; start < d.samples; start += batch) {
        const std::uint32_t n = std::min(batch, d.samples - start);
        const float* y = nullptr;
        if (device) {
            device_y.resize(static_cast<std::size_t>(steps) * n * classes);
            device->evaluate(d.x.data(), d.samples, start, n, device_y.data(),
                             r.layer_spikes_per_sample, input_spikes);
            y = device_y.data();
        } else {
            std::vector<std::uint32_t> rows(n);
            for (std::uint32_t b = 0; b < n; ++b) rows[b] = start + b;
            train::encode_batch(code, d, rows, 0, x);
            net.set_training(false);
            y = net.forward(x.data(), steps, static_cast<int>(n));
            for (float v : x) input_spikes += v;
            for (std::size_t i = 0; i < layers.size(); ++i)
                if (layers[i]->spiking())
                    for (float v : net.activation(i)) r.layer_spikes_per_sample[i] += v;
        }
        // Running statistic per class up to step t: the loss's logits restricted to 0..t.
        std::vector<float> running(static_cast<std::size_t>(n) * classes,
                                   train::initial_logit<float>(loss.kind, steps));
        for (int t = 0; t < steps; ++t) {
            const float* yt = y + static_cast<std::size_t>(t) * n * classes;
            for (std::size_t k = 0; k < running.size(); ++k)
                running[k] = train::running_logit(loss.kind, running[k], yt[k], t, steps);
            for (std::uint32_t b = 0; b < n; ++b) {
                const bool hit = argmax(running.data() + static_cast<std::size_t>(b) * classes,
                                        classes) == d.labels[start + b];
                anytime[t] += hit;
                if (t == steps - 1) correct += hit;
            }
        }
    }
    const double samples = d.samples;
    r.test_accuracy = correct / samples;
    r.test_samples = d.samples;
    r.steps = code.steps;
    for (double& a : anytime) a /= samples;
    r.anytime_accuracy = anytime;
    for (double& s : r.layer_spikes_per_sample) s /= samples;
    for (double s : r.layer_spikes_per_sample) r.spikes_per_sample += s;
    // Synaptic operations: every spike entering a dense layer reaches all its outputs (a
    // convolution: its outputs × fan-in / inputs on average; through a pooling layer each spike
    // lands in one cell, whose fan-out it then has); analog input (direct code, or after a
    // leaky integrator) costs multiply-accumulates instead.
    double entering =
        code.scheme != coding::scheme::direct ? input_spikes / samples : -1; // < 0: analog
    std::size_t previous_outputs = code.channels;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        double connections = 0, passes = steps; // per sample and step
        if (auto* dense = dynamic_cast<train::dense<float>*>(layers[i].get())) {
            connections =
                static_cast<double>(dense->inputs()) * static_cast<double>(dense->outputs());
            if (dense->constant_input) passes = 1;
        } else if (auto* conv = dynamic_cast<train::conv2d<float>*>(layers[i].get())) {
            connections =
                static_cast<double>(conv->outputs()) * static_cast<double>(conv->fan_in());
            if (conv->constant_input) passes = 1;
        }
        if (connections > 0) {
            if (entering >= 0)
                r.sops_per_sample += entering * connections / static_cast<double>(previous_outputs);
            else
                r.macs_per_sample += passes * connections;
        }
        // A recurrent layer's spikes also reach every neuron of the layer through its own
        // synapses.
        if (auto* rec = dynamic_cast<train::recurrent_lif_layer<float>*>(layers[i].get()))
            r.sops_per_sample += r.layer_spikes_per_sample[i] * static_cast<double>(rec->outputs());
        const auto* add = dynamic_cast<train::residual_add<float>*>(layers[i].get());
        if (layers[i]->spiking()) {
            entering = r.layer_spikes_per_sample[i];
        } else if (add) { // events of both spiking sources pass on as counts
            const bool skip_spikes = layers[add->from()]->spiking();
            entering = entering >= 0 && skip_spikes
                           ? entering + r.layer_spikes_per_sample[add->from()]
                           : -1;
        } else if (!dynamic_cast<train::pool2d<float>*>(layers[i].get()) &&
                   !dynamic_cast<train::dropout<float>*>(layers[i].get())) {
            entering = -1; // pooling and (evaluation-time) dropout pass spikes through
        }
        previous_outputs = layers[i]->outputs();
    }
    return r;
}

nlohmann::json metrics_of(const train_result& r) {
    nlohmann::json j{{"test_accuracy", r.test_accuracy},
                     {"epochs", r.epochs},
                     {"train_s", r.train_s},
                     {"samples_per_s", r.samples_per_s},
                     {"spikes_per_sample", r.spikes_per_sample},
                     {"sops_per_sample", r.sops_per_sample},
                     {"macs_per_sample", r.macs_per_sample},
                     {"anytime_accuracy", r.anytime_accuracy},
                     {"test_samples", r.test_samples},
                     {"steps", r.steps},
                     {"stopped_on_nan", r.stopped_on_nan},
                     {"device", r.device.empty() ? "cpu" : r.device}};
    nlohmann::json layers = nlohmann::json::array();
    for (std::size_t i = 0; i < r.layer_names.size(); ++i)
        layers.push_back({{"kind", r.layer_names[i]},
                          {"outputs", r.layer_outputs[i]},
                          {"spikes_per_sample", r.layer_spikes_per_sample[i]}});
    j["layers"] = layers;
    nlohmann::json curve = nlohmann::json::array();
    for (const auto& e : r.curve)
        curve.push_back({{"epoch", e.epoch},
                         {"train_loss", e.train_loss},
                         {"train_accuracy", e.train_accuracy},
                         {"validation_accuracy", e.validation_accuracy},
                         {"lr", e.lr},
                         {"seconds", e.seconds}});
    j["curve"] = curve;
    return j;
}

// Loss and accuracies per epoch, and accuracy against time step, as one SVG page.
std::string curves_svg(const train_result& r) {
    svg::series loss{"train loss", {}, {}}, train_acc{"train accuracy", {}, {}},
        val_acc{"validation accuracy", {}, {}};
    for (const auto& e : r.curve) {
        loss.x.push_back(e.epoch);
        loss.y.push_back(e.train_loss);
        train_acc.x.push_back(e.epoch);
        train_acc.y.push_back(e.train_accuracy);
        if (e.validation_accuracy >= 0) {
            val_acc.x.push_back(e.epoch);
            val_acc.y.push_back(e.validation_accuracy);
        }
    }
    svg::series anytime{"test accuracy", {}, {}};
    for (std::size_t t = 0; t < r.anytime_accuracy.size(); ++t) {
        anytime.x.push_back(static_cast<double>(t + 1));
        anytime.y.push_back(r.anytime_accuracy[t]);
    }
    std::vector<svg::series> accuracies{train_acc};
    if (!val_acc.x.empty()) accuracies.push_back(val_acc);
    const std::string body =
        svg::line_chart(0, 0, 640, 220, "training loss", "epoch", {loss}) +
        svg::line_chart(0, 220, 640, 220, "accuracy", "epoch", accuracies, 1.0) +
        svg::line_chart(0, 440, 640, 220, "accuracy against time step (anytime)", "step", {anytime},
                        1.0);
    return svg::document(640, 660, body);
}

} // namespace

train_result train_network(const train_spec& spec, const std::string& out,
                           const std::string& resume, const train_progress& progress,
                           const device_factory& device_maker) {
    setup u = prepare(spec);
    train::set_threads(spec.threads);
    train::model<float>& net = *u.net;
    auto params = net.parameters();
    train::optimizer<float> opt(u.opt);
    std::uint32_t first_epoch = 0;
    std::vector<epoch_record> curve;
    if (!resume.empty()) {
        const train::checkpoint ck = train::read_checkpoint(resume);
        if (ck.spec_text != spec.text)
            throw bad_config(resume + ": the checkpoint was made from a different training file; "
                                      "resume needs the same one");
        train::restore(ck, params, opt);
        first_epoch = ck.epochs_done;
        curve = ck.curve;
    }
    // On a device the weights and moments live there between epochs; they come back for each
    // checkpoint.
    std::unique_ptr<train::device_trainer> device;
    if (spec.device != "cpu") {
        if (!device_maker)
            throw bad_config(located(spec.source, "[train] device = \"" + spec.device +
                                                      "\": no such backend in this build"));
        train::device_plan plan =
            train::make_device_plan(spec, u.code, u.loss, u.opt, u.data.train,
                                    train::input_shape(spec, u.data.train, u.code));
        plan.augment = u.augment;
        device = device_maker(plan);
        device->upload(train::device_tensors(params, opt), opt.steps());
    }
    auto sync_from_device = [&](std::uint64_t steps) {
        if (!device) return;
        device->download(train::device_tensors(params, opt));
        opt.set_steps(opt.steps() + steps);
    };
    const std::filesystem::path dir(out);
    std::filesystem::create_directories(dir);
    const int steps = static_cast<int>(u.code.steps), classes = u.data.classes;
    const dataset& train_set = u.data.train;
    const std::uint32_t batches = (train_set.samples + spec.batch - 1) / spec.batch;
    train_result result;
    std::vector<float> x, dy, logits;
    const auto t0 = std::chrono::steady_clock::now();
    double trained_samples = 0;
    for (std::uint32_t epoch = first_epoch; epoch < spec.epochs; ++epoch) {
        const auto e0 = std::chrono::steady_clock::now();
        const std::vector<std::uint32_t> order = train::seeded_order(
            train_set.samples, rng_stream(spec.seed, stream_id(purpose::params, 0x5B00u)), epoch);
        double loss_sum = 0, hits = 0, seen = 0, lr = u.opt.lr;
        std::uint64_t device_steps = 0;
        for (std::uint32_t k = 0; k < batches; ++k) {
            const std::uint32_t start = k * spec.batch,
                                n = std::min(spec.batch, train_set.samples - start);
            const std::vector<std::uint32_t> rows(order.begin() + start, order.begin() + start + n);
            const std::uint64_t key = std::uint64_t{epoch} * train_set.samples;
            std::vector<std::int32_t> labels(n);
            for (std::uint32_t b = 0; b < n; ++b) labels[b] = train_set.labels[rows[b]];
            lr = train::scheduled_lr(u.opt, epoch + static_cast<double>(k) / batches, spec.epochs);
            float loss;
            if (device) {
                logits.resize(static_cast<std::size_t>(n) * classes);
                loss = device->step(rows.data(), n, key, epoch * batches + k, lr, logits.data());
                ++device_steps;
            } else {
                train::encode_batch(u.code, train_set, rows, key, x, &u.augment);
                net.set_training(true, epoch * batches + k);
                const float* y = net.forward(x.data(), steps, static_cast<int>(n));
                loss = train::compute_loss(u.loss, y, steps, static_cast<int>(n), classes,
                                           labels.data(), dy, logits);
            }
            if (!std::isfinite(loss)) {
                result.stopped_on_nan = true;
                result.message = "the loss became " + std::to_string(loss) + " in epoch " +
                                 std::to_string(epoch + 1) + ", batch " + std::to_string(k + 1) +
                                 "; training stopped, the last good checkpoint is kept "
                                 "(try a smaller lr or clip)";
                break;
            }
            if (!device) {
                net.zero_grad();
                net.backward(dy.data(), steps, static_cast<int>(n));
                opt.step(params, lr);
            }
            loss_sum += loss * n;
            for (std::uint32_t b = 0; b < n; ++b)
                hits += argmax(logits.data() + static_cast<std::size_t>(b) * classes, classes) ==
                        labels[b];
            seen += n;
            if (progress) progress(epoch, k + 1, batches, loss_sum / seen, hits / seen);
        }
        trained_samples += seen;
        if (result.stopped_on_nan) break;
        sync_from_device(device_steps);
        epoch_record rec;
        rec.epoch = epoch + 1;
        rec.train_loss = loss_sum / seen;
        rec.train_accuracy = hits / seen;
        rec.lr = lr;
        if (u.data.validation.samples > 0)
            rec.validation_accuracy =
                evaluate(net, u.code, u.loss, u.data.validation, classes, spec.batch, device.get())
                    .test_accuracy;
        rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count();
        curve.push_back(rec);
        train::write_checkpoint((dir / "checkpoint.nmck").string(), spec.text, epoch + 1, curve,
                                params, opt);
    }
    const double train_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    train_result test =
        evaluate(net, u.code, u.loss, u.data.test, classes, spec.batch, device.get());
    if (device) test.device = device->describe();
    test.curve = curve;
    test.epochs = static_cast<std::uint32_t>(curve.size());
    test.train_s = train_s;
    test.samples_per_s = train_s > 0 ? trained_samples / train_s : 0;
    test.stopped_on_nan = result.stopped_on_nan;
    test.message = result.message;
    write_atomically(dir / "metrics.json",
                     [&](std::ofstream& f) { f << metrics_of(test).dump(2) << "\n"; });
    write_atomically(dir / "curves.svg", [&](std::ofstream& f) { f << curves_svg(test); });
    write_atomically(dir / "curve.csv", [&](std::ofstream& f) {
        f << "epoch,train_loss,train_accuracy,validation_accuracy,lr,seconds\n";
        for (const auto& e : curve)
            f << e.epoch << ',' << e.train_loss << ',' << e.train_accuracy << ','
              << e.validation_accuracy << ',' << e.lr << ',' << e.seconds << '\n';
    });
    return test;
}

train_result evaluate_checkpoint(const std::string& path, const std::string& dataset_override,
                                 int threads, int weight_bits) {
    const train::checkpoint ck = train::read_checkpoint(path);
    train_spec spec = parse_train_spec(ck.spec_text, path + " (embedded training file)");
    if (!dataset_override.empty()) spec.data.dataset = dataset_override;
    spec.threads = threads;
    setup u = prepare(spec);
    train::set_threads(threads);
    train::optimizer<float> opt(u.opt);
    auto params = u.net->parameters();
    train::restore(ck, params, opt);
    if (weight_bits > 0)
        for (auto& p : params)
            if (p.name.find("weight") != std::string::npos) quantize(*p.value, weight_bits);
    train_result r = evaluate(*u.net, u.code, u.loss, u.data.test, u.data.classes, spec.batch);
    r.curve = ck.curve;
    r.epochs = ck.epochs_done;
    return r;
}

} // namespace nm
