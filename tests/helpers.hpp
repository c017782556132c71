// Building small experiments in code for tests: a population, a projection, a stimulus, a run.
#pragma once

#include <nm/experiment.hpp>
#include <nm/simulation.hpp>

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace nm::test {

inline std::vector<param> params(std::initializer_list<std::pair<std::string, value>> list) {
    std::vector<param> out;
    for (const auto& [name, v] : list) out.push_back({name, v, ""});
    return out;
}

inline experiment make_experiment(double dt, double duration, std::uint64_t seed = 1,
                                  int threads = 1) {
    experiment e;
    e.simulation.dt = dt;
    e.simulation.duration = duration;
    e.simulation.seed = seed;
    e.simulation.threads = threads;
    return e;
}

inline population_spec& add_population(experiment& e, const std::string& name, std::uint64_t size,
                                       const std::string& model, std::vector<param> p = {},
                                       std::vector<param> init = {}) {
    population_spec s;
    s.name = name;
    s.size = size;
    s.model = model;
    s.params = std::move(p);
    s.init = std::move(init);
    e.populations.push_back(std::move(s));
    return e.populations.back();
}

inline projection_spec& add_projection(experiment& e, const std::string& pre,
                                       const std::string& post, connection_rule rule,
                                       value weight = 1.0, value delay = 0.1) {
    projection_spec p;
    p.pre = pre;
    p.post = post;
    p.rule = std::move(rule);
    p.synapse.weight = std::move(weight);
    p.synapse.delay = std::move(delay);
    e.projections.push_back(std::move(p));
    return e.projections.back();
}

inline connection_rule rule(const std::string& kind) {
    connection_rule r;
    r.kind = kind;
    return r;
}

inline stimulus_spec& add_stimulus(experiment& e, const std::string& kind,
                                   const std::string& target, std::vector<param> p = {}) {
    stimulus_spec s;
    s.kind = kind;
    s.targets = {target};
    s.params = std::move(p);
    e.stimuli.push_back(std::move(s));
    return e.stimuli.back();
}

inline void record(experiment& e, const std::string& what, const std::string& population,
                   std::vector<std::uint64_t> neurons = {}, double interval = 0.1) {
    record_spec r;
    r.what = what;
    r.population = population;
    r.neurons = std::move(neurons);
    r.interval = interval;
    e.records.push_back(std::move(r));
}

inline run_result run(const experiment& e) {
    simulation sim(e);
    return sim.run();
}

// The value of a named parameter in a list (throws when absent).
inline const value& find_param(const std::vector<param>& list, const std::string& name) {
    for (const auto& p : list)
        if (p.name == name) return p.value;
    throw std::runtime_error("no parameter " + name);
}

// Spike steps of one neuron of one population, in order.
inline std::vector<std::uint32_t> spike_steps(const run_result& r, std::uint32_t population,
                                              std::uint32_t neuron) {
    std::vector<std::uint32_t> out;
    for (const auto& s : r.spikes)
        if (s.population == population && s.neuron == neuron) out.push_back(s.step);
    return out;
}

// Spike times (ms, off-grid where the model times them) of one neuron, in order.
inline std::vector<double> spike_times(const run_result& r, std::uint32_t population,
                                       std::uint32_t neuron) {
    std::vector<double> out;
    for (const auto& s : r.spikes)
        if (s.population == population && s.neuron == neuron) out.push_back(s.time_ms(r.dt));
    return out;
}

inline std::vector<double> intervals(const std::vector<double>& times) {
    std::vector<double> out;
    for (std::size_t k = 1; k < times.size(); ++k) out.push_back(times[k] - times[k - 1]);
    return out;
}

} // namespace nm::test
