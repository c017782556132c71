// Trial protocols ([trials]): unsupervised feature learning on the digits (Diehl & Cook 2015)
// and reward-modulated association learning, each against a control without learning, so that
// a protocol which learned nothing fails; plus the bookkeeping the assessment relies on.
#include "helpers.hpp"

#include <nm/errors.hpp>
#include <nm/io.hpp>

#include <gtest/gtest.h>

#include <map>
#include <numeric>

namespace nm::test {
namespace {

const std::string examples = std::string(NM_SOURCE_DIR) + "/examples/";

// The example with other trial counts (the duration follows them).
experiment with_trials(const std::string& file, std::uint64_t learn, std::uint64_t label,
                       std::uint64_t test) {
    experiment e = load_experiment(examples + file);
    e.trials->learn = learn;
    e.trials->label = label;
    e.trials->test = test;
    e.simulation.duration = static_cast<double>(e.trials->trials()) * e.trials->trial_ms();
    return e;
}

double mean(const std::vector<double>& x, std::size_t from, std::size_t to) {
    return std::accumulate(x.begin() + from, x.begin() + to, 0.0) / static_cast<double>(to - from);
}

// The full example: 1000 unlabelled presentations, then 500 to label the neurons and the 539
// held-out digits. Random input weights with the same inhibition and labelling already classify
// well above chance (~61%): learning must add at least 15 points and reach 80%.
TEST(unsupervised_digits, stdp_features_classify_held_out_digits) {
    const experiment e = load_experiment(examples + "unsupervised_digits.toml");
    const run_result learned = run(e);
    ASSERT_TRUE(learned.trials);
    const trials_result& t = *learned.trials;
    EXPECT_EQ(t.test, 539u);
    EXPECT_EQ(t.classes, 10u);
    EXPECT_GE(t.accuracy, 0.80);
    EXPECT_GE(t.labelled, 90u);
    EXPECT_LT(t.chance, 0.15);

    const run_result untrained =
        run(with_trials("unsupervised_digits.toml", 0, e.trials->label, e.trials->test));
    EXPECT_GE(t.accuracy, untrained.trials->accuracy + 0.15)
        << "untrained " << untrained.trials->accuracy;

    // The normalisation after the last learning trial left every neuron's inputs summing to
    // w_sum (8), and frozen plasticity kept them there.
    const weight_record& w = learned.weights.at(0);
    std::map<std::uint32_t, double> sums;
    for (std::size_t k = 0; k < w.weight.size(); ++k) sums[w.post[k]] += w.weight[k];
    ASSERT_EQ(sums.size(), 100u);
    for (const auto& [neuron, sum] : sums) EXPECT_NEAR(sum, 8.0, 1e-3) << "neuron " << neuron;
}

// Two patterns, two outputs, reward at the first output spike: the answers start at chance and
// end right; without learning (eta = 0) they stay near chance.
TEST(rstdp_association, reward_teaches_which_output_answers_which_pattern) {
    const run_result r = run(load_experiment(examples + "rstdp_association.toml"));
    ASSERT_TRUE(r.trials);
    const trials_result& t = *r.trials;
    ASSERT_EQ(t.curve_accuracy.size(), 20u);
    EXPECT_LE(t.curve_accuracy.front(), 0.8);
    EXPECT_GE(mean(t.curve_accuracy, 10, 20), 0.9);
    EXPECT_GE(t.accuracy, 0.9);
    EXPECT_EQ(t.chance, 0.5);

    experiment frozen = load_experiment(examples + "rstdp_association.toml");
    frozen.projections[0].synapse.plasticity.params.push_back({"eta", 0.0, ""});
    const run_result control = run(frozen);
    EXPECT_LE(mean(control.trials->curve_accuracy, 10, 20), 0.75);
    EXPECT_LE(control.trials->accuracy, 0.75);
}

TEST(rstdp_association, trial_results_do_not_depend_on_thread_count) {
    experiment e = with_trials("rstdp_association.toml", 60, 0, 20);
    const run_result one = run(e);
    e.simulation.threads = 2;
    const run_result two = run(e);
    ASSERT_EQ(one.trials->rows.size(), two.trials->rows.size());
    for (std::size_t k = 0; k < one.trials->rows.size(); ++k) {
        EXPECT_EQ(one.trials->rows[k].prediction, two.trials->rows[k].prediction);
        EXPECT_EQ(one.trials->rows[k].spikes, two.trials->rows[k].spikes);
    }
    // Weights are listed by thread shard: compare them by synapse.
    auto by_synapse = [](const weight_record& w) {
        std::map<std::pair<std::uint32_t, std::uint32_t>, float> out;
        for (std::size_t k = 0; k < w.weight.size(); ++k) out[{w.pre[k], w.post[k]}] = w.weight[k];
        return out;
    };
    EXPECT_EQ(by_synapse(one.weights.at(0)), by_synapse(two.weights.at(0)));
}

// Every trial row carries its phase, sample and label in order; test samples are the held-out
// split in order; with learning frozen from the start the weights never move.
TEST(trials, rows_follow_the_phases_and_frozen_plasticity_keeps_the_weights) {
    const experiment e = with_trials("unsupervised_digits.toml", 0, 6, 4);
    experiment statics = e;
    statics.projections[0].synapse.plasticity = {};
    const run_result r = run(e), s = run(statics);
    ASSERT_EQ(r.trials->rows.size(), 10u);
    for (std::uint32_t k = 0; k < 10; ++k) {
        EXPECT_EQ(r.trials->rows[k].trial, k);
        EXPECT_STREQ(r.trials->rows[k].phase, k < 6 ? "label" : "test");
        if (k >= 6) {
            EXPECT_EQ(r.trials->rows[k].sample, k - 6);
        }
    }
    EXPECT_EQ(r.spikes_total, s.spikes_total);
}

TEST(trials, bad_settings_are_refused) {
    auto refuses = [](auto&& edit) {
        experiment e = with_trials("rstdp_association.toml", 4, 0, 2);
        edit(e);
        EXPECT_THROW(run(e), error);
    };
    refuses([](experiment& e) { e.trials->readout = "outptu"; });
    refuses([](experiment& e) { e.trials->present = 0.0; });
    refuses([](experiment& e) { e.trials->max_rate = 20000.0; }); // above 1/dt
    refuses([](experiment& e) { e.trials->decode = "votes"; });
    refuses([](experiment& e) { e.trials->decode = "vote"; }); // vote needs label trials
    refuses([](experiment& e) { e.trials->labels = {0}; });    // one label per pattern
    refuses([](experiment& e) { e.trials->patterns[1].pop_back(); });
    refuses([](experiment& e) { e.trials->patterns[0][0] = 1.5; });
    refuses([](experiment& e) { e.populations[0].size = 19; }); // one input per feature
    refuses([](experiment& e) { e.simulation.duration += 1.0; });
    refuses([](experiment& e) { e.trials->dataset = "digits"; }); // and patterns
}

} // namespace
} // namespace nm::test
