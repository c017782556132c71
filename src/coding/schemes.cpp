// The scheme table: names, summaries and the parameters each scheme reads.
#include "coding/scheme.hpp"

#include <algorithm>
#include <array>

namespace nm::coding {

namespace {

using cp = code_params;

constexpr auto f_steps = number<cp>("steps", &cp::steps, "steps", rule::at_least_one, "window T");
constexpr auto f_dt = number<cp>("dt", &cp::dt, "ms", rule::positive, "time per step");
constexpr auto f_max_rate =
    number<cp>("max_rate", &cp::max_rate, "Hz", rule::nonnegative, "rate at value 1");
constexpr auto f_t_ref = number<cp>("t_ref", &cp::t_ref, "ms", rule::nonnegative,
                                    "dead time after a spike (10 ms caps rates near 100 Hz)");
constexpr auto f_rate_mode =
    choice<cp>("mode", &cp::mode, {"poisson", "regular"}, "Bernoulli per step, or a regular train");
constexpr auto f_latency_mode =
    choice<cp>("mode", &cp::mode, {"linear", "log"}, "t = (1-x)(T-1), or t = tau ln(1/x)");
constexpr auto f_threshold = number<cp>("threshold", &cp::threshold, "", rule::unit_interval,
                                        "values (responses) below it stay silent");
constexpr auto f_tau =
    number<cp>("tau", &cp::tau, "ms", rule::positive, "log latency time constant");
constexpr auto f_isi_min =
    number<cp>("isi_min", &cp::isi_min, "ms", rule::positive, "interval at value 1");
constexpr auto f_isi_max =
    number<cp>("isi_max", &cp::isi_max, "ms", rule::positive, "interval at value 0");
constexpr auto f_period =
    number<cp>("period", &cp::period, "ms", rule::positive, "reference oscillation period");
constexpr auto f_n_max =
    number<cp>("n_max", &cp::n_max, "", rule::at_least_one, "spikes at value 1");
constexpr auto f_burst_isi =
    number<cp>("burst_isi", &cp::burst_isi, "ms", rule::positive, "spacing in a burst");
constexpr auto f_graded =
    number<cp>("graded", &cp::graded, "", rule::unit_interval, "1: one graded spike");
constexpr auto f_fraction =
    number<cp>("fraction", &cp::fraction, "", rule::unit_interval, "share of inputs that may fire");
constexpr auto f_delta =
    number<cp>("delta", &cp::delta, "", rule::positive, "change per ON/OFF event");
constexpr auto f_fields =
    number<cp>("fields", &cp::fields, "", rule::at_least_one, "receptive fields per feature");
constexpr auto f_beta =
    number<cp>("beta", &cp::beta, "", rule::positive, "field width: sigma = 1/(beta (m-2))");

constexpr std::array rate_fields{f_steps, f_dt, f_max_rate, f_t_ref, f_rate_mode};
constexpr std::array latency_fields{f_steps, f_dt, f_threshold, f_tau, f_latency_mode};
constexpr std::array isi_fields{f_steps, f_dt, f_isi_min, f_isi_max};
constexpr std::array phase_fields{f_steps, f_dt, f_period};
constexpr std::array burst_fields{f_steps, f_dt, f_n_max, f_burst_isi, f_graded};
constexpr std::array sparse_fields{f_steps, f_dt, f_fraction};
constexpr std::array delta_fields{f_dt, f_delta};
constexpr std::array population_fields{f_steps, f_dt, f_fields, f_beta, f_threshold};
constexpr std::array direct_fields{f_steps, f_dt};

constexpr std::array table{
    scheme_info{scheme::rate, "rate",
                "Poisson/Bernoulli or regular spike trains, rate = x max_rate", rate_fields},
    scheme_info{scheme::latency, "latency", "time to first spike: one spike, earlier for larger x",
                latency_fields},
    scheme_info{scheme::isi, "isi", "regular train whose interval shrinks with x", isi_fields},
    scheme_info{scheme::phase, "phase", "one spike per reference cycle at phase 1 - x",
                phase_fields},
    scheme_info{scheme::burst, "burst", "round(x n_max) spikes in a burst, or one graded spike",
                burst_fields},
    scheme_info{scheme::sparse, "sparse", "latency code of the largest fraction of inputs only",
                sparse_fields},
    scheme_info{scheme::delta, "delta",
                "ON/OFF events when a time series moves by delta (event camera)", delta_fields},
    scheme_info{scheme::population, "population",
                "Gaussian receptive fields -> spike latencies (Bohte 2002)", population_fields},
    scheme_info{scheme::direct, "direct", "the value itself as an input current every step",
                direct_fields},
};

} // namespace

std::span<const scheme_info> schemes() {
    return table;
}

const scheme_info* find_scheme(std::string_view name) {
    const auto it = std::find_if(table.begin(), table.end(),
                                 [&](const scheme_info& s) { return s.name == name; });
    return it == table.end() ? nullptr : &*it;
}

} // namespace nm::coding
