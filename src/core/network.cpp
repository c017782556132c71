// Building the network from an experiment: every check happens here, before any step runs.
#include "core/network.hpp"

#include "core/bind.hpp"
#include "core/connect.hpp"
#include "models/registry.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace nm {

namespace {

// Traces beyond this many values (8 bytes each) are refused before the run starts.
constexpr std::uint64_t max_trace_values = 200'000'000;

void check_simulation(const simulation_spec& s) {
    auto fail = [&](const std::string& msg) { throw bad_parameter(located(s.where, msg)); };
    if (!(s.dt > 0) || !std::isfinite(s.dt))
        fail("simulation.dt = " + format_number(s.dt) + " ms must be > 0");
    if (!(s.duration >= s.dt) || !std::isfinite(s.duration))
        fail("simulation.duration = " + format_number(s.duration) +
             " ms must be >= dt = " + format_number(s.dt) + " ms");
    if (s.duration / s.dt >= 4e9)
        fail("simulation.duration / dt = " + format_number(s.duration / s.dt) +
             " steps must be below 4e9");
    if (s.threads < 1 || s.threads > 1024)
        fail("simulation.threads = " + std::to_string(s.threads) + " must be in [1, 1024]");
}

std::uint32_t find_population(const network& net, const std::string& name, const std::string& where,
                              const std::string& context) {
    return population_index(net.populations, name, where, context);
}

std::uint64_t to_steps(double ms, double dt) {
    return static_cast<std::uint64_t>(std::llround(ms / dt));
}

void check_window(const record_spec& r, const std::string& context) {
    if (!(r.start >= 0))
        throw bad_parameter(
            located(r.where, context + ": start = " + format_number(r.start) + " ms must be >= 0"));
    if (r.stop >= 0 && !(r.stop > r.start))
        throw bad_parameter(located(r.where, context + ": stop = " + format_number(r.stop) +
                                                 " ms must be > start = " + format_number(r.start) +
                                                 " ms"));
}

void add_recorder(network& net, const record_spec& r) {
    const std::string context = "record \"" + r.what + "\"";
    const std::uint32_t pop = find_population(net, r.population, r.where, context);
    const population& p = *net.populations[pop];
    check_window(r, context);
    for (std::uint64_t n : r.neurons)
        if (n >= p.size())
            throw bad_parameter(located(r.where, context + ": neuron " + std::to_string(n) +
                                                     " is outside population \"" + p.name() +
                                                     "\" (size " + std::to_string(p.size()) + ")"));
    const std::uint64_t start = to_steps(r.start, net.dt);
    const std::uint64_t stop =
        r.stop < 0 ? net.steps : std::min(net.steps, to_steps(r.stop, net.dt));
    if (r.what == "spikes") {
        spike_recorder rec;
        rec.population = pop;
        rec.start = start;
        rec.stop = stop;
        if (!r.neurons.empty()) {
            rec.selected.assign(p.size(), 0);
            for (std::uint64_t n : r.neurons) rec.selected[n] = 1;
        }
        rec.by_thread.resize(net.parts.threads);
        net.spike_recorders.push_back(std::move(rec));
        return;
    }
    std::vector<std::string> fields = p.state_names();
    if (std::find(fields.begin(), fields.end(), r.what) == fields.end()) {
        fields.insert(fields.begin(), "spikes");
        throw bad_config(located(r.where, context + ": population \"" + p.name() + "\" (model " +
                                              p.model() + ") has no state \"" + r.what + "\"" +
                                              did_you_mean(r.what, fields)));
    }
    if (!(r.interval >= net.dt * (1 - 1e-9)))
        throw bad_parameter(located(r.where, context + ": interval = " + format_number(r.interval) +
                                                 " ms must be >= dt = " + format_number(net.dt) +
                                                 " ms"));
    trace_recorder rec;
    rec.population = pop;
    rec.field = r.what;
    rec.neurons = r.neurons;
    if (rec.neurons.empty())
        for (std::uint64_t n = 0; n < std::min<std::uint64_t>(10, p.size()); ++n)
            rec.neurons.push_back(n);
    rec.start = start;
    rec.stop = stop;
    rec.every = std::max<std::uint64_t>(1, to_steps(r.interval, net.dt));
    rec.samples = stop > start ? (stop - start + rec.every - 1) / rec.every : 0;
    if (rec.samples * rec.neurons.size() > max_trace_values)
        throw bad_config(
            located(r.where, context + ": " + std::to_string(rec.samples) + " samples x " +
                                 std::to_string(rec.neurons.size()) + " neurons exceeds " +
                                 std::to_string(max_trace_values) +
                                 " values; record fewer neurons or a longer interval"));
    net.trace_recorders.push_back(std::move(rec));
}

} // namespace

network build_network(const experiment& e) {
    check_simulation(e.simulation);
    network net;
    net.dt = e.simulation.dt;
    net.steps = static_cast<std::uint64_t>(std::llround(e.simulation.duration / net.dt));
    net.seed = e.simulation.seed;
    net.parts.threads = static_cast<unsigned>(e.simulation.threads);
    if (e.populations.empty())
        throw bad_config(located(e.simulation.where, "the experiment has no [[population]]"));

    for (const population_spec& spec : e.populations) {
        auto fail = [&](const std::string& msg) {
            throw bad_config(located(spec.where, "population \"" + spec.name + "\": " + msg));
        };
        if (spec.name.empty()) fail("needs a name");
        for (const auto& p : net.populations)
            if (p->name() == spec.name) fail("the name is used twice");
        if (spec.size < 1 || spec.size >= (std::uint64_t{1} << 31))
            fail("size = " + std::to_string(spec.size) + " must be in [1, 2^31)");
        const auto index = static_cast<std::uint32_t>(net.populations.size());
        net.populations.push_back(make_population(spec, net.dt, net.seed, index));
    }

    net.outgoing.resize(net.populations.size());
    for (const projection_spec& spec : e.projections) {
        const std::string context = "projection \"" + spec.pre + "\" -> \"" + spec.post + "\"";
        connect_context ctx;
        const std::uint32_t pre = find_population(net, spec.pre, spec.where, context);
        const std::uint32_t post = find_population(net, spec.post, spec.where, context);
        ctx.pre = net.populations[pre].get();
        ctx.post = net.populations[post].get();
        ctx.same_population = pre == post;
        ctx.dt = net.dt;
        ctx.seed = net.seed;
        ctx.index = static_cast<std::uint32_t>(net.projections.size());
        ctx.parts = net.parts;
        projection proj = build_projection(spec, ctx);
        proj.pre = pre;
        proj.post = post;
        net.outgoing[pre].push_back(static_cast<std::uint32_t>(net.projections.size()));
        net.projections.push_back(std::move(proj));
    }

    net.stimuli.resize(net.populations.size());
    std::uint32_t stimulus_index = 0;
    for (const stimulus_spec& spec : e.stimuli) {
        for (stimulus& s :
             build_stimuli(spec, stimulus_index, net.populations, net.dt, net.steps, net.seed))
            net.stimuli[s.population].push_back(std::move(s));
        stimulus_index += static_cast<std::uint32_t>(spec.targets.size());
    }

    if (e.trials)
        net.trials = build_trials(*e.trials, net.populations, net.dt, net.steps, net.seed);

    // Each population's ring holds its longest incoming delay (events land at step + delay).
    std::vector<std::uint32_t> max_delay(net.populations.size(), 1);
    for (const projection& p : net.projections)
        max_delay[p.post] = std::max(max_delay[p.post], p.max_delay);
    for (std::size_t i = 0; i < net.populations.size(); ++i) {
        auto& pop = *net.populations[i];
        if (pop.ports() == 0) pop.port_for(port_request{});
        pop.finalize(net.parts, std::bit_ceil(max_delay[i] + 1), net.dt);
    }

    for (const record_spec& r : e.records) add_recorder(net, r);
    for (trace_recorder& rec : net.trace_recorders) {
        const population& p = *net.populations[rec.population];
        rec.column = p.state_column(rec.field);
        rec.values.assign(rec.samples * rec.neurons.size(), 0.0);
        rec.by_thread.resize(net.parts.threads);
        for (std::uint32_t j = 0; j < rec.neurons.size(); ++j)
            for (unsigned t = 0; t < net.parts.threads; ++t) {
                const range r = p.chunk(t);
                if (rec.neurons[j] >= r.begin && rec.neurons[j] < r.end)
                    rec.by_thread[t].push_back(j);
            }
    }
    return net;
}

std::uint64_t network::neurons() const {
    std::uint64_t n = 0;
    for (const auto& p : populations) n += p->size();
    return n;
}

std::uint64_t network::synapses() const {
    std::uint64_t n = 0;
    for (const auto& p : projections) n += p.synapses;
    return n;
}

std::uint64_t network::synapse_bytes() const {
    std::uint64_t n = 0;
    for (const auto& p : projections) n += p.memory_bytes();
    return n;
}

std::uint64_t network::memory_bytes() const {
    std::uint64_t n = synapse_bytes();
    for (const auto& p : populations) n += p->memory_bytes();
    for (const auto& r : trace_recorders) n += r.values.size() * sizeof(double);
    return n;
}

} // namespace nm
