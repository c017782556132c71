// Encoding a data matrix with one scheme: validation, parallel encoding, round trip and cost.
#include "coding/codec.hpp"
#include "core/bind.hpp"
#include "core/field_docs.hpp"
#include "core/parallel.hpp"
#include "nm/coding.hpp"
#include "nm/errors.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace nm {

namespace {

// RMSE and largest error of decoding the first `window` steps of every raster in `rows`.
std::pair<double, double> round_trip(coding::scheme s, const coding::code_params& p,
                                     const std::vector<spike_raster>& rasters,
                                     std::span<const double> x, std::uint32_t features,
                                     std::uint32_t window, std::uint32_t rows) {
    double sq = 0, worst = 0;
    for (std::uint32_t i = 0; i < rows; ++i) {
        const std::vector<double> back = coding::decode(s, p, rasters[i], features, window);
        for (std::uint32_t f = 0; f < features; ++f) {
            const double e = std::abs(back[f] - x[std::size_t{i} * features + f]);
            sq += e * e;
            worst = std::max(worst, e);
        }
    }
    return {std::sqrt(sq / (static_cast<double>(rows) * features)), worst};
}

} // namespace

encoded_data encode_values(const std::string& scheme, const std::vector<param>& params,
                           std::span<const double> values, std::uint32_t samples,
                           std::uint32_t features, std::uint64_t seed, int threads,
                           double target_error) {
    const coding::scheme_info* info = coding::find_scheme(scheme);
    if (!info) {
        std::vector<std::string> names;
        for (const auto& s : coding::schemes()) names.emplace_back(s.name);
        throw bad_config("unknown coding scheme \"" + scheme + "\"" + did_you_mean(scheme, names));
    }
    const std::string context = "scheme \"" + scheme + "\"";
    coding::code_params p = bind_fields(info->fields, params, std::vector<coding::code_params>{{}},
                                        1, rng_stream{}, context)
                                .front();
    if (samples == 0 || features == 0)
        throw bad_config(context + ": the input is empty (no samples or features)");
    if (values.size() != std::size_t{samples} * features)
        throw internal_error("encode_values: values do not match samples x features");
    for (std::size_t k = 0; k < values.size(); ++k)
        if (!(values[k] >= 0.0 && values[k] <= 1.0))
            throw bad_parameter(context + ": sample " + std::to_string(k / features) +
                                ", feature " + std::to_string(k % features) + " = " +
                                format_number(values[k]) +
                                " must be in [0, 1] (normalise the data first)");
    if (info->id == coding::scheme::delta) p.steps = features; // one step per series value
    coding::check(info->id, p, context);
    if (threads < 1)
        throw bad_parameter(context + ": threads = " + std::to_string(threads) + " must be >= 1");

    encoded_data out;
    out.rasters.resize(samples);
    const rng_stream rng(
        seed, stream_id(purpose::stimulus, 0x00C0DE00u + static_cast<std::uint32_t>(info->id)));
    const auto t0 = std::chrono::steady_clock::now();
    const auto workers = static_cast<unsigned>(threads);
    parallel_for(workers, workers, [&](unsigned t) {
        for (std::uint32_t i = t; i < samples; i += workers)
            out.rasters[i] = coding::encode(
                info->id, p, values.subspan(std::size_t{i} * features, features), rng, i);
    });
    code_report& r = out.report;
    r.encode_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.samples_per_s = r.encode_s > 0 ? samples / r.encode_s : 0.0;
    r.scheme = scheme;
    r.samples = samples;
    r.features = features;
    r.steps = static_cast<std::uint32_t>(p.steps);
    r.channels = coding::channels_for(info->id, p, features);
    r.dt_ms = p.dt;
    double spikes = 0;
    for (const auto& raster : out.rasters)
        for (auto c : raster.count) spikes += c;
    r.spikes_per_sample = spikes / samples;

    out.decoded.resize(samples);
    for (std::uint32_t i = 0; i < samples; ++i)
        out.decoded[i] = coding::decode(info->id, p, out.rasters[i], features, r.steps);
    std::tie(r.rmse, r.max_error) =
        round_trip(info->id, p, out.rasters, values, features, r.steps, samples);

    // The shortest window reaching the target RMSE, searched on up to 1000 samples.
    r.target_error = target_error;
    const std::uint32_t rows = std::min<std::uint32_t>(samples, 1000);
    for (std::uint32_t w = 1; w <= r.steps;
         w = w < 64 ? w + 1 : std::min(r.steps, w + w / 16 + 1)) {
        if (round_trip(info->id, p, out.rasters, values, features, w, rows).first <= target_error) {
            r.window_steps = w;
            break;
        }
        if (w == r.steps) break;
    }
    return out;
}

std::vector<model_doc> scheme_catalogue() {
    std::vector<model_doc> docs;
    for (const auto& s : coding::schemes())
        docs.push_back({std::string(s.name),
                        std::string(s.summary),
                        describe_fields(s.fields, coding::code_params{}),
                        {}});
    return docs;
}

} // namespace nm
