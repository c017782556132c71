// The decoders: the inverse of each encoder over a window, and the readouts of SPEC §2
// (count/rate, first spike, interval, phase, population vector, membrane maximum and mean).
// Each walks the raster's events step by step up to the window.
#include "coding/codec.hpp"

#include <algorithm>
#include <cmath>

namespace nm::coding {

namespace {

// Calls fn(step, channel, count) for every event before `window`, in step order.
template<class Fn>
void for_events(const spike_raster& r, std::uint32_t window, Fn&& fn) {
    for (std::uint32_t t = 0; t < std::min(window, r.steps); ++t)
        for (std::uint64_t e = r.offsets[t]; e < r.offsets[t + 1]; ++e)
            fn(t, r.channel[e], r.count[e]);
}

std::vector<double> counts(const spike_raster& r, std::uint32_t window) {
    std::vector<double> n(r.channels, 0.0);
    for_events(r, window, [&](std::uint32_t, std::uint32_t c, std::uint16_t k) { n[c] += k; });
    return n;
}

// First spike step of each channel within the window, or -1.
std::vector<double> first_spikes(const spike_raster& r, std::uint32_t window) {
    std::vector<double> first(r.channels, -1.0);
    for_events(r, window, [&](std::uint32_t t, std::uint32_t c, std::uint16_t) {
        if (first[c] < 0) first[c] = t;
    });
    return first;
}

std::vector<double> rate(const code_params& p, const spike_raster& r, std::uint32_t window) {
    std::vector<double> x = counts(r, window);
    const double seconds = window * p.dt * 1e-3, ref_s = p.t_ref * 1e-3;
    for (double& v : x) {
        double observed = v / seconds;
        // Undo the dead time: observed = ν / (1 + ν·t_ref).
        if (ref_s > 0)
            observed = observed * ref_s < 1 ? observed / (1 - observed * ref_s) : p.max_rate;
        v = std::min(1.0, observed / p.max_rate);
    }
    return x;
}

std::vector<double> latency(const code_params& p, const spike_raster& r, std::uint32_t window) {
    std::vector<double> x = first_spikes(r, window);
    for (double& t : x) {
        if (t < 0)
            t = 0.0;
        else if (p.mode == latency_linear)
            t = p.steps > 1 ? 1.0 - t / (p.steps - 1) : 1.0;
        else
            t = std::exp(-t * p.dt / p.tau);
    }
    return x;
}

std::vector<double> isi(const code_params& p, const spike_raster& r, std::uint32_t window) {
    std::vector<double> first(r.channels, -1), last(r.channels, -1), spikes(r.channels, 0),
        x(r.channels, 0.0);
    for_events(r, window, [&](std::uint32_t t, std::uint32_t c, std::uint16_t) {
        if (first[c] < 0) first[c] = t;
        last[c] = t;
        spikes[c] += 1;
    });
    for (std::uint32_t c = 0; c < r.channels; ++c) {
        if (spikes[c] < 2) continue; // one interval at least
        const double interval = (last[c] - first[c]) / (spikes[c] - 1) * p.dt;
        x[c] = std::clamp((p.isi_max - interval) / (p.isi_max - p.isi_min), 0.0, 1.0);
    }
    return x;
}

std::vector<double> phase(const code_params& p, const spike_raster& r, std::uint32_t window) {
    const double cycle = p.period / p.dt;
    std::vector<double> sum(r.channels, 0.0), n(r.channels, 0.0), x(r.channels, 0.0);
    for_events(r, window, [&](std::uint32_t t, std::uint32_t c, std::uint16_t) {
        sum[c] += std::fmod(static_cast<double>(t), cycle);
        n[c] += 1;
    });
    for (std::uint32_t c = 0; c < r.channels; ++c)
        if (n[c] > 0) x[c] = std::clamp(1.0 - sum[c] / n[c] / (cycle - 1), 0.0, 1.0);
    return x;
}

std::vector<double> burst(const code_params& p, const spike_raster& r, std::uint32_t window) {
    std::vector<double> x = counts(r, window);
    for (double& v : x) v = std::min(1.0, v / p.n_max);
    return x;
}

// Reconstruction of the delta-modulated series: 0 + delta·(ON − OFF) so far, per step.
std::vector<double> delta(const code_params& p, const spike_raster& r, std::uint32_t features,
                          std::uint32_t window) {
    std::vector<double> change(features, 0.0), x(features, 0.0);
    for_events(r, window, [&](std::uint32_t t, std::uint32_t c, std::uint16_t k) {
        if (t < features) change[t] += (c == 0 ? p.delta : -p.delta) * k;
    });
    double level = 0.0;
    for (std::uint32_t t = 0; t < features; ++t) x[t] = level += change[t];
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
    case scheme::rate:
        return rate(p, r, window);
    case scheme::latency:
    case scheme::sparse:
        return latency(p, r, window);
    case scheme::isi:
        return isi(p, r, window);
    case scheme::phase:
        return phase(p, r, window);
    case scheme::burst:
        return burst(p, r, window);
    case scheme::delta:
        return delta(p, r, features, window);
    case scheme::population:
        return population(p, r, features, window);
    case scheme::direct: {
        std::vector<double> x(r.channels, 0.0);
        for (std::uint32_t t = 0; t < window; ++t)
            for (std::uint32_t c = 0; c < r.channels; ++c)
                x[c] += r.values[std::size_t{t} * r.channels + c];
        for (double& v : x) v /= std::max<std::uint32_t>(window, 1);
        return x;
    }
    }
    return {};
}

membrane_readout li_readout(const spike_raster& r, double tau_ms, double dt_ms) {
    const double lambda = std::exp(-dt_ms / tau_ms);
    membrane_readout out{std::vector<double>(r.channels, 0.0),
                         std::vector<double>(r.channels, 0.0)};
    std::vector<double> v(r.channels, 0.0);
    for (std::uint32_t t = 0; t < r.steps; ++t) {
        for (double& x : v) x *= lambda;
        for (std::uint64_t e = r.offsets[t]; e < r.offsets[t + 1]; ++e)
            v[r.channel[e]] += r.count[e];
        for (std::uint32_t c = 0; c < r.channels; ++c) {
            out.max[c] = std::max(out.max[c], v[c]);
            out.mean[c] += v[c] / r.steps;
        }
    }
    return out;
}

int first_to_spike(const spike_raster& r) {
    for (std::uint32_t t = 0; t < r.steps; ++t) {
        int best = -1;
        std::uint16_t size = 0;
        for (std::uint64_t e = r.offsets[t]; e < r.offsets[t + 1]; ++e)
            if (r.count[e] > size) {
                size = r.count[e];
                best = static_cast<int>(r.channel[e]);
            }
        if (best >= 0) return best;
    }
    return -1;
}

int most_spikes(const spike_raster& r) {
    const std::vector<double> n = counts(r, r.steps);
    const auto best = std::max_element(n.begin(), n.end());
    return best == n.end() || *best == 0 ? -1 : static_cast<int>(best - n.begin());
}

} // namespace nm::coding
