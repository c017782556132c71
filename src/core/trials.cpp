// Trial protocols: building them from [trials], driving the input, noting the readout's
// responses, the closed-loop reward, and the assessment after the run.
#include "core/trials.hpp"

#include "core/bind.hpp"
#include "nm/errors.hpp"
#include "train/data.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace nm {

namespace {

// The training and test samples: a dataset's split, or the inline patterns (both roles).
train::data_split load_samples(const trials_spec& spec, std::uint64_t seed) {
    auto fail = [&](const std::string& msg) { throw bad_config(located(spec.where, msg)); };
    if (spec.dataset.empty() == spec.patterns.empty())
        fail("[trials]: give either dataset = \"NAME\" or patterns = [[...], ...] with labels");
    if (!spec.dataset.empty()) {
        data_spec d;
        d.dataset = spec.dataset;
        d.test_fraction = spec.test_fraction;
        d.where = spec.where;
        return train::load_split(d, seed);
    }
    if (spec.labels.size() != spec.patterns.size())
        fail("[trials]: " + std::to_string(spec.patterns.size()) + " patterns but " +
             std::to_string(spec.labels.size()) + " labels; give one label per pattern");
    dataset d;
    d.name = "patterns";
    d.features = static_cast<std::uint32_t>(spec.patterns.front().size());
    for (std::size_t k = 0; k < spec.patterns.size(); ++k) {
        const auto& row = spec.patterns[k];
        if (row.size() != d.features)
            fail("[trials] patterns[" + std::to_string(k) + "] has " + std::to_string(row.size()) +
                 " values; patterns[0] has " + std::to_string(d.features));
        for (double x : row)
            if (!(x >= 0 && x <= 1))
                fail("[trials] patterns[" + std::to_string(k) + "]: value " + format_number(x) +
                     " must be in [0, 1] (a fraction of max_rate)");
        d.x.insert(d.x.end(), row.begin(), row.end());
        d.labels.push_back(static_cast<std::int32_t>(spec.labels[k]));
    }
    d.samples = static_cast<std::uint32_t>(spec.patterns.size());
    train::data_split s;
    s.train = d;
    s.test = d;
    for (auto l : d.labels) s.classes = std::max(s.classes, l + 1);
    return s;
}

const char* phase_name(const trial_protocol& tp, std::uint64_t trial) {
    if (trial < tp.learn) return "learn";
    return trial < tp.learn + tp.label ? "label" : "test";
}

// vote: each neuron's class from trials [begin, end): the class with the highest mean count.
std::vector<int> label_neurons(const trial_protocol& tp, std::uint64_t begin, std::uint64_t end,
                               std::uint32_t n) {
    std::vector<double> sum(std::size_t{n} * tp.classes, 0.0);
    std::vector<std::uint32_t> shown(tp.classes, 0);
    for (std::uint64_t k = begin; k < end; ++k) {
        const std::uint32_t c = tp.label_of[k];
        ++shown[c];
        for (std::uint32_t j = 0; j < n; ++j) sum[j * tp.classes + c] += tp.counts[k * n + j];
    }
    std::vector<int> out(n, -1);
    for (std::uint32_t j = 0; j < n; ++j) {
        double best = 0.0;
        for (std::uint32_t c = 0; c < tp.classes; ++c) {
            if (shown[c] == 0) continue;
            const double mean = sum[j * tp.classes + c] / shown[c];
            if (mean > best) {
                best = mean;
                out[j] = static_cast<int>(c);
            }
        }
    }
    return out;
}

// vote: the class whose labelled neurons fired most on average in trial k (-1: none fired).
int vote(const trial_protocol& tp, const std::vector<int>& neuron_class, std::uint64_t k) {
    const std::uint32_t n = static_cast<std::uint32_t>(neuron_class.size());
    std::vector<double> sum(tp.classes, 0.0);
    std::vector<std::uint32_t> members(tp.classes, 0);
    for (std::uint32_t j = 0; j < n; ++j) {
        if (neuron_class[j] < 0) continue;
        sum[neuron_class[j]] += tp.counts[k * n + j];
        ++members[neuron_class[j]];
    }
    int best = -1;
    double best_mean = 0.0;
    for (std::uint32_t c = 0; c < tp.classes; ++c)
        if (members[c] > 0 && sum[c] / members[c] > best_mean) {
            best_mean = sum[c] / members[c];
            best = static_cast<int>(c);
        }
    return best;
}

// first_spike: the neuron that fired first in trial k (-1: none, or a tie).
int first_spiker(const trial_protocol& tp, std::uint64_t k, std::uint32_t n) {
    const std::uint32_t* first = tp.first_step.data() + k * n;
    const std::uint32_t earliest = *std::min_element(first, first + n);
    if (earliest == trial_protocol::no_spike) return -1;
    std::vector<std::uint32_t> firing;
    for (std::uint32_t j = 0; j < n; ++j)
        if (first[j] == earliest) firing.push_back(j);
    return first_answer(firing);
}

} // namespace

trial_protocol build_trials(const trials_spec& spec,
                            std::span<const std::unique_ptr<population>> populations, double dt,
                            std::uint64_t steps, std::uint64_t seed) {
    auto fail = [&](const std::string& msg) {
        throw bad_parameter(located(spec.where, "[trials] " + msg));
    };
    trial_protocol tp;
    tp.input = population_index(populations, spec.input, spec.where, "[trials] input");
    tp.readout = population_index(populations, spec.readout, spec.where, "[trials] readout");
    if (!(spec.present > 0) || !std::isfinite(spec.present))
        fail("present = " + format_number(spec.present) + " ms must be > 0");
    if (!(spec.rest >= 0) || !std::isfinite(spec.rest))
        fail("rest = " + format_number(spec.rest) + " ms must be >= 0");
    if (!(spec.max_rate > 0 && spec.max_rate * dt * 1e-3 <= 1.0))
        fail("max_rate = " + format_number(spec.max_rate) +
             " Hz must be in (0, 1/dt = " + format_number(1000.0 / dt) + " Hz]");
    if (!std::isfinite(spec.weight)) fail("weight must be a finite number");
    if (spec.trials() == 0) fail("learn + label + test is 0: nothing to present");
    if (spec.decode != "vote" && spec.decode != "first_spike")
        fail("decode = \"" + spec.decode + "\"" +
             did_you_mean(spec.decode, {"vote", "first_spike"}));
    tp.decode = spec.decode == "vote" ? trial_decode::vote : trial_decode::first_spike;
    if (tp.decode == trial_decode::vote && spec.test > 0 && spec.label == 0)
        fail("decode = \"vote\" labels the readout neurons in label trials: label must be > 0");
    if (!std::isfinite(spec.reward) || !std::isfinite(spec.punishment))
        fail("reward and punishment must be finite numbers");
    tp.present_steps = static_cast<std::uint64_t>(std::llround(spec.present / dt));
    tp.trial_steps = tp.present_steps + static_cast<std::uint64_t>(std::llround(spec.rest / dt));
    if (tp.present_steps == 0) fail("present = " + format_number(spec.present) + " ms is < dt");
    tp.learn = spec.learn;
    tp.label = spec.label;
    tp.test = spec.test;
    if (steps != tp.trials() * tp.trial_steps)
        fail("sets the duration to " + std::to_string(tp.trials()) + " trials x " +
             format_number(spec.trial_ms()) + " ms; do not change it with --duration");
    tp.reward = spec.reward;
    tp.punishment = spec.punishment;

    const train::data_split data = load_samples(spec, seed);
    tp.features = data.train.features;
    tp.classes = static_cast<std::uint32_t>(data.classes);
    tp.train_samples = data.train.samples;
    if (populations[tp.input]->size() != tp.features)
        fail("input population \"" + spec.input + "\" has " +
             std::to_string(populations[tp.input]->size()) + " neurons; the samples have " +
             std::to_string(tp.features) + " features (one input neuron each)");
    const std::uint64_t n_out = populations[tp.readout]->size();
    if (tp.decode == trial_decode::first_spike && n_out < tp.classes)
        fail("decode = \"first_spike\" needs one readout neuron per class: \"" + spec.readout +
             "\" has " + std::to_string(n_out) + ", the data " + std::to_string(tp.classes) +
             " classes");
    const bool inline_patterns = spec.dataset.empty();
    if (!inline_patterns && spec.test > data.test.samples)
        fail("test = " + std::to_string(spec.test) + " but the data hold " +
             std::to_string(data.test.samples) + " test samples");

    // Learn and label trials walk through the training samples, reshuffled every pass; test
    // trials take the test samples in order (inline patterns: reshuffled passes again).
    tp.rows = data.train.x;
    tp.rows.insert(tp.rows.end(), data.test.x.begin(), data.test.x.end());
    const rng_stream order_rng(seed, stream_id(purpose::trial_order, 0));
    auto walk = [&](const dataset& d, std::uint64_t trials, std::uint32_t first_row,
                    std::uint32_t round) {
        std::vector<std::uint32_t> order;
        for (std::uint64_t k = 0; k < trials; ++k) {
            const std::uint64_t at = k % d.samples;
            if (at == 0)
                order = train::seeded_order(d.samples, order_rng,
                                            round + static_cast<std::uint32_t>(k / d.samples));
            tp.row_of.push_back(first_row + order[at]);
            tp.label_of.push_back(static_cast<std::uint32_t>(d.labels[order[at]]));
        }
    };
    walk(data.train, tp.learn + tp.label, 0, 0);
    if (inline_patterns) {
        walk(data.test, tp.test, data.train.samples, 1u << 31);
    } else {
        for (std::uint32_t k = 0; k < tp.test; ++k) {
            tp.row_of.push_back(data.train.samples + k);
            tp.label_of.push_back(static_cast<std::uint32_t>(data.test.labels[k]));
        }
    }

    tp.p_spike = spec.max_rate * dt * 1e-3;
    tp.weight = spec.weight;
    tp.port = populations[tp.input]->port_for(port_request{});
    tp.rng = rng_stream(seed, stream_id(purpose::trial_input, 0));
    tp.counts.assign(tp.trials() * n_out, 0);
    tp.first_step.assign(tp.trials() * n_out, trial_protocol::no_spike);
    return tp;
}

void apply_trial_input(const trial_protocol& tp, population& input, range r, std::uint64_t step) {
    const std::uint64_t trial = step / tp.trial_steps;
    if (step - trial * tp.trial_steps >= tp.present_steps) return;
    const double* x = tp.rows.data() + std::size_t{tp.row_of[trial]} * tp.features;
    double* slot = input.ring_slot(tp.port, step);
    const auto step32 = static_cast<std::uint32_t>(step);
    for (std::uint64_t i = r.begin; i < r.end; ++i)
        if (x[i] > 0 && tp.rng.uniform(static_cast<std::uint32_t>(i), step32) < x[i] * tp.p_spike)
            slot[i] += tp.weight;
}

void record_trial_responses(trial_protocol& tp, const population& readout, unsigned thread,
                            std::uint64_t step) {
    const std::uint64_t trial = step / tp.trial_steps, within = step - trial * tp.trial_steps;
    if (within >= tp.present_steps) return;
    const spike_list& spikes = readout.spikes(thread, step);
    const std::uint64_t base = trial * readout.size();
    for (std::uint32_t k = 0; k < spikes.size; ++k) {
        const std::uint64_t at = base + spikes.neuron[k];
        tp.counts[at] += spikes.count[k];
        tp.first_step[at] = std::min(tp.first_step[at], static_cast<std::uint32_t>(within));
    }
}

int first_answer(std::span<const std::uint32_t> firing) {
    return firing.size() == 1 ? static_cast<int>(firing.front()) : -1;
}

double trial_reward(const trial_protocol& tp, const population& readout, unsigned threads,
                    std::uint64_t step, std::uint64_t& answered) {
    const std::uint64_t trial = step / tp.trial_steps;
    if (tp.decode != trial_decode::first_spike || trial >= tp.learn || answered == trial + 1 ||
        step - trial * tp.trial_steps >= tp.present_steps)
        return 0.0;
    std::uint32_t firing[2];
    std::uint32_t n = 0;
    for (unsigned t = 0; t < threads && n < 2; ++t) {
        const spike_list& spikes = readout.spikes(t, step);
        for (std::uint32_t k = 0; k < spikes.size && n < 2; ++k) firing[n++] = spikes.neuron[k];
    }
    if (n == 0) return 0.0;
    answered = trial + 1;
    const int answer = first_answer(std::span<const std::uint32_t>(firing, n));
    return answer == static_cast<int>(tp.label_of[trial]) ? tp.reward : tp.punishment;
}

trials_result assess_trials(const trial_protocol& tp) {
    trials_result r;
    r.decode = tp.decode == trial_decode::vote ? "vote" : "first_spike";
    r.classes = tp.classes;
    r.learn = static_cast<std::uint32_t>(tp.learn);
    r.label = static_cast<std::uint32_t>(tp.label);
    r.test = static_cast<std::uint32_t>(tp.test);
    const auto n = static_cast<std::uint32_t>(tp.counts.size() / tp.trials());
    const std::uint64_t test_begin = tp.learn + tp.label;

    if (tp.decode == trial_decode::vote) {
        r.neuron_class = label_neurons(tp, tp.learn, test_begin, n);
        r.labelled = static_cast<std::uint32_t>(std::count_if(
            r.neuron_class.begin(), r.neuron_class.end(), [](int c) { return c >= 0; }));
    }
    // Learning curve in up to 20 blocks of learn trials.
    const std::uint64_t block = std::max<std::uint64_t>(1, (tp.learn + 19) / 20);
    for (std::uint64_t b = 0; b * block < tp.learn; ++b) {
        const std::uint64_t begin = b * block, end = std::min(tp.learn, begin + block);
        std::vector<int> labels;
        if (tp.decode == trial_decode::vote) {
            if (b == 0) continue; // nothing labels the first block's neurons
            labels = label_neurons(tp, begin - std::min<std::uint64_t>(begin, 5 * block), begin, n);
        }
        std::uint64_t right = 0;
        for (std::uint64_t k = begin; k < end; ++k) {
            const int answer =
                tp.decode == trial_decode::vote ? vote(tp, labels, k) : first_spiker(tp, k, n);
            right += answer == static_cast<int>(tp.label_of[k]);
        }
        r.curve_trials.push_back(static_cast<double>(end));
        r.curve_accuracy.push_back(static_cast<double>(right) / static_cast<double>(end - begin));
    }

    std::vector<std::uint32_t> class_count(tp.classes, 0);
    std::uint64_t right = 0, test_spikes = 0;
    for (std::uint64_t k = 0; k < tp.trials(); ++k) {
        trial_row row;
        row.trial = static_cast<std::uint32_t>(k);
        row.sample = k >= test_begin ? tp.row_of[k] - tp.train_samples : tp.row_of[k];
        row.label = tp.label_of[k];
        row.phase = phase_name(tp, k);
        row.spikes = 0;
        for (std::uint32_t j = 0; j < n; ++j) row.spikes += tp.counts[k * n + j];
        row.prediction = tp.decode == trial_decode::first_spike ? first_spiker(tp, k, n)
                         : k >= test_begin                      ? vote(tp, r.neuron_class, k)
                                                                : -1;
        if (k >= test_begin) {
            right += row.prediction == static_cast<int>(row.label);
            test_spikes += row.spikes;
            ++class_count[row.label];
        }
        r.rows.push_back(row);
    }
    if (tp.test > 0) {
        r.accuracy = static_cast<double>(right) / static_cast<double>(tp.test);
        r.mean_spikes = static_cast<double>(test_spikes) / static_cast<double>(tp.test);
        r.chance = static_cast<double>(*std::max_element(class_count.begin(), class_count.end())) /
                   static_cast<double>(tp.test);
    }
    return r;
}

} // namespace nm
