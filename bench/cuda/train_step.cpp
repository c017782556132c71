// One training step on the CUDA device (rate-code, forward, BPTT, Adam; the loss and logits
// back on the host) of the workloads bench/peers/train_torch_gpu.py runs in PyTorch: input
// rates uniform in [0, 1] per step, LIF layers with beta 0.9, threshold 1, zero reset, arctan
// surrogate, cross-entropy on output spike counts. Prints JSON: median ms per step, bytes kept
// for backward, device bytes.
//
//   build/release/bin/nm_bench_train_step_cuda --hidden 1024 --steps 25 --batch 128
//   build/release/bin/nm_bench_train_step_cuda --hidden 4096 --layers 2 --steps 100 --batch 64
#include "../macro/bench_args.hpp"
#include "backends/cuda/cuda.hpp"
#include "core/philox.hpp"
#include "train/data.hpp"
#include "train/device_plan.hpp"
#include "train/model.hpp"

#include <nm/errors.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>

int main(int argc, char** argv) {
    std::uint64_t hidden = 1024, layers = 1;
    int steps = 25, iters = 50;
    std::uint32_t batch = 128;
    bool bf16 = true;
    read_flags(argc, argv,
               "usage: nm_bench_train_step_cuda [--hidden N] [--layers L] [--steps T] [--batch B] "
               "[--iters I] [--precision bf16|fp32]",
               [&](const std::string& f, const std::string& v) {
                   if (f == "--hidden")
                       hidden = std::stoull(v);
                   else if (f == "--layers")
                       layers = std::stoull(v);
                   else if (f == "--steps")
                       steps = std::stoi(v);
                   else if (f == "--batch")
                       batch = static_cast<std::uint32_t>(std::stoul(v));
                   else if (f == "--iters")
                       iters = std::stoi(v);
                   else if (f == "--precision")
                       bf16 = v == "bf16";
                   else
                       return false;
                   return true;
               });
    try {
        const std::string device = nm::cuda::require_device();
        nm::train_spec spec;
        spec.scheme = "rate";
        spec.code = {{"steps", static_cast<double>(steps), ""}, {"max_rate", 1000.0, ""}};
        spec.batch = batch;
        for (std::uint64_t l = 0; l <= layers; ++l) {
            nm::layer_spec fc, lif;
            fc.kind = "dense";
            fc.size = l < layers ? hidden : 10;
            lif.kind = "lif";
            lif.beta = 0.9;
            lif.reset = "zero";
            lif.surrogate = "arctan";
            spec.layers.push_back(fc);
            spec.layers.push_back(lif);
        }
        // 4096 samples of uniform rates: the timing depends on spike density, not on the images.
        nm::dataset data;
        data.samples = 4096;
        data.features = 784;
        const nm::rng_stream rng(7, 1);
        for (std::uint32_t i = 0; i < data.samples * data.features; ++i)
            data.x.push_back(rng.uniform(i, 0));
        for (std::uint32_t i = 0; i < data.samples; ++i) data.labels.push_back(i % 10);
        const nm::train::input_code code = nm::train::make_input_code(spec, data.features);
        nm::train::model<float> net(spec.layers, code.channels, 10, 1);
        nm::train::optimizer_options adam;
        nm::train::optimizer<float> opt(adam);
        auto params = net.parameters();
        nm::train::device_plan plan = nm::train::make_device_plan(spec, code, {}, adam, data);
        plan.bf16 = bf16;
        auto trainer = nm::cuda::trainer_factory()(plan);
        trainer->upload(nm::train::device_tensors(params, opt), 0);
        std::vector<float> logits(std::size_t{batch} * 10);
        std::vector<double> ms;
        std::vector<std::uint32_t> rows(batch);
        for (int it = 0; it < iters + 5; ++it) {
            for (std::uint32_t b = 0; b < batch; ++b) rows[b] = (it * batch + b) % data.samples;
            const auto t0 = std::chrono::steady_clock::now();
            trainer->step(rows.data(), batch, 0, 0, 1e-3, logits.data());
            if (it >= 5) // the first steps capture the graph and warm cuBLAS up
                ms.push_back(
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                        .count());
        }
        std::sort(ms.begin(), ms.end());
        std::printf("{\"median_ms\": %.4f, \"min_ms\": %.4f, \"saved_bytes\": %zu, "
                    "\"device_bytes\": %zu, \"precision\": \"%s\", \"device\": \"%s\"}\n",
                    ms[ms.size() / 2], ms.front(), trainer->saved_bytes(), trainer->device_bytes(),
                    bf16 ? "bf16" : "fp32", device.c_str());
    } catch (const nm::error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 2;
    }
    return 0;
}
