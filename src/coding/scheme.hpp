// Spike codes (SPEC §2): the schemes, their parameters (one field table per scheme, as for
// models and stimuli), and the spike raster an encoder produces for one sample.
#pragma once

#include "core/fields.hpp"
#include "nm/coding.hpp"

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace nm::coding {

enum class scheme { rate, latency, isi, phase, burst, sparse, delta, population, direct };

enum rate_mode : int { rate_poisson = 0, rate_regular = 1 };
enum latency_mode : int { latency_linear = 0, latency_log = 1 };

// Every scheme's parameters; each scheme's field table names the rows it uses.
struct code_params {
    double steps = 25;       // window T in steps
    double dt = 1.0;         // ms per step
    double max_rate = 200.0; // Hz at value 1 (rate)
    double t_ref = 0.0;      // ms of dead time after each spike (rate)
    double threshold = 0.0;  // values below it stay silent (latency, population)
    double tau = 5.0;        // ms (logarithmic latency)
    double isi_min = 2.0;    // ms between spikes at value 1 (isi)
    double isi_max = 20.0;   // ms between spikes at value 0 (isi)
    double period = 10.0;    // ms of the reference oscillation (phase)
    double n_max = 5;        // spikes (or graded size) at value 1 (burst)
    double burst_isi = 1.0;  // ms between the spikes of a burst
    double graded = 0;       // 1: a burst is one graded spike
    double fraction = 0.1;   // share of inputs allowed to fire (sparse)
    double delta = 0.05;     // change that triggers an ON/OFF event (delta)
    double fields = 8;       // receptive fields per feature (population)
    double beta = 1.5;       // receptive-field width factor (population, Bohte 2002)
    int mode = 0;            // rate: poisson|regular; latency: linear|log
};

struct scheme_info {
    coding::scheme id;
    std::string_view name, summary;
    std::span<const field<code_params>> fields;
};

std::span<const scheme_info> schemes();
const scheme_info* find_scheme(std::string_view name);

using nm::spike_raster;

// Output channels for `features` inputs: ×fields for population, ×2 (ON, OFF) for delta.
std::uint32_t channels_for(scheme s, const code_params& p, std::uint32_t features);

} // namespace nm::coding
