// Training a spiking stack on one CUDA device: cuBLAS GEMMs over all T·B rows at once (dense
// layers; convolutions as im2col and one GEMM over every image), bfloat16 operands with float
// accumulation where one operand is spikes (float32 otherwise), the fused neuron kernels between
// them, pooling read from the spikes' bits, the loss and the optimizer on the device, and the
// whole step captured once per batch size into a CUDA graph and replayed. Hidden spikes are
// the only state kept from forward to backward, as bits (graded spikes as counts); backward
// recomputes each layer's currents with the forward GEMM and its v* with the forward recurrence.
#include "backends/cuda/buffer.hpp"
#include "backends/cuda/conv_kernels.cuh"
#include "backends/cuda/cuda.hpp"
#include "backends/cuda/dispatch.cuh"
#include "backends/cuda/launch.cuh"
#include "backends/cuda/recurrent_kernels.cuh"
#include "backends/cuda/train_kernels.cuh"
#include "backends/cuda/trainer_state.cuh"
#include "coding/codec.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

namespace nm::cuda {

namespace {

class stack_trainer final : public train::device_trainer {
public:
    explicit stack_trainer(const train::device_plan& plan) : plan_(plan), name_(require_device()) {
        NM_CUDA_CHECK(cudaSetDevice(0));
        NM_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
        NM_CUDA_CHECK(cublasCreate(&blas_));
        NM_CUDA_CHECK(cublasSetStream(blas_, stream_));
        // A fixed workspace: cuBLAS must not allocate while a step is being captured.
        blas_workspace_.resize(std::size_t{32} << 20);
        NM_CUDA_CHECK(cublasSetWorkspace(blas_, blas_workspace_.data(), blas_workspace_.size()));
        const std::size_t steps = plan.steps, mb = plan.max_batch;
        std::size_t widest = 0, widest_out = 0, cols = 0, channel_major = 0, dcols = 0, pooled = 0;
        bool learns = false; // some layer trains its decays or thresholds
        for (std::size_t i = 0; i < plan.blocks.size(); ++i) {
            layer_state& l = layers_.emplace_back();
            l.spec = plan.blocks[i];
            l.constant = i == 0 && plan.input == train::device_input::direct;
            // bfloat16 holds integers exactly up to 256: larger graded spikes stay float.
            const bool wide_counts =
                i > 0 && plan.blocks[i - 1].graded() && plan.blocks[i - 1].n_max > 256;
            l.half = plan.bf16 && !l.constant && !wide_counts;
            const std::size_t k = l.spec.inputs, n = l.spec.outputs;
            l.w.resize(l.weight_count());
            if (l.spec.bias) l.b.resize(l.spec.conv ? l.spec.out.channels : n); // per channel
            if (l.spec.learn_beta) { // decays stay in [0, 1], thresholds above 1e-3 (lif_layer)
                l.beta.resize(n);
                l.beta.low = 0;
                l.beta.high = 1;
            }
            if (l.spec.learn_threshold) {
                l.threshold.resize(n);
                l.threshold.low = 1e-3;
            }
            learns = learns || l.spec.learn_beta || l.spec.learn_threshold;
            if (l.half) l.w16.resize(l.weight_count());
            if (l.spec.conv) { // the columns and the channel-major outputs of every image
                const std::size_t span = (l.constant ? mb : steps * mb) * l.conv().out_hw();
                cols = std::max(cols, l.conv().fan_in() * span);
                channel_major = std::max(channel_major, l.spec.out.channels * span);
                if (i > 0) dcols = std::max(dcols, l.conv().fan_in() * span);
            }
            if (l.spec.pool) pooled = std::max(pooled, l.spec.pooled.size());
            if (l.spec.dropout > 0) l.keep.resize(mb * k);
            if (l.spec.recurrent) {
                l.recurrent.resize(n * n);
                if (plan.bf16) l.recurrent16.resize(n * n);
                l.vstar.resize(steps * mb * n);
                membrane_.resize(mb * n); // buffers only grow: the widest layer's size
                recurrent_in_.resize(mb * n);
                own_spikes_.resize(steps * mb * n * sizeof(float));
            }
            // Spikes kept for the next layer's backward, and for a recurrent layer's own.
            if (i + 1 < plan.blocks.size() || l.spec.recurrent) {
                if (l.spec.graded())
                    l.counts.resize(steps * mb * n);
                else
                    l.bits.resize(steps * ((mb * n + 31) / 32));
            }
            widest = std::max({widest, k, n});
            widest_out = std::max(widest_out, n);
        }
        for (const layer_state& l : layers_)
            if (l.spec.skip >= 0) {
                layer_state& from = layers_[static_cast<std::size_t>(l.spec.skip)];
                from.skip_source = true;
                from.skip_grad.resize(steps * mb * from.spec.outputs);
            }
        const std::size_t rows = steps * mb;
        operands_[0].resize(rows * widest * sizeof(float));
        operands_[1].resize(rows * widest * sizeof(float));
        dcurrent_.resize(rows * widest_out * sizeof(float));
        current_.resize(rows * widest_out);
        dspikes_.resize(rows * widest);
        summed_.resize(mb * widest_out);
        neuron_sums_.resize(widest_out);
        cols_.resize(cols * sizeof(float));
        channel_major_.resize(channel_major * sizeof(float));
        dcols_.resize(dcols);
        dpooled_.resize(rows * pooled);
        if (learns) learned_sums_.resize(2 * mb * widest_out);
        classes_ = static_cast<int>(plan.blocks.back().outputs);
        y_.resize(rows * classes_);
        logits_.resize(mb * classes_);
        losses_.resize(mb);
        if (plan.input == train::device_input::direct) {
            direct_.resize(mb * plan.blocks[0].inputs);
            vstar_.resize(rows * plan.blocks[0].outputs);
        }
        // Adaptive thresholds and resonators' imaginary parts, recomputed in backward.
        for (const auto& b : plan.blocks)
            if (b.neuron == static_cast<int>(neuron_kind::alif) ||
                b.neuron == static_cast<int>(neuron_kind::rf))
                aux_.resize(rows * widest_out);
        rows_.resize(mb);
        values_.resize(1);
        counts_.resize(plan.blocks.size() + 1);
        std::size_t tensors = 0;
        for (const layer_state& l : layers_) tensors += l.tensors().size();
        partial_.resize(norm_blocks * tensors);
        clip_.resize(1);
        NM_CUDA_CHECK(cudaMallocHost(&host_rows_, mb * sizeof(std::uint32_t)));
        NM_CUDA_CHECK(cudaMallocHost(&host_values_, sizeof(step_values)));
        NM_CUDA_CHECK(cudaMallocHost(&host_losses_, mb * sizeof(float)));
        NM_CUDA_CHECK(cudaMallocHost(&host_logits_, mb * classes_ * sizeof(float)));
        train_ = make_resident(plan.features, plan.samples);
        labels_.upload(plan.labels, plan.samples);
    }

    ~stack_trainer() override {
        for (auto& [n, exec] : graphs_) cudaGraphExecDestroy(exec);
        cudaFreeHost(host_rows_);
        cudaFreeHost(host_values_);
        cudaFreeHost(host_losses_);
        cudaFreeHost(host_logits_);
        cublasDestroy(blas_);
        cudaStreamDestroy(stream_);
    }

    std::string describe() const override {
        return name_ + (plan_.bf16 ? ", bfloat16 GEMMs on spikes" : ", float32 GEMMs");
    }

    void upload(const std::vector<train::device_tensor>& tensors, std::uint64_t steps) override {
        std::size_t at = 0;
        for (layer_state& l : layers_) {
            for (tensor_state* t : l.tensors()) {
                upload_tensor(tensors.at(at++), *t);
                if (bf16* copy = l.half_copy(t)) {
                    launch(to_bf16, grid_for(t->value.size()), block_threads, stream_,
                           t->value.data(), t->value.size(), copy);
                }
            }
        }
        steps_ = steps;
        // The moments were cleared on the legacy stream, which stream_ does not wait for.
        NM_CUDA_CHECK(cudaDeviceSynchronize());
    }

    void download(const std::vector<train::device_tensor>& tensors) override {
        NM_CUDA_CHECK(cudaStreamSynchronize(stream_));
        std::size_t at = 0;
        for (const layer_state& l : layers_)
            for (const tensor_state* t : l.tensors()) download_tensor(tensors.at(at++), *t);
    }

    float step(const std::uint32_t* rows, std::uint32_t n, std::uint64_t key,
               std::uint32_t batch_key, double lr, float* logits) override {
        if (n < 1 || n > plan_.max_batch)
            throw internal_error("device step: batch " + std::to_string(n) + " outside [1, " +
                                 std::to_string(plan_.max_batch) + "]");
        ++steps_;
        host_values_->lr = lr;
        host_values_->c1 = 1 - std::pow(plan_.beta1, static_cast<double>(steps_));
        host_values_->c2 = 1 - std::pow(plan_.beta2, static_cast<double>(steps_));
        host_values_->key = static_cast<std::uint32_t>(key);
        host_values_->batch_key = batch_key;
        std::copy(rows, rows + n, host_rows_);
        auto found = graphs_.find(n);
        if (found == graphs_.end()) {
            // Captured once per batch size; every later step replays it.
            cudaGraph_t graph;
            NM_CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
            try {
                enqueue_step(n);
            } catch (...) {
                cudaStreamEndCapture(stream_, &graph);
                throw;
            }
            NM_CUDA_CHECK(cudaStreamEndCapture(stream_, &graph));
            cudaGraphExec_t exec;
            NM_CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
            NM_CUDA_CHECK(cudaGraphDestroy(graph));
            found = graphs_.emplace(n, exec).first;
        }
        NM_CUDA_CHECK(cudaGraphLaunch(found->second, stream_));
        NM_CUDA_CHECK(cudaStreamSynchronize(stream_));
        double total = 0;
        for (std::uint32_t b = 0; b < n; ++b) total += host_losses_[b];
        std::copy(host_logits_, host_logits_ + std::size_t{n} * classes_, logits);
        return static_cast<float>(total / n);
    }

    void evaluate(const double* features, std::uint32_t samples, std::uint32_t first,
                  std::uint32_t n, float* y, std::vector<double>& spikes,
                  double& input_spikes) override {
        auto found = splits_.find(features);
        if (found == splits_.end())
            found = splits_.emplace(features, make_resident(features, samples)).first;
        NM_CUDA_CHECK(cudaMemsetAsync(counts_.data(), 0, counts_.bytes(), stream_));
        for (std::uint32_t done = 0; done < n; done += plan_.max_batch) {
            const std::uint32_t part = std::min(plan_.max_batch, n - done);
            *host_values_ = step_values{};
            NM_CUDA_CHECK(cudaMemcpyAsync(values_.data(), host_values_, sizeof(step_values),
                                          cudaMemcpyHostToDevice, stream_));
            forward(found->second, {nullptr, first + done, part}, false, true);
            // y [T][part][C] into the caller's [T][n][C].
            NM_CUDA_CHECK(cudaMemcpy2DAsync(y + std::size_t{done} * classes_,
                                            std::size_t{n} * classes_ * sizeof(float), y_.data(),
                                            std::size_t{part} * classes_ * sizeof(float),
                                            std::size_t{part} * classes_ * sizeof(float),
                                            plan_.steps, cudaMemcpyDeviceToHost, stream_));
        }
        std::vector<unsigned long long> counts(counts_.size());
        NM_CUDA_CHECK(cudaMemcpyAsync(counts.data(), counts_.data(), counts_.bytes(),
                                      cudaMemcpyDeviceToHost, stream_));
        NM_CUDA_CHECK(cudaStreamSynchronize(stream_));
        input_spikes += static_cast<double>(counts[0]);
        for (std::size_t i = 0; i < layers_.size(); ++i)
            spikes.at(layers_[i].spec.neuron_layer) += static_cast<double>(counts[i + 1]);
    }

    std::size_t saved_bytes() const override {
        std::size_t bytes = 0;
        for (const layer_state& l : layers_)
            bytes += l.bits.bytes() + l.counts.bytes() + l.vstar.bytes();
        return bytes;
    }

    std::size_t device_bytes() const override {
        std::size_t bytes =
            blas_workspace_.bytes() + operands_[0].bytes() + operands_[1].bytes() +
            dcurrent_.bytes() + current_.bytes() + dspikes_.bytes() + summed_.bytes() + y_.bytes() +
            logits_.bytes() + losses_.bytes() + direct_.bytes() + vstar_.bytes() + aux_.bytes() +
            labels_.bytes() + learned_sums_.bytes() + neuron_sums_.bytes() + cols_.bytes() +
            channel_major_.bytes() + dcols_.bytes() + dpooled_.bytes() + membrane_.bytes() +
            recurrent_in_.bytes() + own_spikes_.bytes() + train_.bytes();
        for (const layer_state& l : layers_) {
            for (const tensor_state* t : l.tensors()) bytes += t->bytes();
            bytes += l.w16.bytes() + l.bits.bytes() + l.counts.bytes() + l.keep.bytes() +
                     l.recurrent16.bytes() + l.vstar.bytes() + l.skip_grad.bytes();
        }
        return bytes;
    }

private:
    resident_split make_resident(const double* features, std::uint32_t samples) const {
        const std::size_t channels = plan_.blocks[0].inputs,
                          count = std::size_t{samples} * channels;
        resident_split s;
        if (plan_.input == train::device_input::events) {
            encode_events(features, samples, s);
        } else if (plan_.input == train::device_input::rate) {
            std::vector<std::uint32_t> th(count);
            for (std::size_t i = 0; i < count; ++i)
                th[i] = rate_threshold(features[i], plan_.max_rate, plan_.dt);
            s.thresholds.upload(th.data(), count);
        } else {
            std::vector<float> x(features, features + count);
            s.currents.upload(x.data(), count);
        }
        return s;
    }

    // Each sample's spikes, as the CPU encoder gives them (deterministic codes ignore the
    // sample key), as events into s.
    void encode_events(const double* features, std::uint32_t samples, resident_split& s) const {
        const std::size_t n = plan_.features_per_sample;
        std::vector<std::uint64_t> offsets{0};
        std::vector<coded_event> events;
        std::uint16_t most = 0;
        for (std::uint32_t k = 0; k < samples; ++k) {
            const spike_raster r =
                coding::encode(plan_.scheme, plan_.code, {features + k * n, n}, rng_stream{}, k);
            for (std::uint32_t t = 0; t < r.steps; ++t)
                for (std::uint64_t e = r.offsets[t]; e < r.offsets[t + 1]; ++e) {
                    events.push_back({r.channel[e], static_cast<std::uint16_t>(t), r.count[e]});
                    most = std::max(most, r.count[e]);
                }
            offsets.push_back(events.size());
        }
        if (layers_[0].half && most > 256)
            throw bad_config("the input code gives " + std::to_string(most) +
                             " spikes in one step on one channel; the bfloat16 GEMMs hold counts "
                             "up to 256 exactly: set [train] precision = \"fp32\"");
        s.offsets.upload(offsets.data(), offsets.size());
        if (!events.empty()) s.events.upload(events.data(), events.size());
    }

    static void upload_tensor(const train::device_tensor& t, tensor_state& dev) {
        if (t.value->size() != dev.value.size())
            throw internal_error("device upload: tensor of " + std::to_string(t.value->size()) +
                                 " values where " + std::to_string(dev.value.size()) + " belong");
        dev.value.upload(t.value->data(), dev.value.size());
        auto moment = [&](const std::vector<float>* host, buffer<float>& dev) {
            if (host && host->size() == dev.size())
                dev.upload(host->data(), dev.size());
            else
                NM_CUDA_CHECK(cudaMemset(dev.data(), 0, dev.bytes()));
        };
        moment(t.first_moment, dev.m);
        moment(t.second_moment, dev.v);
    }

    static void download_tensor(const train::device_tensor& t, const tensor_state& dev) {
        const buffer<float>&value = dev.value, &m = dev.m, &v = dev.v;
        t.value->resize(value.size());
        value.download(t.value->data(), value.size());
        if (t.first_moment) {
            t.first_moment->resize(m.size());
            m.download(t.first_moment->data(), m.size());
        }
        if (t.second_moment) {
            t.second_moment->resize(v.size());
            v.download(t.second_moment->data(), v.size());
        }
    }

    // The input operand of layer 0 for these rows: coded on the device.
    template<class P>
    // The training split's images are transformed by [data] flip and shift in training.
    const void* encode(const resident_split& split, batch_rows rows, bool count, bool training) {
        const train::augmentation aug = training ? plan_.augment : train::augmentation{};
        const std::size_t channels = plan_.blocks[0].inputs;
        if (plan_.input == train::device_input::events) {
            auto* x = reinterpret_cast<P*>(operands_[0].data());
            NM_CUDA_CHECK(
                cudaMemsetAsync(x, 0, plan_.steps * rows.n * channels * sizeof(P), stream_));
            launch(scatter_events<P>, rows.n, block_threads, stream_, split.offsets.data(),
                   split.events.data(), rows, static_cast<int>(channels), x,
                   count ? counts_.data() : nullptr);
            return x;
        }
        if (plan_.input == train::device_input::direct) {
            launch(gather_rows, grid_for(rows.n * channels), block_threads, stream_,
                   split.currents.data(), rows, static_cast<int>(channels), values_.data(), aug,
                   direct_.data());
            return direct_.data();
        }
        const std::size_t threads = rate_threads(channels, rows.n, static_cast<int>(plan_.steps),
                                                 static_cast<int>(plan_.dead_steps));
        auto* x = reinterpret_cast<P*>(operands_[0].data());
        launch(encode_rate<P>, grid_for(threads), block_threads, stream_, split.thresholds.data(),
               rows, static_cast<int>(channels), static_cast<int>(plan_.steps),
               static_cast<int>(plan_.dead_steps), values_.data(), aug, plan_.rng_key0,
               plan_.rng_key1, plan_.rng_stream, x, count ? counts_.data() : nullptr);
        return x;
    }

    // The input operand of layer i: layer 0's input coded again, or layer i−1's spikes unpacked
    // (pooled, when a pooling follows it).
    const void* input_of(std::size_t i, batch_rows rows) {
        const layer_state& l = layers_[i];
        const void* x = nullptr;
        with_operand(l.half, [&]<class P>(P) {
            if (i == 0) {
                x = encode<P>(train_, rows, false, true);
                if (l.spec.dropout > 0)
                    drop(l, static_cast<P*>(const_cast<void*>(x)),
                         std::size_t{rows.n} * l.spec.inputs);
                return;
            }
            const std::size_t width = std::size_t{rows.n} * l.spec.inputs;
            auto* out = reinterpret_cast<P*>(operands_[i % 2].data());
            const layer_state& below = layers_[i - 1];
            if (below.spec.pool)
                launch(pool_spikes<P>, grid_for(width * plan_.steps), block_threads, stream_,
                       below.kept(), static_cast<int>(rows.n), static_cast<int>(plan_.steps),
                       below.pool(), out);
            else if (below.spec.graded())
                launch(unpack_counts<P>, grid_for(width * plan_.steps), block_threads, stream_,
                       below.counts.data(), width * plan_.steps, out);
            else
                launch(unpack_bits<P>, grid_for(width * plan_.steps), block_threads, stream_,
                       below.bits.data(), width, static_cast<int>(plan_.steps), out);
            if (l.spec.skip >= 0) add_skip(l, out, rows.n);
            if (l.spec.dropout > 0) drop(l, out, width);
            x = out;
        });
        return x;
    }

    // x [T][batch · inputs] += the kept spikes of block l.spec.skip (a residual add before l).
    template<class P>
    void add_skip(const layer_state& l, P* x, std::uint32_t n) {
        const layer_state& from = layers_[static_cast<std::size_t>(l.spec.skip)];
        const std::size_t width = std::size_t{n} * l.spec.inputs;
        if (from.spec.graded())
            launch(unpack_counts<P, true>, grid_for(width * plan_.steps), block_threads, stream_,
                   from.counts.data(), width * plan_.steps, x);
        else
            launch(unpack_bits<P, true>, grid_for(width * plan_.steps), block_threads, stream_,
                   from.bits.data(), width, static_cast<int>(plan_.steps), x);
    }

    // Zeroes the dropped features of x [T][width] (one row for a direct input) with layer l's
    // mask of this batch.
    template<class T>
    void drop(const layer_state& l, T* x, std::size_t width) {
        const int steps = l.constant ? 1 : static_cast<int>(plan_.steps); // direct: one row
        launch(apply_mask<T>, grid_for(width * steps), block_threads, stream_, l.keep.data(), width,
               steps, x);
    }

    // Currents of layer i from its input operand x: I = scale·x·W (one row per sample when
    // constant; scale: dropout's, in training). A convolution leaves its columns in cols_ for
    // the weight gradient.
    neuron_input currents(std::size_t i, const void* x, std::uint32_t n, float scale = 1) {
        const layer_state& l = layers_[i];
        const int k = static_cast<int>(l.spec.inputs), out = static_cast<int>(l.spec.outputs);
        const std::size_t images = l.constant ? n : std::size_t{n} * plan_.steps;
        const void* w = l.half ? static_cast<const void*>(l.w16.data()) : l.w.value.data();
        int bias_every = 1;
        if (l.spec.conv) {
            const conv_geometry g = l.conv();
            const std::size_t span = images * g.out_hw();
            with_operand(l.half, [&]<class P>(P) {
                launch(im2col<P>, grid_for(span * g.fan_in()), block_threads, stream_,
                       static_cast<const P*>(x), g, images, reinterpret_cast<P*>(cols_.data()));
            });
            auto* by_channel = reinterpret_cast<float*>(channel_major_.data());
            gemm(blas_, false, false, g.out_c, static_cast<int>(span), g.fan_in(), w, g.fan_in(),
                 cols_.data(), static_cast<int>(span), by_channel, static_cast<int>(span), l.half,
                 scale);
            launch(from_channel_major, grid_for(images * out), block_threads, stream_, by_channel,
                   g.out_c, g.out_hw(), images, current_.data());
            bias_every = g.out_hw();
        } else {
            gemm(blas_, false, false, static_cast<int>(images), out, k, x, k, w, out,
                 current_.data(), out, l.half, scale);
        }
        const std::size_t width = std::size_t{n} * out;
        return {current_.data(),
                l.constant ? 0 : width,
                l.spec.bias ? l.b.value.data() : nullptr,
                out,
                width,
                static_cast<int>(plan_.steps),
                l.spec.learn_beta ? l.beta.value.data() : nullptr,
                l.spec.learn_threshold ? l.threshold.value.data() : nullptr,
                bias_every};
    }

    // Forward through every layer; training keeps hidden spikes as bits, counting adds spikes
    // per layer to counts_.
    void forward(const resident_split& split, batch_rows rows, bool training, bool count) {
        const void* x = nullptr;
        with_operand(layers_[0].half,
                     [&]<class P>(P) { x = encode<P>(split, rows, count, training); });
        for (std::size_t i = 0; i < layers_.size(); ++i) {
            const layer_state& l = layers_[i];
            if (l.spec.skip >= 0)
                with_operand(l.half, [&]<class P>(P) {
                    add_skip(l, static_cast<P*>(const_cast<void*>(x)), rows.n);
                });
            const bool drops = training && l.spec.dropout > 0;
            if (drops) { // the mask of this batch, kept for backward
                const std::size_t width = std::size_t{rows.n} * l.spec.inputs;
                launch(dropout_mask, grid_for(width), block_threads, stream_, l.spec.dropout_rng,
                       l.spec.dropout, width, values_.data(), l.keep.data());
                with_operand(l.half, [&]<class P>(P) {
                    drop(l, static_cast<P*>(const_cast<void*>(x)), width);
                });
            }
            const neuron_input in = currents(i, x, rows.n, l.input_scale(training));
            const bool last = i + 1 == layers_.size();
            unsigned long long* counter = count ? counts_.data() + i + 1 : nullptr;
            if (!l.spec.spiking()) {
                launch(li_forward, grid_for(in.width), block_threads, stream_, in, l.spec.beta,
                       y_.data());
            } else {
                const bool half_out = !last && layers_[i + 1].half;
                with_operand(half_out, [&]<class Out>(Out) {
                    // Pooled spikes are read from their bits, which every pass keeps then.
                    const bool pools = l.spec.pool != 0;
                    auto* next = reinterpret_cast<Out*>(operands_[(i + 1) % 2].data());
                    Out* spikes = last ? reinterpret_cast<Out*>(y_.data()) : pools ? nullptr : next;
                    kept_spikes keep;
                    if ((training || pools || l.skip_source) && !last)
                        keep = {l.bits.data(), l.counts.data()};
                    if (l.spec.recurrent)
                        recurrent_forward(l, in, spikes, counter);
                    else
                        with_spiking(l.spec.neuron, l.spec.reset,
                                     [&]<neuron_kind Kind, reset_mode R>() {
                                         launch(spiking_forward<Kind, R, Out>, grid_for(in.width),
                                                block_threads, stream_, in, constants_of(l.spec),
                                                spikes, keep, counter);
                                     });
                    x = spikes;
                    if (pools) {
                        const std::size_t pooled = rows.n * l.spec.pooled.size() * plan_.steps;
                        launch(pool_spikes<Out>, grid_for(pooled), block_threads, stream_, l.kept(),
                               static_cast<int>(rows.n), static_cast<int>(plan_.steps), l.pool(),
                               next);
                        x = next;
                    }
                });
            }
        }
    }

    // A recurrent layer's time loop: at each step its spikes of the step before through W
    // (a GEMM), then the step kernel. Spikes go to `spikes` [T][batch · n] and to the bits.
    template<class Out>
    void recurrent_forward(const layer_state& l, const neuron_input& in, Out* spikes,
                           unsigned long long* counter) {
        const int n = in.n, batch = static_cast<int>(in.width / in.n);
        with_constant<reset_mode::zero, reset_mode::subtract, reset_mode::none>(
            static_cast<reset_mode>(l.spec.reset), [&]<reset_mode R>() {
                for (int t = 0; t < in.steps; ++t) {
                    if (t > 0)
                        gemm(blas_, false, false, batch, n, n, spikes + (t - 1) * in.width, n,
                             l.operand<Out>(l.recurrent), n, recurrent_in_.data(), n,
                             std::is_same_v<Out, bf16>);
                    launch(recurrent_step<R, Out>, grid_for(in.width), block_threads, stream_, in,
                           t, constants_of(l.spec), t > 0 ? recurrent_in_.data() : nullptr,
                           membrane_.data(), l.vstar.data(), spikes, l.bits.data(), counter);
                }
            });
    }

    // Its backward, time in reverse: the step kernel from ∂L/∂s_t and G_{t+1}·Wᵀ, then
    // ∂W += s_{t−1}ᵀ·G_t and G_t·Wᵀ for the step before (GEMMs in the layer's operand type).
    void recurrent_backward(const layer_state& l, std::size_t width) {
        const int n = static_cast<int>(l.spec.outputs), batch = static_cast<int>(width / n);
        const int steps = static_cast<int>(plan_.steps);
        NM_CUDA_CHECK(
            cudaMemsetAsync(l.recurrent.grad.data(), 0, l.recurrent.grad.bytes(), stream_));
        const train::surrogate sg = surrogate_of(l.spec);
        with_operand(l.half, [&]<class G>(G) {
            auto* own = reinterpret_cast<G*>(own_spikes_.data());
            launch(unpack_bits<G>, grid_for(width * steps), block_threads, stream_, l.bits.data(),
                   width, steps, own);
            auto* dcurrent = reinterpret_cast<G*>(dcurrent_.data());
            with_constant<reset_mode::zero, reset_mode::subtract, reset_mode::none>(
                static_cast<reset_mode>(l.spec.reset), [&]<reset_mode R>() {
                    with_surrogate(sg.kind, [&]<surrogate_kind K>() {
                        for (int t = steps - 1; t >= 0; --t) {
                            const bool last = t == steps - 1;
                            launch(recurrent_step_backward<R, K, G>, grid_for(width), block_threads,
                                   stream_, width, t, last, constants_of(l.spec), sg,
                                   l.spec.detach_reset, l.spec.rate_penalty, dspikes_.data(),
                                   last ? nullptr : recurrent_in_.data(), l.vstar.data(),
                                   membrane_.data(), neuron_grads<G>{dcurrent, summed_.data()});
                            if (t == 0) break;
                            const G* g = dcurrent + t * width;
                            gemm(blas_, true, false, n, n, batch, own + (t - 1) * width, n, g, n,
                                 l.recurrent.grad.data(), n, l.half, 1, 1);
                            gemm(blas_, false, true, batch, n, n, g, n, l.operand<G>(l.recurrent),
                                 n, recurrent_in_.data(), n, l.half);
                        }
                    });
                });
        });
    }

    // Where each neuron of the batch's share of ∂L/∂β and ∂L/∂θ goes, for a layer learning them.
    std::pair<float*, float*> learned_shares(const layer_state& l, std::size_t width) const {
        return {l.spec.learn_beta ? learned_sums_.data() : nullptr,
                l.spec.learn_threshold ? learned_sums_.data() + width : nullptr};
    }

    // The neuron layer's backward kernel (all but recurrent layers) over currents `in`.
    void neuron_backward(const layer_state& l, const neuron_input& in) {
        float* vstar = l.constant ? vstar_.data() : current_.data();
        const auto [beta_sums, threshold_sums] = learned_shares(l, in.width);
        with_operand(l.half, [&]<class G>(G) {
            const neuron_grads<G> out{reinterpret_cast<G*>(dcurrent_.data()), summed_.data(),
                                      beta_sums, threshold_sums};
            if (!l.spec.spiking()) {
                launch(li_backward<G>, grid_for(in.width), block_threads, stream_, in, l.spec.beta,
                       dspikes_.data(), y_.data(), out);
            } else {
                const train::surrogate sg = surrogate_of(l.spec);
                with_spiking(l.spec.neuron, l.spec.reset, [&]<neuron_kind Kind, reset_mode R>() {
                    with_surrogate(sg.kind, [&]<surrogate_kind K>() {
                        launch(spiking_backward<Kind, R, K, G>, grid_for(in.width), block_threads,
                               stream_, in, constants_of(l.spec), sg, l.spec.detach_reset,
                               l.spec.rate_penalty, dspikes_.data(), vstar, aux_.data(), out);
                    });
                });
            }
        });
    }

    // Backward of layer i from dspikes_ (∂L/∂output): weight and bias gradients, and ∂L/∂input
    // into dspikes_ for the layer below (through dpooled_ and the unpooling when it pools).
    void backward(std::size_t i, batch_rows rows) {
        const layer_state& l = layers_[i];
        const std::size_t width = std::size_t{rows.n} * l.spec.outputs;
        if (l.skip_source) // the residual adds' share of ∂L/∂output
            launch(accumulate, grid_for(width * plan_.steps), block_threads, stream_,
                   l.skip_grad.data(), width * plan_.steps, dspikes_.data());
        const void* x = input_of(i, rows);
        const float scale = l.input_scale(true);
        // A recurrent layer kept v* from forward: its currents need no recomputing.
        if (l.spec.recurrent)
            recurrent_backward(l, width);
        else
            neuron_backward(l, currents(i, x, rows.n, scale));
        const auto [beta_sums, threshold_sums] = learned_shares(l, width);
        const int k = static_cast<int>(l.spec.inputs), n = static_cast<int>(l.spec.outputs);
        const int r = static_cast<int>(rows.n * plan_.steps);
        const bool below_pools = i > 0 && layers_[i - 1].spec.pool;
        float* dinput = i == 0 ? nullptr : below_pools ? dpooled_.data() : dspikes_.data();
        if (l.spec.conv) {
            conv_gradients(l, rows.n, dinput, scale);
        } else {
            if (l.constant) // the same input at every step: ∂W = xᵀ · Σ_t ∂L/∂I_t
                gemm(blas_, true, false, k, n, static_cast<int>(rows.n), x, k, summed_.data(), n,
                     l.w.grad.data(), n, false, scale);
            else
                gemm(blas_, true, false, k, n, r, x, k, dcurrent_.data(), n, l.w.grad.data(), n,
                     l.half, scale);
            if (dinput) {
                gemm(blas_, false, true, r, k, n, dcurrent_.data(), n,
                     l.half ? static_cast<const void*>(l.w16.data()) : l.w.value.data(), n, dinput,
                     k, l.half, scale);
                if (l.spec.dropout > 0) drop(l, dinput, std::size_t{rows.n} * k);
            }
        }
        if (dinput && l.spec.skip >= 0) { // ∂L/∂input reaches the added block too
            const std::size_t size = std::size_t{rows.n} * k * plan_.steps;
            launch(accumulate, grid_for(size), block_threads, stream_, dinput, size,
                   layers_[static_cast<std::size_t>(l.spec.skip)].skip_grad.data());
        }
        // Per-neuron gradients: each neuron of the batch's share, summed over the batch (a conv
        // bias then over its channel's pixels too).
        const std::pair<const float*, const tensor_state*> shares[] = {
            {summed_.data(), l.spec.bias ? &l.b : nullptr},
            {beta_sums, &l.beta},
            {threshold_sums, &l.threshold}};
        for (const auto& [share, t] : shares) {
            if (!share || !t) continue;
            const bool by_channel = t == &l.b && l.spec.conv;
            launch(column_sums, grid_for(n), block_threads, stream_, share,
                   static_cast<int>(rows.n), n, by_channel ? neuron_sums_.data() : t->grad.data());
            if (by_channel) {
                const conv_geometry g = l.conv();
                launch(segment_sums, grid_for(g.out_c), block_threads, stream_, neuron_sums_.data(),
                       g.out_c, g.out_hw(), t->grad.data());
            }
        }
        if (below_pools) {
            const layer_state& below = layers_[i - 1];
            launch(unpool_spikes, grid_for(std::size_t{rows.n} * below.spec.outputs * plan_.steps),
                   block_threads, stream_, dpooled_.data(), below.kept(), static_cast<int>(rows.n),
                   static_cast<int>(plan_.steps), below.pool(), dspikes_.data());
        }
    }

    // A convolution's weight gradient and, given dx, its input gradient: ∂L/∂I (dcurrent_, or
    // Σ_t of it in summed_ for a constant input) by channel, times the columns currents() left,
    // and Wᵀ times it scattered back by col2im.
    void conv_gradients(const layer_state& l, std::uint32_t n, float* dx, float scale) {
        const conv_geometry g = l.conv();
        const std::size_t images = l.constant ? n : std::size_t{n} * plan_.steps;
        const int span = static_cast<int>(images * g.out_hw());
        with_operand(l.half, [&]<class G>(G) {
            const G* dy = reinterpret_cast<const G*>(
                l.constant ? summed_.data() : static_cast<void*>(dcurrent_.data()));
            launch(to_channel_major<G>, grid_for(images * g.out_hw() * g.out_c), block_threads,
                   stream_, dy, g.out_c, g.out_hw(), images,
                   reinterpret_cast<G*>(channel_major_.data()));
        });
        gemm(blas_, false, true, g.out_c, g.fan_in(), span, channel_major_.data(), span,
             cols_.data(), span, l.w.grad.data(), g.fan_in(), l.half, scale);
        if (!dx) return;
        gemm(blas_, true, false, g.fan_in(), span, g.out_c,
             l.half ? static_cast<const void*>(l.w16.data()) : l.w.value.data(), g.fan_in(),
             channel_major_.data(), span, dcols_.data(), span, l.half, scale);
        launch(col2im, grid_for(images * g.in_size()), block_threads, stream_, dcols_.data(), g,
               images, dx);
        if (l.spec.dropout > 0) drop(l, dx, std::size_t{n} * g.in_size());
    }

    // One whole step on stream_: rows and step values in, forward, loss, backward, update, loss
    // and logits out. Captured into a graph by step().
    void enqueue_step(std::uint32_t n) {
        NM_CUDA_CHECK(cudaMemcpyAsync(rows_.data(), host_rows_, n * sizeof(std::uint32_t),
                                      cudaMemcpyHostToDevice, stream_));
        NM_CUDA_CHECK(cudaMemcpyAsync(values_.data(), host_values_, sizeof(step_values),
                                      cudaMemcpyHostToDevice, stream_));
        const batch_rows rows{rows_.data(), 0, n};
        forward(train_, rows, true, false);
        const train::loss_options loss{static_cast<train::loss_kind>(plan_.loss),
                                       plan_.correct_rate, plan_.incorrect_rate};
        launch(sequence_loss, grid_for(n), block_threads, stream_, y_.data(), rows, labels_.data(),
               classes_, static_cast<int>(plan_.steps), loss, logits_.data(), losses_.data(),
               dspikes_.data());
        for (const layer_state& l : layers_)
            if (l.skip_source)
                NM_CUDA_CHECK(cudaMemsetAsync(l.skip_grad.data(), 0, l.skip_grad.bytes(), stream_));
        for (std::size_t i = layers_.size(); i-- > 0;) backward(i, rows);
        const double* scale = nullptr;
        if (plan_.clip > 0) {
            int parts = 0;
            for (const layer_state& l : layers_)
                for (const tensor_state* t : l.tensors()) {
                    launch(square_sums, norm_blocks, block_threads, stream_, t->grad.data(),
                           t->grad.size(), partial_.data() + parts);
                    parts += norm_blocks;
                }
            launch(clip_scale, 1, 1, stream_, partial_.data(), parts, plan_.clip, clip_.data());
            scale = clip_.data();
        }
        const optimizer_constants o{plan_.optimizer, plan_.beta1,    plan_.beta2,
                                    plan_.eps,       plan_.momentum, plan_.weight_decay};
        for (layer_state& l : layers_)
            for (tensor_state* t : l.tensors()) {
                launch(optimizer_update, grid_for(t->value.size()), block_threads, stream_,
                       t->value.data(), t->grad.data(), t->m.data(), t->v.data(), t->value.size(),
                       o, values_.data(), scale, t->low, t->high, l.half_copy(t));
            }
        NM_CUDA_CHECK(cudaMemcpyAsync(host_losses_, losses_.data(), n * sizeof(float),
                                      cudaMemcpyDeviceToHost, stream_));
        NM_CUDA_CHECK(cudaMemcpyAsync(host_logits_, logits_.data(),
                                      std::size_t{n} * classes_ * sizeof(float),
                                      cudaMemcpyDeviceToHost, stream_));
    }

    train::device_plan plan_;
    std::string name_;
    cudaStream_t stream_ = nullptr;
    cublasHandle_t blas_ = nullptr;
    buffer<std::byte> blas_workspace_;
    std::vector<layer_state> layers_;
    buffer<std::byte> operands_[2], dcurrent_; // GEMM operands: float or bfloat16
    buffer<float> current_, dspikes_, summed_, y_, logits_, losses_, direct_, vstar_, aux_;
    buffer<float> learned_sums_; // [2][batch · n]: each neuron of the batch's ∂L/∂β and ∂L/∂θ
    buffer<float> neuron_sums_;              // [n]: a conv bias gradient's per-pixel sums
    buffer<std::byte> cols_, channel_major_; // a convolution's columns; its outputs by channel
    buffer<float> dcols_;                    // the columns' gradient
    buffer<float> dpooled_; // ∂L/∂(pooled spikes) [T·B][pooled], before unpooling
    // Recurrent layers: the membrane (backward: g_v), the recurrent input s_{t−1}·W (backward:
    // G_{t+1}·Wᵀ), the layer's own spikes unpacked as a GEMM operand.
    buffer<float> membrane_, recurrent_in_;
    buffer<std::byte> own_spikes_;
    buffer<std::uint32_t> rows_;
    buffer<std::int32_t> labels_;
    buffer<step_values> values_;
    buffer<unsigned long long> counts_; // input spikes, then each layer's
    buffer<double> partial_, clip_;
    resident_split train_;
    std::map<const double*, resident_split> splits_;
    std::map<std::uint32_t, cudaGraphExec_t> graphs_;
    std::uint32_t* host_rows_ = nullptr;
    step_values* host_values_ = nullptr;
    float *host_losses_ = nullptr, *host_logits_ = nullptr;
    int classes_ = 0;
    std::uint64_t steps_ = 0;
};

} // namespace

device_factory trainer_factory() {
    return [](const train::device_plan& plan) -> std::unique_ptr<train::device_trainer> {
        return std::make_unique<stack_trainer>(plan);
    };
}

} // namespace nm::cuda
