// Experiment files in, run folders out.
#pragma once

#include <nm/experiment.hpp>
#include <nm/simulation.hpp>

#include <string>
#include <string_view>

namespace nm {

// Reads a TOML experiment file; throws nm::error naming file, line and key on any problem.
experiment load_experiment(const std::string& path);
experiment parse_experiment(std::string_view toml_text, const std::string& source_name);

// Writes metrics.json, spikes.csv, spikes.bin and one traces_<population>_<field>.csv per
// trace into `dir` (created if missing). Each file appears complete or not at all.
void write_run(const std::string& dir, const run_result& result);

// The metrics.json document (also printed by `simulate --json`).
std::string metrics_json(const run_result& result);

} // namespace nm
