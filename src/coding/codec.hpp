// Encoding values into spike rasters and decoding them back, one sample at a time.
// Inputs are normalised to [0, 1] (see dataset normalisation); a sample's randomness is Philox
// keyed by (seed, scheme stream, channel, step, sample), so encoding is the same on any thread.
#pragma once

#include "coding/scheme.hpp"
#include "core/philox.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace nm::coding {

// A duration in ms as whole steps of dt, as every encoder rounds it (a rate code's dead time,
// a burst's spacing).
std::uint32_t steps_of(double ms, double dt);

// Throws bad_parameter (prefixed by `context`) when the parameters cannot encode.
void check(scheme s, const code_params& p, const std::string& context);

// Values in [0, 1] (delta: one time series, one value per step) into a raster.
spike_raster encode(scheme s, const code_params& p, std::span<const double> x,
                    const rng_stream& rng, std::uint32_t sample);

// The Poisson rate code without dead time (rate_is_dense) written as 0/1 straight into a dense
// [steps][stride] array, out[t·stride + c]: the spikes encode() lists, for the trainer's input.
bool rate_is_dense(scheme s, const code_params& p);
template<class Real>
void rate_dense(const code_params& p, std::span<const double> x, const rng_stream& rng,
                std::uint32_t sample, Real* out, std::size_t stride);

// The values a raster stands for, reading only its first `window` steps.
std::vector<double> decode(scheme s, const code_params& p, const spike_raster& r,
                           std::uint32_t features, std::uint32_t window);

// Readouts that are not the inverse of one encoder.
// A leaky integrator per channel (v ← e^{-dt/τ}·v + spikes): its maximum and mean over time.
struct membrane_readout {
    std::vector<double> max, mean;
};
membrane_readout li_readout(const spike_raster& r, double tau_ms, double dt_ms);
// The channel that fires first (ties: the larger graded spike, then the lowest index); -1 when
// silent.
int first_to_spike(const spike_raster& r);
// The channel with the most spikes (ties: lowest index); -1 when silent.
int most_spikes(const spike_raster& r);

} // namespace nm::coding
