// The GPU's view of a population's model (host side): which of sim_models it runs, its state
// fields, and how its ports reach the model (sim_port_kind).
#pragma once

#include "backends/cuda/sim_view.hpp"
#include "core/population_impl.hpp"

#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace nm::cuda {

// Calls f(std::integral_constant<int, K>, const population_impl<M>&) for the model M = K-th of
// sim_models that `pop` runs; false when it runs none of them.
template<int K = 0, class F>
bool visit_model(const population& pop, F&& f) {
    if constexpr (K == std::tuple_size_v<sim_models>) {
        return false;
    } else {
        using M = std::tuple_element_t<K, sim_models>;
        if (const auto* typed = dynamic_cast<const population_impl<M>*>(&pop)) {
            f(std::integral_constant<int, K>{}, *typed);
            return true;
        }
        return visit_model<K + 1>(pop, std::forward<F>(f));
    }
}

// The names of the state fields of the model `pop` runs, in the order of its state.
inline std::vector<std::string> state_fields(const population& pop) {
    std::vector<std::string> names;
    visit_model(pop, [&](auto k, const auto&) {
        using M = std::tuple_element_t<decltype(k)::value, sim_models>;
        for (const auto& f : M::state_fields) names.emplace_back(f.name);
    });
    return names;
}

// The models' names, for messages: "lif, alif, ...".
inline std::string model_names() {
    std::string names;
    [&]<class... M>(std::tuple<M...>*) {
        ((names += (names.empty() ? "" : ", ") + std::string(M::name)), ...);
    }(static_cast<sim_models*>(nullptr));
    return names;
}

inline sim_port_kind kind_of(const input_port& p) {
    switch (p.kind) {
    case port_kind::delta:
        return sim_port_kind::delta;
    case port_kind::exp_current:
        return p.exact ? sim_port_kind::exp_exact : sim_port_kind::exp_drive;
    case port_kind::alpha_current:
        return p.exact ? sim_port_kind::alpha_exact : sim_port_kind::alpha_drive;
    case port_kind::exp_cond:
        return sim_port_kind::cond_exp;
    case port_kind::alpha_cond:
        return sim_port_kind::cond_alpha;
    }
    return sim_port_kind::delta;
}

} // namespace nm::cuda
