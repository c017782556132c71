// The model list: every backend instantiates its loops over exactly these types.
// Adding a model = one header + one entry here (docs/dev/architecture.md walks through it).
#pragma once

#include "models/alif.hpp"
#include "models/li.hpp"
#include "models/lif.hpp"
#include "models/rf.hpp"

#include <tuple>

namespace nm::models {

using all = std::tuple<lif, alif, rf, li>;

static_assert(neuron_model<lif> && neuron_model<alif> && neuron_model<rf> && neuron_model<li>);

} // namespace nm::models
