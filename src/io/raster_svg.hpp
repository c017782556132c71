// A raster plot of recorded spikes with the population rate below it, as a standalone SVG
// (opens in any browser; no plotting library needed).
#pragma once

#include <nm/simulation.hpp>

#include <string>

namespace nm {

// The SVG document; shows at most `max_neurons` neurons per population (the lowest indices).
std::string raster_svg(const run_result& result, std::size_t max_neurons = 100);

} // namespace nm
