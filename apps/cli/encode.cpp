// `neuromorph encode`: data (CSV, an embedded set, or IDX) into spike trains with one scheme
// (or all), printing what each code costs: spikes per sample, round-trip error, the decoding
// window a target error needs, and throughput.
#include "commands.hpp"

#include <nm/coding.hpp>
#include <nm/data.hpp>
#include <nm/errors.hpp>

#include "io/atomic_file.hpp"

#include <cstdio>
#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

namespace nm::cli {

namespace {

struct encode_options {
    std::string scheme = "rate", in, label, dataset, idx, idx_labels, out;
    std::vector<std::string> params;
    std::uint64_t seed = 1;
    int threads = 1;
    double error = 0.05;
    std::uint32_t limit = 0;
};

std::vector<param> parse_params(const std::vector<std::string>& given) {
    std::vector<param> out;
    for (const auto& kv : given) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0)
            throw bad_config("--param \"" + kv + "\": expected NAME=VALUE, e.g. --param steps=50");
        const std::string name = kv.substr(0, eq), text = kv.substr(eq + 1);
        char* end = nullptr;
        const double x = std::strtod(text.c_str(), &end);
        out.push_back(
            {name, (!text.empty() && end == text.c_str() + text.size()) ? value(x) : value(text),
             "--param " + kv});
    }
    return out;
}

dataset load(const encode_options& o) {
    const int sources = !o.in.empty() + !o.dataset.empty() + !o.idx.empty();
    if (sources != 1)
        throw bad_config("give exactly one of --in FILE.csv, --dataset NAME, --idx FILE");
    dataset d = !o.in.empty()        ? read_csv(o.in, o.label)
                : !o.dataset.empty() ? load_embedded(o.dataset)
                                     : read_idx(o.idx, o.idx_labels);
    if (o.limit > 0 && o.limit < d.samples) {
        d.samples = o.limit;
        d.x.resize(std::size_t{d.samples} * d.features);
        if (!d.labels.empty()) d.labels.resize(d.samples);
    }
    normalize(d);
    return d;
}

nlohmann::json report_json(const code_report& r) {
    return {{"scheme", r.scheme},
            {"samples", r.samples},
            {"features", r.features},
            {"channels", r.channels},
            {"steps", r.steps},
            {"dt_ms", r.dt_ms},
            {"spikes_per_sample", r.spikes_per_sample},
            {"rmse", r.rmse},
            {"max_error", r.max_error},
            {"target_error", r.target_error},
            {"window_steps", r.window_steps},
            {"encode_s", r.encode_s},
            {"samples_per_s", r.samples_per_s}};
}

void write_spikes(const std::filesystem::path& path, const encoded_data& e) {
    write_atomically(path, [&](std::ofstream& out) {
        out << "sample,channel,step,count\n";
        for (std::size_t i = 0; i < e.rasters.size(); ++i) {
            const spike_raster& r = e.rasters[i];
            for (std::uint32_t t = 0; t < r.steps && r.events() > 0; ++t)
                for (std::uint64_t e = r.offsets[t]; e < r.offsets[t + 1]; ++e)
                    out << i << ',' << r.channel[e] << ',' << t << ',' << r.count[e] << '\n';
        }
    });
}

std::string window_text(const code_report& r) {
    if (r.window_steps == 0) return "not reached in " + std::to_string(r.steps) + " steps";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%u step%s (%g ms)", r.window_steps,
                  r.window_steps == 1 ? "" : "s", r.window_steps * r.dt_ms);
    return buf;
}

int encode(const encode_options& o) {
    const dataset d = load(o);
    const std::vector<param> params = parse_params(o.params);
    std::vector<std::string> names;
    if (o.scheme == "all") {
        for (const auto& m : scheme_catalogue()) names.push_back(m.name);
        if (!params.empty())
            throw bad_config("--param applies to one scheme; drop it with --scheme all");
    } else {
        names.push_back(o.scheme);
    }
    std::printf(
        "neuromorph encode: %s, %u samples x %u features (normalised to [0, 1] per feature)\n",
        d.name.c_str(), d.samples, d.features);
    const std::filesystem::path out = o.out.empty() ? "runs/encode" : o.out;
    nlohmann::json all = nlohmann::json::array();
    std::vector<encoded_data> results;
    for (const auto& name : names) {
        results.push_back(
            encode_values(name, params, d.x, d.samples, d.features, o.seed, o.threads, o.error));
        all.push_back(report_json(results.back().report));
    }
    std::filesystem::create_directories(out);
    if (names.size() == 1) {
        const code_report& r = results[0].report;
        std::printf("  scheme            %s\n  channels          %u, window %u steps x %g ms\n",
                    r.scheme.c_str(), r.channels, r.steps, r.dt_ms);
        std::printf(
            "  spikes / sample   %.2f\n  round-trip error  RMSE %.4f, max %.4f (data range = 1)\n",
            r.spikes_per_sample, r.rmse, r.max_error);
        std::printf("  decoding window   %s for RMSE <= %g\n", window_text(r).c_str(),
                    r.target_error);
        std::printf("  throughput        %.0f samples/s (%d thread%s)\n", r.samples_per_s,
                    o.threads, o.threads == 1 ? "" : "s");
        write_spikes(out / "spikes.csv", results[0]);
    } else {
        std::printf("\n  %-11s %9s %7s %14s %9s %9s %22s %14s\n", "scheme", "channels", "steps",
                    "spikes/sample", "RMSE", "max err", "window for target", "samples/s");
        for (const auto& e : results) {
            const code_report& r = e.report;
            std::printf("  %-11s %9u %7u %14.2f %9.4f %9.4f %22s %14.0f\n", r.scheme.c_str(),
                        r.channels, r.steps, r.spikes_per_sample, r.rmse, r.max_error,
                        window_text(r).c_str(), r.samples_per_s);
        }
    }
    write_atomically(out / "code.json", [&](std::ofstream& f) { f << all.dump(2) << "\n"; });
    std::printf("\n  wrote %s/ (%scode.json)\n", out.string().c_str(),
                names.size() == 1 ? "spikes.csv, " : "");
    return 0;
}

} // namespace

void add_encode(CLI::App& app, command& run) {
    auto o = std::make_shared<encode_options>();
    CLI::App* cmd = app.add_subcommand(
        "encode", "Encode data into spike trains and report what the code costs");
    cmd->add_option("-c,--scheme", o->scheme,
                    "rate|latency|isi|phase|burst|sparse|delta|population|direct|all");
    cmd->add_option("-i,--in", o->in, "numeric CSV file (one sample per row)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--label", o->label,
                    "label column of the CSV (a name, or 'last'), excluded from features");
    cmd->add_option("--dataset", o->dataset, "embedded dataset: iris, wdbc, digits");
    cmd->add_option("--idx", o->idx, "IDX image file (gzipped or not), e.g. Fashion-MNIST")
        ->check(CLI::ExistingFile);
    cmd->add_option("--idx-labels", o->idx_labels, "IDX label file")->check(CLI::ExistingFile);
    cmd->add_option("-p,--param", o->params,
                    "scheme parameter NAME=VALUE (repeatable), e.g. steps=50");
    cmd->add_option("-o,--out", o->out, "output folder (default runs/encode)");
    cmd->add_option("-s,--seed", o->seed, "random seed");
    cmd->add_option("-t,--threads", o->threads, "threads")->check(CLI::Range(1, 1024));
    cmd->add_option("-e,--error", o->error, "target RMSE for the decoding-window search")
        ->check(CLI::PositiveNumber);
    cmd->add_option("-n,--limit", o->limit, "use only the first N samples");
    cmd->callback([o, &run] { run = [o] { return encode(*o); }; });
}

} // namespace nm::cli
