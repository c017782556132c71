// From a model name to a running population, over the explicit list in models/all.hpp.
#pragma once

#include "core/population.hpp"
#include "nm/experiment.hpp"

#include <memory>
#include <string>
#include <vector>

namespace nm {

std::vector<std::string> model_names();

// Validates the spec (name, parameters, initial state) and builds the population.
std::unique_ptr<population> make_population(const population_spec& spec, double dt,
                                            std::uint64_t seed, std::uint32_t index);

} // namespace nm
