// The decoders: the inverse of each encoder over a window, and the readouts of SPEC §2
// (count/rate, first spike, interval, phase, population vector, membrane maximum and mean).
#include "coding/codec.hpp"

#include <algorithm>
#include <cmath>

namespace nm::coding {

namespace {

std::vector<double> rate(const code_params& p, const spike_raster& r, std::uint32_t window) {
    std::vector<double> x(r.channels, 0.0);
    const double seconds = window * p.dt * 1e-3;
    const double ref_s = p.t_ref * 1e-3;
    for (std::uint32_t c = 0; c < r.channels; ++c) {
        double count = 0;
        for (std::uint32_t t = 0; t < window; ++t) count += r.at(t, c);
        double observed = count / seconds;
        // Undo the dead time: observed = ν / (1 + ν·t_ref).
        if (ref_s > 0) observed = observed * ref_s < 1 ? observed / (1 - observed * ref_s) : p.max_rate;
        x[c] = std::min(1.0, observed / p.max_rate);
    }
    return x;
}

// First spike of each channel within the window, or -1.
std::vector<double> first_spikes(const spike_raster& r, std::uint32_t window) {
    std::vector<double> first(r.channels, -1.0);
    for (std::uint32_t t = 0; t < window; ++t)
        for (std::uint32_t c = 0; c < r.channels; ++c)
            if (first[c] < 0 && r.at(t, c)) first[c] = t;
    return first;
}

std::vector<double> latency(const code_params& p, const spike_raster& r, std::uint32_t window) {
    std::vector<double> x = first_spikes(r, window);
    for (double& t : x) {
        if (t < 0) t = 0.0;
        else if (p.mode == latency_linear) t = p.steps > 1 ? 1.0 - t / (p.steps - 1) : 1.0;
        else t = std::exp(-t * p.dt / p.tau);
    }
    return x;
}

std::vector<double> isi(const code_params& p, const spike_raster& r, std::uint32_t window) {
    std::vector<double> x(r.channels, 0.0);
    for (std::uint32_t c = 0; c < r.channels; ++c) {
        double first = -1, last = -1, spikes = 0;
        for (std::uint32_t t = 0; t < window; ++t)
            if (r.at(t, c)) {
                if (first < 0) first = t;
                last = t;
                spikes += 1;
            }
        if (spikes < 2) continue; // one interval at least
        const double interval = (last - first) / (spikes - 1) * p.dt;
        x[c] = std::clamp((p.isi_max - interval) / (p.isi_max - p.isi_min), 0.0, 1.0);
    }
    return x;
}

std::vector<double> phase(const code_params& p, const spike_raster& r, std::uint32_t window) {
    const double cycle = p.period / p.dt;
    std::vector<double> x(r.channels, 0.0);
    for (std::uint32_t c = 0; c < r.channels; ++c) {
        double sum = 0, n = 0;
        for (std::uint32_t t = 0; t < window; ++t)
            if (r.at(t, c)) {
                sum += std::fmod(static_cast<double>(t), cycle);
                n += 1;
            }
        if (n > 0) x[c] = std::clamp(1.0 - sum / n / (cycle - 1), 0.0, 1.0);
    }
    return x;
}

std::vector<double> burst(const code_params& p, const spike_raster& r, std::uint32_t window) {
    std::vector<double> x(r.channels, 0.0);
    for (std::uint32_t t = 0; t < window; ++t)
        for (std::uint32_t c = 0; c < r.channels; ++c) x[c] += r.at(t, c);
    for (double& v : x) v = std::min(1.0, v / p.n_max);
    return x;
}

// Reconstruction of the delta-modulated series: 0 + delta·(ON − OFF) so far, per step.
std::vector<double> delta(const code_params& p, const spike_raster& r, std::uint32_t features,
                          std::uint32_t window) {
    std::vector<double> x(features, 0.0);
    double level = 0.0;
    for (std::uint32_t t = 0; t < features; ++t) {
        if (t < window) level += p.delta * (static_cast<double>(r.at(t, 0)) - r.at(t, 1));
        x[t] = level;
    }
    return x;
}

// Population vector: centres weighted by the responses read back from spike latencies.
std::vector<double> population(const code_params& p, const spike_raster& r, std::uint32_t features,
                               std::uint32_t window) {
    const auto m = static_cast<std::uint32_t>(p.fields);
    const std::vector<double> first = first_spikes(r, window);
    std::vector<double> x(features, 0.0);
    for (std::uint32_t f = 0; f < features; ++f) {
        double num = 0, den = 0;
        for (std::uint32_t i = 1; i <= m; ++i) {
            const double t = first[f * m + i - 1];
            if (t < 0) continue;
            const double response = 1.0 - t / (p.steps - 1);
            num += response * (2.0 * i - 3.0) / (2.0 * (m - 2));
            den += response;
        }
        x[f] = den > 0 ? std::clamp(num / den, 0.0, 1.0) : 0.0;
    }
    return x;
}

} // namespace

std::vector<double> decode(scheme s, const code_params& p, const spike_raster& r,
                           std::uint32_t features, std::uint32_t window) {
    window = std::min(window, r.steps);
    switch (s) {
    case scheme::rate: return rate(p, r, window);
    case scheme::latency:
    case scheme::sparse: return latency(p, r, window);
    case scheme::isi: return isi(p, r, window);
    case scheme::phase: return phase(p, r, window);
    case scheme::burst: return burst(p, r, window);
    case scheme::delta: return delta(p, r, features, window);
    case scheme::population: return population(p, r, features, window);
    case scheme::direct: {
        std::vector<double> x(r.channels, 0.0);
        for (std::uint32_t t = 0; t < window; ++t)
            for (std::uint32_t c = 0; c < r.channels; ++c) x[c] += r.values[std::size_t{t} * r.channels + c];
        for (double& v : x) v /= std::max<std::uint32_t>(window, 1);
        return x;
    }
    }
    return {};
}

membrane_readout li_readout(const spike_raster& r, double tau_ms, double dt_ms) {
    const double lambda = std::exp(-dt_ms / tau_ms);
    membrane_readout out{std::vector<double>(r.channels, 0.0), std::vector<double>(r.channels, 0.0)};
    std::vector<double> v(r.channels, 0.0);
    for (std::uint32_t t = 0; t < r.steps; ++t)
        for (std::uint32_t c = 0; c < r.channels; ++c) {
            v[c] = lambda * v[c] + r.at(t, c);
            out.max[c] = std::max(out.max[c], v[c]);
            out.mean[c] += v[c] / r.steps;
        }
    return out;
}

int first_to_spike(const spike_raster& r) {
    for (std::uint32_t t = 0; t < r.steps; ++t) {
        int best = -1;
        for (std::uint32_t c = 0; c < r.channels; ++c)
            if (r.at(t, c) && (best < 0 || r.at(t, c) > r.at(t, static_cast<std::uint32_t>(best))))
                best = static_cast<int>(c);
        if (best >= 0) return best;
    }
    return -1;
}

int most_spikes(const spike_raster& r) {
    std::vector<std::uint64_t> counts(r.channels, 0);
    for (std::uint32_t t = 0; t < r.steps; ++t)
        for (std::uint32_t c = 0; c < r.channels; ++c) counts[c] += r.at(t, c);
    const auto best = std::max_element(counts.begin(), counts.end());
    return best == counts.end() || *best == 0 ? -1 : static_cast<int>(best - counts.begin());
}

} // namespace nm::coding
