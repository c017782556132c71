// `neuromorph models`: the neuron models and stimuli, their parameters, units and defaults.
#include "commands.hpp"

#include <nm/coding.hpp>
#include <nm/simulation.hpp>

#include <cstdio>
#include <memory>

namespace nm::cli {

namespace {

void print_fields(const char* title, const std::vector<field_doc>& fields) {
    if (fields.empty()) return;
    std::printf("    %s\n", title);
    for (const auto& f : fields)
        std::printf("      %-10s %-8s default %-8s %-16s %s\n", f.name.c_str(),
                    f.unit.empty() ? "-" : f.unit.c_str(), f.default_value.c_str(),
                    f.allowed.c_str(), f.doc.c_str());
}

void print_catalogue(const char* heading, const std::vector<model_doc>& docs,
                     const std::string& only) {
    std::printf("%s\n", heading);
    for (const auto& m : docs) {
        if (!only.empty() && m.name != only) continue;
        std::printf("  %s: %s\n", m.name.c_str(), m.summary.c_str());
        print_fields("params", m.params);
        print_fields("state (recordable)", m.state);
    }
}

} // namespace

void add_models(CLI::App& app, command& run) {
    auto only = std::make_shared<std::string>();
    CLI::App* cmd =
        app.add_subcommand("models", "List neuron models and stimuli with their parameters");
    cmd->add_option("name", *only, "show only this model or stimulus");
    cmd->callback([only, &run] {
        run = [only] {
            print_catalogue("neuron models ([[population]] model = ...)", model_catalogue(), *only);
            print_catalogue("\nstimuli ([[stimulus]] kind = ...)", stimulus_catalogue(), *only);
            print_catalogue("\nspike codes (neuromorph encode --scheme ...)", scheme_catalogue(),
                            *only);
            return 0;
        };
    });
}

} // namespace nm::cli
