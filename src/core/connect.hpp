// Connection rules (NEST's vocabulary) and the CSR layout of the synapses they generate.
// Synapses are generated twice (count, then fill) from counter-based randomness instead of
// being buffered: peak memory stays at the final CSR size, and each thread generates only the
// synapses onto its own targets.
#pragma once

#include "core/partition.hpp"
#include "core/projection.hpp"
#include "nm/experiment.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace nm {

// The valid connection rule names.
const std::vector<std::string>& connection_rules();

struct connect_context {
    const population* pre = nullptr;
    population* post = nullptr;
    bool same_population = false;
    double dt = 0.1;
    std::uint64_t seed = 0;
    std::uint32_t index = 0; // projection number: its random streams
    partition parts;
};

// Validates `spec` against the populations, generates its synapses and lays them out.
projection build_projection(const projection_spec& spec, const connect_context& ctx);

} // namespace nm
