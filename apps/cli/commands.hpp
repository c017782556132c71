// The subcommands of `neuromorph`; each registers its options and returns the code to exit with.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace nm::cli {

using command = std::function<int()>;

// Each adds a subcommand to `app` and sets `run` to what executes it once parsed.
void add_simulate(CLI::App& app, command& run);
void add_models(CLI::App& app, command& run);
void add_encode(CLI::App& app, command& run);
void add_train(CLI::App& app, command& run); // train and eval
void add_cost(CLI::App& app, command& run);

// "  energy    ..." for `sops` synaptic operations per `per` on the default platform (Loihi-2),
// or nothing when the platform table cannot be read.
void print_energy_line(double sops, const char* per);

} // namespace nm::cli
