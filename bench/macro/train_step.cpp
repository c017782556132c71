// One training step (encode + forward + loss + BPTT backward + Adam) of the benchmark workload
// of bench/peers/train_torch.py: Fashion-MNIST rate-coded (p = pixel per step), 784-H-10 LIF,
// T steps, zero reset, arctan surrogate, cross-entropy on spike counts. Prints JSON: median ms
// per step and the bytes saved for the backward pass.
//
//   build/release/bin/nm_bench_train_step --hidden 1024 --steps 25 --batch 128 --threads 1
#include "train/data.hpp"
#include "train/loss.hpp"
#include "train/model.hpp"
#include "train/optimizer.hpp"
#include "train/parallel.hpp"

#include <nm/errors.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    std::uint64_t hidden = 1024;
    int steps = 25, batch = 128, threads = 1, iters = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        const int v = std::stoi(argv[i + 1]);
        if (a == "--hidden")
            hidden = static_cast<std::uint64_t>(v);
        else if (a == "--steps")
            steps = v;
        else if (a == "--batch")
            batch = v;
        else if (a == "--threads")
            threads = v;
        else if (a == "--iters")
            iters = v;
    }
    try {
        nm::train::set_threads(threads);
        nm::train_spec spec;
        spec.data.dataset = "fashion_mnist";
        spec.scheme = "rate";
        spec.code = {{"steps", static_cast<double>(steps), ""}, {"max_rate", 1000.0, ""}};
        nm::layer_spec fc1, lif1, fc2, lif2;
        fc1.kind = fc2.kind = "dense";
        lif1.kind = lif2.kind = "lif";
        fc1.size = hidden;
        fc2.size = 10;
        for (auto* l : {&lif1, &lif2}) {
            l->beta = 0.9;
            l->reset = "zero";
            l->surrogate = "arctan";
        }
        spec.layers = {fc1, lif1, fc2, lif2};
        const nm::train::data_split data = nm::train::load_split(spec.data, 1);
        const nm::train::input_code code = nm::train::make_input_code(spec, data.train.features);
        nm::train::model<float> net(spec.layers, code.channels, 10, 1);
        if (auto* first = dynamic_cast<nm::train::dense<float>*>(net.layers().front().get()))
            first->spiking_input = true;
        nm::train::optimizer<float> adam({});
        auto params = net.parameters();
        nm::train::loss_options loss;
        std::vector<float> x, dy, logits;
        std::vector<double> ms;
        for (int it = 0; it < iters + 3; ++it) {
            std::vector<std::uint32_t> rows(batch);
            for (int b = 0; b < batch; ++b)
                rows[b] = static_cast<std::uint32_t>((it * batch + b) % data.train.samples);
            std::vector<std::int32_t> labels(batch);
            for (int b = 0; b < batch; ++b) labels[b] = data.train.labels[rows[b]];
            const auto t0 = std::chrono::steady_clock::now();
            nm::train::encode_batch(code, data.train, rows, 0, x);
            const float* y = net.forward(x.data(), steps, batch);
            nm::train::compute_loss(loss, y, steps, batch, 10, labels.data(), dy, logits);
            net.zero_grad();
            net.backward(dy.data(), steps, batch);
            adam.step(params, 1e-3);
            if (it >= 3)
                ms.push_back(
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                        .count());
        }
        std::sort(ms.begin(), ms.end());
        std::printf("{\"median_ms\": %.3f, \"saved_bytes\": %zu, \"hidden\": %llu, \"steps\": %d, "
                    "\"batch\": %d, "
                    "\"threads\": %d}\n",
                    ms[ms.size() / 2], net.saved_bytes(), static_cast<unsigned long long>(hidden),
                    steps, batch, threads);
    } catch (const nm::error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 2;
    }
    return 0;
}
