// Stimuli (NEST's devices): spike sources that deliver through an input port (poisson,
// spike_times, encoded: values through a spike code) and currents held constant over each step (dc,
// step, ac, chirp, noise). Each runtime stimulus drives one population; apply() touches only one
// thread's chunk.
#pragma once

#include "core/fields.hpp"
#include "core/partition.hpp"
#include "core/philox.hpp"
#include "core/poisson.hpp"
#include "core/population.hpp"
#include "nm/experiment.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace nm {

enum class stimulus_kind { poisson, spike_times, encoded, dc, step, ac, chirp, noise };

struct stimulus_params {
    double rate = 0.0, weight = 1.0, start = 0.0, stop = std::numeric_limits<double>::infinity();
    double amplitude = 0.0, offset = 0.0, freq = 0.0, phase = 0.0, f_start = 0.0, f_stop = 0.0;
    double mean = 0.0, std = 0.0;
};

// A stimulus kind: its name, what it does, and the parameters it accepts.
struct stimulus_type {
    stimulus_kind kind;
    std::string_view name, summary;
    std::span<const field<stimulus_params>> fields;
    bool spikes; // delivers through a synapse port (else a current)
};

std::span<const stimulus_type> stimulus_types();

struct stimulus {
    stimulus_kind kind = stimulus_kind::dc;
    std::uint32_t population = 0;
    int port = 0;
    stimulus_params p;
    std::uint64_t start_step = 0, stop_step = 0; // active for start_step <= step < stop_step
    poisson_sampler poisson;
    rng_stream rng;
    std::vector<std::pair<std::uint64_t, std::uint32_t>> spike_steps; // (step, multiplicity)
    std::vector<std::uint64_t> event_offsets; // encoded: events of step start_step + k
    std::vector<std::pair<std::uint64_t, std::uint16_t>> events; //   at [offsets[k], offsets[k+1])
    std::vector<std::uint64_t> change_steps;                     // step current
    std::vector<double> change_values;
    std::vector<std::uint64_t> neurons; // sorted; empty = every neuron
    double dt = 0.1;
};

// Builds the runtime stimuli of one spec (one per target population), validating everything.
std::vector<stimulus> build_stimuli(const stimulus_spec& spec, std::uint32_t first_index,
                                    std::span<const std::unique_ptr<population>> populations,
                                    double dt, std::uint64_t steps, std::uint64_t seed);

// The current of a homogeneous kind (dc, step, ac, chirp) at `step`: every neuron gets it.
double homogeneous_current(const stimulus& s, std::uint64_t step);

// Adds this stimulus' contribution at `step` for the neurons of `r`.
void apply(const stimulus& s, population& pop, range r, std::uint64_t step);

} // namespace nm
