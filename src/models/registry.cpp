// Instantiates population_impl for every model of models/all.hpp, and the catalogues that
// `neuromorph models` prints, from the same field tables the loaders validate against.
#include "models/registry.hpp"

#include "core/bind.hpp"
#include "core/field_docs.hpp"
#include "core/population_impl.hpp"
#include "core/stimulus.hpp"
#include "models/all.hpp"
#include "nm/simulation.hpp"

namespace nm {

namespace {

template<class Fn>
void for_each_model(Fn&& fn) {
    [&]<class... M>(std::tuple<M...>*) {
        (fn(static_cast<M*>(nullptr)), ...);
    }(static_cast<models::all*>(nullptr));
}

} // namespace

std::vector<std::string> model_names() {
    std::vector<std::string> names;
    for_each_model([&]<class M>(M*) { names.emplace_back(M::name); });
    return names;
}

std::unique_ptr<population> make_population(const population_spec& spec, double dt,
                                            std::uint64_t seed, std::uint32_t index) {
    std::unique_ptr<population> made;
    for_each_model([&]<class M>(M*) {
        if (!made && spec.model == M::name)
            made = std::make_unique<population_impl<M>>(spec, dt, seed, index);
    });
    if (!made)
        throw bad_config(located(spec.where, "population \"" + spec.name + "\": unknown model \"" +
                                                 spec.model + "\"" +
                                                 did_you_mean(spec.model, model_names())));
    return made;
}

std::vector<model_doc> model_catalogue() {
    std::vector<model_doc> docs;
    for_each_model([&]<class M>(M*) {
        const typename M::params p{};
        docs.push_back({std::string(M::name), std::string(M::summary),
                        describe_fields(M::param_fields, p),
                        describe_fields(M::state_fields, M::initial(p))});
    });
    return docs;
}

std::vector<model_doc> stimulus_catalogue() {
    std::vector<model_doc> docs;
    for (const auto& t : stimulus_types())
        docs.push_back({std::string(t.name),
                        std::string(t.summary),
                        describe_fields(t.fields, stimulus_params{}),
                        {}});
    return docs;
}

} // namespace nm
