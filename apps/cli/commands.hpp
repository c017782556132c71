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

} // namespace nm::cli
