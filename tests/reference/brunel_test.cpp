// Brunel (2000) model A, examples/brunel.toml at full size for 500 ms, against the same
// network in Brian2 2.5.1 (cpp_standalone; bench/peers/brunel_brian2.py --duration 500 on the
// development machine): rate 37.1 Hz, mean ISI CV 0.405, population-activity CV (1 ms bins
// after 100 ms) 0.512; neuromorph gave 37.4 Hz, 0.409 and 0.526. The state is Brunel's Fig. 8C
// (g = 5, eta = 2: asynchronous irregular). The windows allow for other seeds; the activity
// bound rejects the synchronous states, whose population activity swings by more than its mean.
#include "helpers.hpp"

#include <nm/io.hpp>

#include <gtest/gtest.h>

#include <cmath>

namespace nm::test {
namespace {

TEST(brunel, asynchronous_irregular_rate_cv_and_synchrony) {
    experiment e = load_experiment(std::string(NM_SOURCE_DIR) + "/examples/brunel.toml");
    e.simulation.duration = 500.0;
    e.simulation.threads = 2;
    e.records.resize(1); // spikes of exc only
    ASSERT_EQ(e.records[0].population, "exc");
    const run_result res = run(e);
    ASSERT_EQ(res.neurons, 12500u);
    ASSERT_EQ(res.synapses, 12500u * 1250u);
    for (const auto& p : res.populations) {
        EXPECT_GT(p.rate_hz, 33.0) << p.name;
        EXPECT_LT(p.rate_hz, 42.0) << p.name;
        EXPECT_GT(p.isi_cv, 0.36) << p.name;
        EXPECT_LT(p.isi_cv, 0.48) << p.name;
    }
    // Population activity of exc in 1 ms bins after a 100 ms transient.
    std::vector<double> bins(400, 0.0);
    for (const auto& s : res.spikes) {
        const double t = (s.step + 1) * res.dt;
        if (t >= 100.0 && t < 500.0) bins[static_cast<std::size_t>(t - 100.0)] += 1;
    }
    double mean = 0, sq = 0;
    for (double b : bins) {
        mean += b;
        sq += b * b;
    }
    mean /= bins.size();
    const double cv = std::sqrt(sq / bins.size() - mean * mean) / mean;
    EXPECT_GT(cv, 0.3) << "population activity is smoother than the reference";
    EXPECT_LT(cv, 0.75) << "population activity is synchronous";
}

} // namespace
} // namespace nm::test
