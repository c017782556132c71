// The network as the step loop sees it: populations, projections (grouped by source),
// stimuli (grouped by target) and recorders, all validated and sized before the first step.
#pragma once

#include "core/partition.hpp"
#include "core/population.hpp"
#include "core/projection.hpp"
#include "core/stimulus.hpp"
#include "core/trials.hpp"
#include "nm/experiment.hpp"
#include "nm/simulation.hpp"

#include <memory>
#include <optional>
#include <vector>

namespace nm {

struct spike_recorder {
    std::uint32_t population = 0;
    std::vector<std::uint8_t> selected; // empty: every neuron
    std::uint64_t start = 0, stop = 0;  // steps
    std::vector<std::vector<spike_record>> by_thread;
};

struct trace_recorder {
    std::uint32_t population = 0;
    std::string field;
    const double* column = nullptr;
    std::vector<std::uint64_t> neurons;
    std::uint64_t start = 0, stop = 0, every = 1; // steps
    std::uint64_t samples = 0;
    std::vector<std::vector<std::uint32_t>> by_thread; // positions in `neurons` each thread owns
    std::vector<double> values;                        // [sample][position]
};

struct network {
    double dt = 0.1;
    std::uint64_t steps = 0, seed = 0;
    partition parts;
    std::vector<std::unique_ptr<population>> populations;
    std::vector<projection> projections;
    std::vector<std::vector<std::uint32_t>> outgoing; // projection indices by source population
    std::vector<std::vector<stimulus>> stimuli;       // by target population
    std::vector<spike_recorder> spike_recorders;
    std::vector<trace_recorder> trace_recorders;
    std::optional<trial_protocol> trials;

    std::uint64_t neurons() const;
    std::uint64_t synapses() const;
    std::uint64_t synapse_bytes() const;
    std::uint64_t memory_bytes() const;
};

// Validates everything in `e` (names, ranges, shapes) and builds the network.
network build_network(const experiment& e);

} // namespace nm
