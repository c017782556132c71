// Spike coding: values in [0, 1] into spike rasters and back, with what a code costs
// (spikes per sample, round-trip error, the decoding window a target error needs).
#pragma once

#include <nm/experiment.hpp>
#include <nm/simulation.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace nm {

// A sample's spikes as events grouped by step (compressed rows): the events of step t are
// [offsets[t], offsets[t + 1]), ordered by channel; count > 1 is a graded spike. The `direct`
// scheme stores currents in `values` (steps × channels) instead and has no events.
struct spike_raster {
    std::uint32_t steps = 0, channels = 0;
    std::vector<std::uint64_t> offsets; // steps + 1
    std::vector<std::uint32_t> channel;
    std::vector<std::uint16_t> count;
    std::vector<float> values;

    std::uint64_t events() const { return channel.size(); }
    // Spikes of `channel` at `step` (0 when none).
    std::uint16_t at(std::uint32_t step, std::uint32_t c) const;
};

struct code_report {
    std::string scheme;
    std::uint32_t samples = 0, features = 0, channels = 0, steps = 0;
    double dt_ms = 0.0;
    double spikes_per_sample = 0.0;
    double rmse = 0.0, max_error = 0.0; // round trip over the whole window, value units
    double target_error = 0.0;          // RMSE the window search aimed for
    std::uint32_t window_steps = 0;     // shortest window reaching it (0 if none does)
    double encode_s = 0.0, samples_per_s = 0.0;
};

struct encoded_data {
    std::vector<spike_raster> rasters; // one per sample
    std::vector<std::vector<double>> decoded;
    code_report report;
};

// Encodes `samples` rows of `features` values in [0, 1] (row-major) with the named scheme and
// parameters, decodes them back and measures the cost. Deterministic in `seed` for any
// `threads`. Throws nm::error on an unknown scheme, bad parameters, or values outside [0, 1].
encoded_data encode_values(const std::string& scheme, const std::vector<param>& params,
                           std::span<const double> values, std::uint32_t samples,
                           std::uint32_t features, std::uint64_t seed = 1, int threads = 1,
                           double target_error = 0.05);

std::vector<model_doc> scheme_catalogue();

} // namespace nm
