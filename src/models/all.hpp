// The model list: every backend instantiates its loops over exactly these types.
// Adding a model = one header + one entry here (docs/dev/architecture.md walks through it).
#pragma once

#include "models/adex.hpp"
#include "models/alif.hpp"
#include "models/exp_lif.hpp"
#include "models/fitzhugh_nagumo.hpp"
#include "models/hindmarsh_rose.hpp"
#include "models/hodgkin_huxley.hpp"
#include "models/izhikevich.hpp"
#include "models/li.hpp"
#include "models/lif.hpp"
#include "models/rf.hpp"

#include <tuple>

namespace nm::models {

using all = std::tuple<lif, alif, rf, li, izhikevich, adex, exp_lif, hodgkin_huxley,
                       fitzhugh_nagumo, hindmarsh_rose>;

static_assert([]<class... M>(std::tuple<M...>*) {
    return (neuron_model<M> && ...);
}(static_cast<all*>(nullptr)));

} // namespace nm::models
