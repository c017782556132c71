// `neuromorph train FILE.toml` and `neuromorph eval CHECKPOINT`: surrogate-gradient training
// with a progress line per epoch, then the summary (test accuracy, spikes and synaptic
// operations per sample, accuracy against time step).
#include "commands.hpp"

#include "accelerator.hpp"

#include <nm/errors.hpp>
#include <nm/train.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <unistd.h>

namespace nm::cli {

namespace {

struct train_options {
    std::string file, out, resume, device, precision;
    int threads = 0;
    std::uint32_t epochs = 0;
};

void print_anytime(const std::vector<double>& anytime) {
    if (anytime.empty()) return;
    std::printf("  accuracy by step (anytime):");
    const std::size_t n = anytime.size(), shown = std::min<std::size_t>(n, 10);
    for (std::size_t k = 1; k <= shown; ++k) {
        const std::size_t t = k * n / shown - 1;
        std::printf(" t%zu %.1f%%", t + 1, 100 * anytime[t]);
    }
    std::printf("\n");
}

void print_result(const train_result& r) {
    std::printf("  test accuracy      %.2f%% (%u samples)\n", 100 * r.test_accuracy,
                r.test_samples);
    std::printf("  spikes / sample    %.1f", r.spikes_per_sample);
    for (std::size_t i = 0; i < r.layer_names.size(); ++i)
        if (r.layer_spikes_per_sample[i] > 0)
            std::printf("  [layer %zu %s: %.1f]", i + 1, r.layer_names[i].c_str(),
                        r.layer_spikes_per_sample[i]);
    std::printf("\n  synaptic ops       %.3g SOPs + %.3g MACs per sample\n", r.sops_per_sample,
                r.macs_per_sample);
    print_energy_line(r.sops_per_sample, "sample");
    print_anytime(r.anytime_accuracy);
}

int train(const train_options& o) {
    train_spec spec = load_train_spec(o.file);
    if (o.threads > 0) spec.threads = o.threads;
    if (o.epochs > 0) spec.epochs = o.epochs;
    if (!o.device.empty()) spec.device = o.device;
    if (!o.precision.empty()) spec.precision = o.precision;
    device_factory device;
    std::string on = std::to_string(spec.threads) + " thread" + (spec.threads == 1 ? "" : "s");
    if (spec.device != "cpu") {
        const accelerator a = open_accelerator(spec.device);
        on = a.name + ", " + spec.precision;
        device = a.trainer;
    }
    const std::string out =
        o.out.empty() ? "runs/" + std::filesystem::path(o.file).stem().string() : o.out;
    std::printf("neuromorph train %s (%u epochs, batch %u, %s)\n", o.file.c_str(), spec.epochs,
                spec.batch, on.c_str());
    const bool tty = ::isatty(1) != 0;
    auto t0 = std::chrono::steady_clock::now();
    std::uint32_t current = ~0u;
    auto last_draw = t0;
    const train_result r = train_network(
        spec, out, o.resume,
        [&](std::uint32_t epoch, std::uint32_t done, std::uint32_t total, double loss, double acc) {
            const auto now = std::chrono::steady_clock::now();
            if (epoch != current) {
                current = epoch;
                t0 = now;
            }
            const bool last = done == total;
            if (!last && (!tty || now - last_draw < std::chrono::milliseconds(100))) return;
            last_draw = now;
            const double s = std::chrono::duration<double>(now - t0).count();
            const double f = static_cast<double>(done) / total;
            char bar[26];
            for (int i = 0; i < 25; ++i) bar[i] = i < static_cast<int>(f * 25) ? '#' : '.';
            bar[25] = 0;
            std::printf(
                "%s  epoch %u/%u [%s] loss %.4f  train acc %.2f%%  %.0f batches/s  %s %.1f s%s",
                tty ? "\r" : "", epoch + 1, spec.epochs, bar, loss, 100 * acc,
                s > 0 ? done / s : 0.0, last ? "took" : "ETA",
                last ? s : s * (1 - f) / std::max(f, 1e-9), last ? "\n" : "");
            std::fflush(stdout);
        },
        device);
    if (r.stopped_on_nan) std::fprintf(stderr, "warning: %s\n", r.message.c_str());
    for (const auto& e : r.curve)
        if (e.validation_accuracy >= 0)
            std::printf("  epoch %u validation accuracy %.2f%%\n", e.epoch,
                        100 * e.validation_accuracy);
    std::printf("\n  trained %u epochs in %.1f s (%.0f samples/s)\n", r.epochs, r.train_s,
                r.samples_per_s);
    print_result(r);
    std::printf("\n  wrote %s/ (metrics.json, curve.csv, curves.svg, checkpoint.nmck)\n",
                out.c_str());
    return r.stopped_on_nan ? 1 : 0;
}

} // namespace

void add_train(CLI::App& app, command& run) {
    auto o = std::make_shared<train_options>();
    CLI::App* cmd = app.add_subcommand(
        "train", "Train a spiking network (surrogate-gradient BPTT) from a TOML file");
    cmd->add_option("file", o->file, "training file (TOML)")->required()->check(CLI::ExistingFile);
    cmd->add_option("-o,--out", o->out, "run folder (default: runs/<file stem>)");
    cmd->add_option("-t,--threads", o->threads, "threads (overrides [train] threads)")
        ->check(CLI::Range(1, 1024));
    cmd->add_option("-e,--epochs", o->epochs, "epochs (overrides [train] epochs)")
        ->check(CLI::Range(1, 100000));
    cmd->add_option("-r,--resume", o->resume, "continue from this checkpoint")
        ->check(CLI::ExistingFile);
    cmd->add_option("-d,--device", o->device, "cpu or cuda (overrides [train] device)")
        ->check(CLI::IsMember({"cpu", "cuda"}));
    cmd->add_option("--precision", o->precision,
                    "cuda: GEMM operands where spikes are one, bf16 or fp32 (default bf16)")
        ->check(CLI::IsMember({"bf16", "fp32"}));
    cmd->callback([o, &run] { run = [o] { return train(*o); }; });

    auto checkpoint = std::make_shared<std::string>();
    auto data = std::make_shared<std::string>();
    auto threads = std::make_shared<int>(1);
    CLI::App* eval =
        app.add_subcommand("eval", "Evaluate a checkpoint on its test split (or another dataset)");
    eval->add_option("checkpoint", *checkpoint, "checkpoint.nmck written by train")
        ->required()
        ->check(CLI::ExistingFile);
    eval->add_option("-d,--data", *data,
                     "dataset instead of the one trained on (same features and classes)");
    eval->add_option("-t,--threads", *threads, "threads")->check(CLI::Range(1, 1024));
    eval->callback([checkpoint, data, threads, &run] {
        run = [checkpoint, data, threads] {
            const train_result r = evaluate_checkpoint(*checkpoint, *data, *threads);
            std::printf("neuromorph eval %s (trained %u epochs)\n", checkpoint->c_str(), r.epochs);
            print_result(r);
            return 0;
        };
    });
}

} // namespace nm::cli
