// Trial protocols (the [trials] table): a dataset presented sample by sample to an input
// population, plasticity on while learning, then the readout population's responses classify.
//
//   trial k:  [0, present)  every input neuron i fires with probability x_i·max_rate·dt per
//                           step (a Bernoulli approximation of Poisson, exact in the limit
//                           max_rate·dt → 0), x_i the sample's feature i scaled to [0, 1];
//             [present, present + rest)  silence, so that the network relaxes.
//   phases:   learn (plasticity on; training samples, reshuffled every pass), label (plasticity
//             frozen; training samples), test (plasticity frozen; held-out samples).
//
// Decoding (as in Diehl & Cook 2015 for `vote`):
//   vote         each readout neuron is labelled with the class it fired most for during the
//                label phase (mean spikes per trial of that class); a test sample's prediction is
//                the class whose labelled neurons fired most on average during its presentation.
//   first_spike  readout neuron k stands for class k; the answer is the neuron that fires first
//                in the presentation (several at the same first step: no answer). While
//                learning, every rstdp projection receives `reward` for a right answer and
//                `punishment` for a wrong one, at the step of the answer (after the step's
//                spike pairings, so the deciding spike's eligibility counts).
#pragma once

#include "core/partition.hpp"
#include "core/philox.hpp"
#include "core/population.hpp"
#include "nm/experiment.hpp"
#include "nm/simulation.hpp"

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <vector>

namespace nm {

enum class trial_decode { vote, first_spike };

struct trial_protocol {
    std::uint32_t input = 0, readout = 0; // population indices
    std::uint64_t trial_steps = 0, present_steps = 0;
    std::uint64_t learn = 0, label = 0, test = 0;
    trial_decode decode = trial_decode::vote;
    double reward = 1.0, punishment = -1.0;
    std::uint32_t features = 0, classes = 0, train_samples = 0;
    std::vector<double> rows;            // samples × features, scaled to [0, 1]
    std::vector<std::uint32_t> row_of;   // per trial: its sample
    std::vector<std::uint32_t> label_of; // per trial: the sample's class
    double p_spike = 0.0, weight = 0.0;  // input spike probability per step at x = 1
    int port = 0;
    rng_stream rng;
    // Responses of the readout population during each presentation, [trial][neuron]: spike
    // count and the step of its first spike within the trial (no_spike if none).
    static constexpr std::uint32_t no_spike = std::numeric_limits<std::uint32_t>::max();
    std::vector<std::uint32_t> counts, first_step;

    std::uint64_t trials() const { return learn + label + test; }
    std::uint64_t learn_steps() const { return learn * trial_steps; }
};

// Validates `spec` against the network's populations and builds the protocol; `steps` must be
// the trials' duration.
trial_protocol build_trials(const trials_spec& spec,
                            std::span<const std::unique_ptr<population>> populations, double dt,
                            std::uint64_t steps, std::uint64_t seed);

// Adds this step's input events for the input neurons of `r`.
void apply_trial_input(const trial_protocol& tp, population& input, range r, std::uint64_t step);

// Notes the thread's own readout spikes of this step in the trial's responses.
void record_trial_responses(trial_protocol& tp, const population& readout, unsigned thread,
                            std::uint64_t step);

// The readout neuron that answers first among those firing at one step, or -1 when several do.
int first_answer(std::span<const std::uint32_t> firing);

// first_spike decoding while learning: the reward of this step (0 when no answer is made now).
// `answered` is the caller's own record of the last trial answered (one per thread: every thread
// computes the same value from the same spike lists).
double trial_reward(const trial_protocol& tp, const population& readout, unsigned threads,
                    std::uint64_t step, std::uint64_t& answered);

// Labels, predictions, accuracy and learning curve from the recorded responses.
trials_result assess_trials(const trial_protocol& tp);

} // namespace nm
