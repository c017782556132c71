// Encoding throughput for Fashion-MNIST-sized input (784 features, T = 25 steps) for every spike
// code, on 1 and 2 threads, printed as samples/s with two ratios measured in the same run:
// 2 threads over 1, and each scheme over `direct` (copying the values: the floor of any code).
//
//   build/release/bin/nm_bench_encode [--samples N] [--steps T]
// Uses Debian's Fashion-MNIST test set (installed by scripts/install-deps.sh).
#include <nm/coding.hpp>
#include <nm/data.hpp>
#include <nm/errors.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    std::uint32_t samples = 10000;
    double steps = 25;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--samples")
            samples = static_cast<std::uint32_t>(std::stoul(argv[i + 1]));
        else if (a == "--steps")
            steps = std::stod(argv[i + 1]);
    }
    const std::string dir = "/usr/share/datasets/fashion-mnist/";
    try {
        nm::dataset d =
            nm::read_idx(dir + "t10k-images-idx3-ubyte.gz", dir + "t10k-labels-idx1-ubyte.gz");
        samples = std::min(samples, d.samples);
        d.samples = samples;
        d.x.resize(std::size_t{samples} * d.features);
        nm::normalize(d);
        std::printf("Fashion-MNIST test images: %u samples x %u features, T = %g steps of 1 ms\n\n",
                    samples, d.features, steps);
        std::printf("%-11s %14s %14s %10s %12s %14s %10s\n", "scheme", "1 thread /s",
                    "2 threads /s", "2t / 1t", "vs direct", "spikes/sample", "RMSE");
        // `direct` runs first: it is the baseline of the ratio column.
        std::vector<std::string> names{"direct"};
        for (const auto& scheme : nm::scheme_catalogue())
            if (scheme.name != "direct") names.push_back(scheme.name);
        double direct = 0;
        for (const auto& name : names) {
            std::vector<nm::param> p;
            if (name != "delta") p.push_back({"steps", steps, ""});
            double rate[2] = {0, 0};
            nm::code_report report;
            for (int threads : {1, 2}) {
                const nm::encoded_data e =
                    nm::encode_values(name, p, d.x, samples, d.features, 1, threads);
                rate[threads - 1] = e.report.samples_per_s;
                report = e.report;
            }
            if (name == "direct") direct = rate[0];
            std::printf("%-11s %14.0f %14.0f %10.2f %12.2f %14.1f %10.4f\n", name.c_str(), rate[0],
                        rate[1], rate[1] / rate[0], rate[0] / direct, report.spikes_per_sample,
                        report.rmse);
        }
        std::puts("\n(delta treats each image as a 784-step series; direct writes T x 784 currents "
                  "per sample)");
    } catch (const nm::error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 2;
    }
    return 0;
}
