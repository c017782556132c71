// Training on an accelerator: what the training loop hands a device backend (a plan of plain
// values, no device types) and what it asks back per batch. nm_core knows only this interface;
// the CUDA backend (src/backends/cuda) implements it and the CLI passes its factory in.
#pragma once

#include "coding/scheme.hpp"
#include "core/philox.hpp"
#include "train/augmentation.hpp"
#include "train/image_shape.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nm::train {

// One dense (or bias-free linear) or conv2d layer, the neuron layer that reads its output, and
// the pooling of its spikes when one follows. Its trained tensors, in the CPU model's order:
// the weights, the bias, the decays, the thresholds, the recurrent weights.
struct device_block {
    std::size_t inputs = 0, outputs = 0; // features read; neurons
    bool bias = false;
    // conv2d: the images read and written (inputs = in.size(), outputs = out.size()), weights
    // [out channels][in channels][k][k] as conv2d keeps them.
    bool conv = false;
    image_shape in, out;
    std::size_t kernel = 0, stride = 1, padding = 0;
    // k×k pooling of the spikes (stride k, train::pool2d): 0 none, 1 average, 2 maximum.
    int pool = 0;
    std::size_t pool_kernel = 0;
    image_shape pooled;
    std::size_t read_by_next() const { return pool ? pooled.size() : outputs; }
    int neuron = 0; // 0 lif/if, 1 li (leaky-integrator readout), 2 cuba_lif, 3 alif, 4 rf,
                    // 5 graded_lif
    float beta = 0.9f, threshold = 1.0f, slope = 2.0f, rate_penalty = 0.0f;
    float alpha = 0.8f, adapt = 0.2f, adapt_decay = 0.98f; // cuba_lif; alif
    float rf_c = 0.0f, rf_d = 0.0f; // rf: β·cos ω and β·sin ω, as rf_layer rounds them
    int n_max = 1;                  // graded_lif: the largest spike
    int reset = 0;                  // train::reset_mode
    int surrogate = 0;              // train::surrogate_kind
    bool detach_reset = true;
    bool learn_beta = false, learn_threshold = false; // per-neuron, trained (lif/if; li: beta)
    bool recurrent = false; // lif/if: the layer's spikes of t − 1 back in through W [n][n]
    // A dropout layer on this block's input (the spikes of the block before): its p and the
    // CPU layer's own stream, so the masks are the same.
    double dropout = 0;
    rng_stream dropout_rng;
    // Scale layers between the block before and this one: their product, folded into the
    // GEMMs' alpha as dropout's 1/(1 − p) is.
    float input_scale = 1.0f;
    // A residual add before this block: its input is the block before's spikes plus those of
    // block `skip` (an index into device_plan::blocks; −1: none).
    int skip = -1;
    std::size_t dense_layer = 0, neuron_layer = 0; // indices in the CPU model, for reports
    bool spiking() const { return neuron != 1; }
    bool graded() const { return neuron == 5; }
};

// How the first layer's input is made on the device:
//   direct  the features as currents at every step;
//   rate    Bernoulli rate coding, p = feature · max_rate · dt per step (silent for
//           dead_steps after a spike), drawn from the same Philox words as the CPU encoder,
//           anew at every epoch;
//   events  any deterministic code (every scheme but Poisson rates): each sample encoded once
//           on the host by the CPU encoder (coding::encode), its spikes scattered per batch.
enum class device_input { direct, rate, events };

struct device_plan {
    std::vector<device_block> blocks;
    device_input input = device_input::direct;
    double max_rate = 0, dt = 1; // Hz, ms (rate)
    std::uint32_t dead_steps = 0;
    std::uint32_t steps = 1, rng_key0 = 0, rng_key1 = 0, rng_stream = 0;
    coding::scheme scheme = coding::scheme::direct; // events: the code, its parameters and
    coding::code_params code;                       // the features it reads per sample
    std::uint32_t features_per_sample = 0;
    augmentation augment; // [data] flip and shift of the training split, drawn as on the CPU
    // The training split, resident on the device: features [samples][inputs], labels.
    const double* features = nullptr;
    const std::int32_t* labels = nullptr;
    std::uint32_t samples = 0;
    int loss = 0; // train::loss_kind
    double correct_rate = 0.8, incorrect_rate = 0.2;
    int optimizer = 1; // train::optimizer_kind
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, momentum = 0.9, weight_decay = 0, clip = 0;
    bool bf16 = true; // tensor-core GEMMs with bfloat16 operands; false: float32 throughout
    std::uint32_t max_batch = 128;
};

// One tensor the optimizer updates, in the CPU model's layout (dense weights [in][out]).
struct device_tensor {
    std::vector<float>* value;
    std::vector<float>* first_moment;
    std::vector<float>* second_moment;
};

class device_trainer {
public:
    virtual ~device_trainer() = default;
    virtual std::string describe() const = 0;
    // Weights, biases and optimizer moments in: block by block, weight then bias.
    virtual void upload(const std::vector<device_tensor>& tensors,
                        std::uint64_t optimizer_steps) = 0;
    virtual void download(const std::vector<device_tensor>& tensors) = 0;
    // One training step over samples `rows` of the resident split (encoding key `key` as the
    // CPU encoder's, dropout masks keyed by `batch_key` as model::set_training's), learning
    // rate `lr`; returns the batch-mean loss, logits [n][classes].
    virtual float step(const std::uint32_t* rows, std::uint32_t n, std::uint64_t key,
                       std::uint32_t batch_key, double lr, float* logits) = 0;
    // Forward only, on rows first .. first + n of a split (`features` [samples][inputs], kept on
    // the device after the first call): outputs y [T][n][classes]; the spikes of each neuron
    // layer are added to spikes[its index in the CPU model], the input's to `input_spikes`.
    virtual void evaluate(const double* features, std::uint32_t samples, std::uint32_t first,
                          std::uint32_t n, float* y, std::vector<double>& spikes,
                          double& input_spikes) = 0;
    virtual std::size_t saved_bytes() const = 0;  // kept from forward for backward, per step
    virtual std::size_t device_bytes() const = 0; // everything this trainer allocated
};

} // namespace nm::train
