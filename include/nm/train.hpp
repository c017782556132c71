// Training spiking networks with surrogate-gradient BPTT: what a training run is (data, input
// code, layers, loss, optimizer), running it, and what it measured.
#pragma once

#include <nm/experiment.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace nm {

struct data_spec {
    std::string dataset = "digits"; // iris | wdbc | digits | fashion_mnist | a CSV path
    std::string label = "last";     // CSV label column
    double test_fraction = 0.3;     // embedded and CSV sets: held out for testing
    double validation_fraction = 0.0;
    std::uint32_t limit_train = 0, limit_test = 0; // 0 = all
    std::vector<std::uint64_t> shape;              // input image (C, H, W); default from the data
    bool flip = false;       // training images mirrored left-right with probability 1/2
    std::uint32_t shift = 0; // training images translated by up to this many pixels each way
    std::string where;
};

struct layer_spec {
    std::string kind; // dense | linear | conv2d | avgpool | maxpool | flatten | dropout | scale |
                      // add | lif | if | cuba_lif | graded_lif | rf | alif | li
    std::uint64_t size = 0; // dense/linear outputs (neuron layers take the previous size)
    std::uint64_t channels = 0, kernel = 3, stride = 1, padding = 0; // conv2d; pools use kernel
    double p = 0.5;                                                  // dropout probability
    double adapt = 0.2,
           adapt_decay = 0.98; // alif: threshold rise per unit of adaptation; decay per step
    double alpha = 0.8;        // cuba_lif: synaptic current decay per step
    bool recurrent = false;    // lif, if: the layer's own spikes from t - 1 through trained weights
    double factor = 1.0;       // scale
    std::uint64_t from = 0;    // add: the layer (1-based) whose output is added
    double beta = 0.9;         // decay per step
    double threshold = 1.0;
    std::string reset = "zero"; // zero | subtract | none
    std::string surrogate = "arctan";
    double slope = 2.0;
    bool learn_beta = false;
    bool learn_threshold = false; // lif, if: one trained threshold per neuron
    std::uint64_t n_max = 4;      // graded_lif: largest graded spike
    double omega = 0.5;           // rf: rotation per step (radians)
    bool detach_reset = true;
    double init_gain = 1.0; // dense: weights uniform with variance gain²/fan_in
    std::string where;
};

struct train_spec {
    data_spec data;
    std::string scheme = "direct"; // input code (neuromorph models lists the spike codes)
    std::vector<param> code;       // its parameters (steps = T)
    std::vector<layer_spec> layers;
    std::string loss = "ce_count";  // ce_count | ce_mean | ce_max | mse_count | ce_first_spike
    double rate_reg = 0.0;          // spike-rate penalty per spike
    std::string optimizer = "adam"; // sgd | adam | adamw
    double lr = 1e-3, momentum = 0.9, weight_decay = 0.0, clip = 0.0;
    std::string schedule = "none"; // none | cosine | step
    double step_size = 10, gamma = 0.1;
    std::uint32_t epochs = 5, batch = 128;
    std::uint64_t seed = 1;
    int threads = 1;
    std::string device = "cpu";     // cpu | cuda
    std::string precision = "bf16"; // cuda GEMMs on spikes: bf16 (tensor cores) | fp32
    std::string source;             // the file, for messages
    std::string text;               // the file's text, stored in checkpoints
};

struct epoch_record {
    std::uint32_t epoch = 0;
    double train_loss = 0, train_accuracy = 0, validation_accuracy = -1, lr = 0, seconds = 0;
};

struct train_result {
    double test_accuracy = 0;
    std::uint32_t epochs = 0, test_samples = 0, steps = 0;
    double train_s = 0, samples_per_s = 0;
    double spikes_per_sample = 0;                // all spiking layers
    std::vector<double> layer_spikes_per_sample; // per layer (0 for non-spiking layers)
    std::vector<std::string> layer_names;
    std::vector<std::uint64_t> layer_outputs;
    double sops_per_sample = 0; // synaptic operations: spikes reaching a dense layer × its fan-out
    double macs_per_sample = 0; // multiply-accumulates where a dense layer reads analog input
    std::vector<double> anytime_accuracy; // test accuracy using steps 0..t
    std::vector<epoch_record> curve;
    bool stopped_on_nan = false;
    std::string message;
    std::string device; // the accelerator that trained, when one did
};

// Called after every batch: (epoch, batches done in it, batches per epoch, running loss and
// accuracy).
using train_progress =
    std::function<void(std::uint32_t, std::uint32_t, std::uint32_t, double, double)>;

namespace train {
struct device_plan;
class device_trainer;
} // namespace train

// Makes the trainer of an accelerator backend (nm::cuda::trainer_factory()); the CLI passes it
// in when a run asks for that device.
using device_factory =
    std::function<std::unique_ptr<train::device_trainer>(const train::device_plan&)>;

// Validates the spec, trains, writes checkpoint.nmck, curve.csv and metrics.json into `out`
// (each atomically; the checkpoint after every epoch), and evaluates on the test split.
// `resume`: a checkpoint to continue from (same spec). Throws nm::error on bad input.
// `device` trains on an accelerator when spec.device asks for one.
train_result train_network(const train_spec& spec, const std::string& out,
                           const std::string& resume = "", const train_progress& progress = {},
                           const device_factory& device = {});

// Evaluates a checkpoint on its test split (or another dataset): accuracy and anytime curve.
// `weight_bits` > 0 quantizes the dense weights first (nm::quantize, per layer).
train_result evaluate_checkpoint(const std::string& checkpoint, const std::string& dataset = "",
                                 int threads = 1, int weight_bits = 0);

train_spec parse_train_spec(const std::string& text, const std::string& source);
train_spec load_train_spec(const std::string& path);

} // namespace nm
