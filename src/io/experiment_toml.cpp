// TOML experiment files (toml++): the tables of DESIGN.md's contract, every key checked, every
// error located as file:line:column.
#include "nm/io.hpp"

#include "core/bind.hpp"
#include "nm/errors.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include "io/toml_reader.hpp"

namespace nm {

namespace {

class reader : public toml_reader {
public:
    using toml_reader::toml_reader;

    simulation_spec simulation(const toml::node& n) const {
        const toml::table& t = table(n, "[simulation]");
        check_keys(t, {"dt", "duration", "seed", "threads"}, "[simulation]");
        simulation_spec s;
        s.where = where(n);
        if (const auto* x = t.get("dt")) s.dt = number(*x, "simulation.dt");
        if (const auto* x = t.get("duration")) {
            s.duration = number(*x, "simulation.duration");
            s.duration_given = true;
        }
        if (const auto* x = t.get("seed")) s.seed = count(*x, "simulation.seed");
        if (const auto* x = t.get("threads"))
            s.threads = static_cast<int>(count(*x, "simulation.threads"));
        return s;
    }

    population_spec population(const toml::table& t) const {
        check_keys(t, {"name", "size", "model", "params", "init"}, "[[population]]");
        population_spec p;
        p.where = where(t);
        p.name = string(required(t, "name", "[[population]]"), "population.name");
        p.size = count(required(t, "size", "[[population]]"), "population.size");
        if (const auto* x = t.get("model")) p.model = string(*x, "population.model");
        if (const auto* x = t.get("params")) p.params = params(*x, "params");
        if (const auto* x = t.get("init")) p.init = params(*x, "init");
        return p;
    }

    projection_spec projection(const toml::table& t) const {
        check_keys(t, {"pre", "post", "rule", "synapse", "propagation"}, "[[projection]]");
        projection_spec p;
        p.where = where(t);
        p.pre = string(required(t, "pre", "[[projection]]"), "projection.pre");
        p.post = string(required(t, "post", "[[projection]]"), "projection.post");
        if (const auto* x = t.get("rule")) p.rule = rule(table(*x, "projection.rule"));
        if (const auto* x = t.get("synapse")) p.synapse = synapse(table(*x, "projection.synapse"));
        if (const auto* x = t.get("propagation"))
            p.propagation = string(*x, "projection.propagation");
        return p;
    }

    connection_rule rule(const toml::table& t) const {
        check_keys(t,
                   {"kind", "p", "k", "n", "allow_autapses", "allow_multapses", "pre", "post",
                    "weights", "delays"},
                   "rule");
        connection_rule r;
        r.where = where(t);
        r.kind = string(required(t, "kind", "rule"), "rule.kind");
        if (const auto* x = t.get("p")) r.p = number(*x, "rule.p");
        if (const auto* x = t.get("k")) r.k = count(*x, "rule.k");
        if (const auto* x = t.get("n")) r.n = count(*x, "rule.n");
        if (const auto* x = t.get("allow_autapses"))
            r.allow_autapses = boolean(*x, "rule.allow_autapses");
        if (const auto* x = t.get("allow_multapses"))
            r.allow_multapses = boolean(*x, "rule.allow_multapses");
        if (const auto* x = t.get("pre")) r.pre = indices(*x, "rule.pre");
        if (const auto* x = t.get("post")) r.post = indices(*x, "rule.post");
        if (const auto* x = t.get("weights")) r.weights = numbers(*x, "rule.weights");
        if (const auto* x = t.get("delays")) r.delays = numbers(*x, "rule.delays");
        return r;
    }

    synapse_spec synapse(const toml::table& t) const {
        check_keys(
            t, {"kind", "tau_syn", "e_rev", "port", "weight", "weight_im", "delay", "plasticity"},
            "synapse");
        synapse_spec s;
        s.where = where(t);
        if (const auto* x = t.get("kind")) s.kind = string(*x, "synapse.kind");
        if (const auto* x = t.get("tau_syn")) s.tau_syn = number(*x, "synapse.tau_syn");
        if (const auto* x = t.get("e_rev")) s.e_rev = number(*x, "synapse.e_rev");
        if (const auto* x = t.get("port")) s.port = string(*x, "synapse.port");
        if (const auto* x = t.get("weight")) s.weight = value(*x, "synapse.weight");
        if (const auto* x = t.get("weight_im")) s.weight_im = value(*x, "synapse.weight_im");
        if (const auto* x = t.get("delay")) s.delay = value(*x, "synapse.delay");
        if (const auto* x = t.get("plasticity"))
            s.plasticity = plasticity(table(*x, "synapse.plasticity"));
        return s;
    }

    // `rule` is structural; every other key is a parameter of the rule.
    plasticity_spec plasticity(const toml::table& t) const {
        plasticity_spec p;
        p.where = where(t);
        p.rule = string(required(t, "rule", "synapse.plasticity"), "plasticity.rule");
        for (auto&& [k, v] : t) {
            const std::string key(k.str());
            if (key == "rule") continue;
            if (key == "reward_times")
                p.reward_times = numbers(v, "plasticity.reward_times");
            else if (key == "reward_amounts")
                p.reward_amounts = numbers(v, "plasticity.reward_amounts");
            else
                p.params.push_back({key, value(v, "plasticity." + key), where(k)});
        }
        return p;
    }

    // Structural keys are read here; every other key is a parameter of the stimulus kind,
    // checked against its field table when the network is built.
    stimulus_spec stimulus(const toml::table& t) const {
        stimulus_spec s;
        s.where = where(t);
        s.kind = string(required(t, "kind", "[[stimulus]]"), "stimulus.kind");
        for (auto&& [k, v] : t) {
            const std::string key(k.str());
            if (key == "kind") continue;
            if (key == "target") {
                if (v.is_array())
                    for (const auto& x : *v.as_array())
                        s.targets.push_back(string(x, "stimulus.target"));
                else
                    s.targets.push_back(string(v, "stimulus.target"));
            } else if (key == "neurons") {
                s.neurons = indices(v, "stimulus.neurons");
            } else if (key == "times") {
                s.times = numbers(v, "stimulus.times");
            } else if (key == "amplitudes") {
                s.amplitudes = numbers(v, "stimulus.amplitudes");
            } else if (key == "synapse") {
                s.synapse = string(v, "stimulus.synapse");
            } else if (key == "tau_syn") {
                s.tau_syn = number(v, "stimulus.tau_syn");
            } else if (key == "e_rev") {
                s.e_rev = number(v, "stimulus.e_rev");
            } else if (key == "port") {
                s.port = string(v, "stimulus.port");
            } else {
                s.params.push_back({key, value(v, "stimulus." + key), where(k)});
            }
        }
        return s;
    }

    trials_spec trials(const toml::node& n) const {
        const toml::table& t = table(n, "[trials]");
        check_keys(t,
                   {"dataset", "patterns", "labels", "test_fraction", "input", "readout",
                    "max_rate", "weight", "present", "rest", "learn", "label", "test", "decode",
                    "reward", "punishment"},
                   "[trials]");
        trials_spec s;
        s.where = where(n);
        if (const auto* x = t.get("dataset")) s.dataset = string(*x, "trials.dataset");
        if (const auto* x = t.get("patterns")) {
            const auto* rows = x->as_array();
            if (!rows)
                throw bad_config(located(where(*x), "trials.patterns: expected an array "
                                                    "of arrays of numbers"));
            for (const auto& row : *rows) s.patterns.push_back(numbers(row, "trials.patterns"));
        }
        if (const auto* x = t.get("labels")) s.labels = indices(*x, "trials.labels");
        if (const auto* x = t.get("test_fraction"))
            s.test_fraction = number(*x, "trials.test_fraction");
        s.input = string(required(t, "input", "[trials]"), "trials.input");
        s.readout = string(required(t, "readout", "[trials]"), "trials.readout");
        if (const auto* x = t.get("max_rate")) s.max_rate = number(*x, "trials.max_rate");
        if (const auto* x = t.get("weight")) s.weight = number(*x, "trials.weight");
        if (const auto* x = t.get("present")) s.present = number(*x, "trials.present");
        if (const auto* x = t.get("rest")) s.rest = number(*x, "trials.rest");
        if (const auto* x = t.get("learn")) s.learn = count(*x, "trials.learn");
        if (const auto* x = t.get("label")) s.label = count(*x, "trials.label");
        if (const auto* x = t.get("test")) s.test = count(*x, "trials.test");
        if (const auto* x = t.get("decode")) s.decode = string(*x, "trials.decode");
        if (const auto* x = t.get("reward")) s.reward = number(*x, "trials.reward");
        if (const auto* x = t.get("punishment")) s.punishment = number(*x, "trials.punishment");
        return s;
    }

    record_spec record(const toml::table& t) const {
        check_keys(t, {"what", "population", "neurons", "interval", "start", "stop"}, "[[record]]");
        record_spec r;
        r.where = where(t);
        if (const auto* x = t.get("what")) r.what = string(*x, "record.what");
        r.population = string(required(t, "population", "[[record]]"), "record.population");
        if (const auto* x = t.get("neurons")) r.neurons = indices(*x, "record.neurons");
        if (const auto* x = t.get("interval")) r.interval = number(*x, "record.interval");
        if (const auto* x = t.get("start")) r.start = number(*x, "record.start");
        if (const auto* x = t.get("stop")) r.stop = number(*x, "record.stop");
        return r;
    }
};

} // namespace

experiment parse_experiment(std::string_view text, const std::string& source_name) {
    const toml::table doc = parse_toml(text, source_name);
    const reader rd(source_name);
    rd.check_keys(doc, {"simulation", "population", "projection", "stimulus", "record", "trials"},
                  "top level");
    experiment e;
    e.source = source_name;
    if (const auto* s = doc.get("simulation"))
        e.simulation = rd.simulation(*s);
    else
        e.simulation.where = source_name;
    if (const auto* n = doc.get("population"))
        rd.each_table(*n, "population",
                      [&](const toml::table& t) { e.populations.push_back(rd.population(t)); });
    if (const auto* n = doc.get("projection"))
        rd.each_table(*n, "projection",
                      [&](const toml::table& t) { e.projections.push_back(rd.projection(t)); });
    if (const auto* n = doc.get("stimulus"))
        rd.each_table(*n, "stimulus",
                      [&](const toml::table& t) { e.stimuli.push_back(rd.stimulus(t)); });
    if (const auto* n = doc.get("record"))
        rd.each_table(*n, "record",
                      [&](const toml::table& t) { e.records.push_back(rd.record(t)); });
    if (const auto* n = doc.get("trials")) {
        e.trials = rd.trials(*n);
        // The trials set the duration: one more source of truth would only disagree.
        if (e.simulation.duration_given)
            throw bad_config(located(e.simulation.where,
                                     "[simulation] duration: remove it, [trials] sets the "
                                     "duration (trials x (present + rest))"));
        e.simulation.duration = static_cast<double>(e.trials->trials()) * e.trials->trial_ms();
    }
    return e;
}

toml::table parse_toml(std::string_view text, const std::string& source) {
    try {
        return toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        const auto& b = e.source().begin;
        throw bad_config(source + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                         ": TOML syntax error: " + std::string(e.description()));
    }
}

std::string read_text(const std::string& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw io_error(path + ": cannot open the " + what);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

experiment load_experiment(const std::string& path) {
    return parse_experiment(read_text(path, "experiment file"), path);
}

} // namespace nm
