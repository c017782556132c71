// The step loop. One OpenMP team lives for the whole run; thread t owns chunk t of every
// population and shard t of every projection (the synapses onto that chunk). Each step:
//
//   1. deliver + update  for every population: stimuli add this step's Poisson events and
//                        currents to the thread's chunk; then each neuron reads and clears its
//                        ring slot for this step (deliver), integrates, fires and resets, and
//                        the thread lists its spikes (population_impl.hpp).
//   2. record            spikes and state traces of the thread's own neurons.
//   -- barrier --        every thread's spike list for this step is complete (spin_barrier.hpp).
//   3. plasticity        for a plastic projection, the thread first updates its shard's
//                        weights for this step's spikes (src/plasticity/plasticity.hpp);
//   4. propagate         for every projection, the thread walks the spikes of all threads in
//                        thread order (= neuron order) along its shard's CSR rows and adds
//                        each weight into its target's ring slot at step + delay; synaptic
//                        events are counted per row walked.
//
// No second barrier is needed: a thread reads and writes only the ring slots of its own
// neurons, and spike lists are double-buffered by step parity, so a thread may start step k+1
// while others still read the lists of step k. Every target receives its inputs in the same
// order for any thread count, hence bit-identical spikes for 1, 2 or N threads.
#include "nm/simulation.hpp"

#include "core/fields.hpp"
#include "core/network.hpp"
#include "core/spin_barrier.hpp"
#include "nm/errors.hpp"
#include "plasticity/plasticity.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include <omp.h>

namespace nm {

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// The weight a synapse delivers: the stored one (devices read it through device_read).
struct stored_weight {
    double operator()(double w, std::uint64_t, std::uint32_t, std::uint32_t, std::uint64_t) const {
        return w;
    }
};

// Walks one shard of a projection for this step's spikes. Returns synaptic events.
template<bool VaryingWeight, bool VaryingDelay, bool Complex, class Read = stored_weight>
std::uint64_t propagate(const projection& p, const csr_shard& s, population& post,
                        const network& net, std::uint64_t step, const Read& read = {}) {
    input_port& port = post.port(p.port);
    double* ring = port.ring.data();
    double* ring_im = Complex ? port.ring_im.data() : nullptr;
    const std::uint64_t n = post.size(), mask = post.ring_mask();
    const std::uint64_t fixed_slot = ((step + p.delay) & mask) * n;
    const population& pre = *net.populations[p.pre];
    std::uint64_t events = 0;
    for (unsigned t = 0; t < net.parts.threads; ++t) {
        const spike_list& spikes = pre.spikes(t, step);
        for (std::uint32_t k = 0; k < spikes.size; ++k) {
            const std::uint32_t i = spikes.neuron[k];
            const double count = spikes.count[k];
            const std::uint64_t begin = s.offsets[i], end = s.offsets[i + 1];
            events += end - begin;
            for (std::uint64_t x = begin; x < end; ++x) {
                const std::uint32_t packed = s.targets[x];
                std::uint64_t at;
                if constexpr (VaryingDelay)
                    at = ((step + (packed >> p.delay_shift)) & mask) * n + (packed & p.target_mask);
                else
                    at = fixed_slot + packed;
                const double w = read(VaryingWeight ? s.weights[x] : p.weight, x, i,
                                      packed & p.target_mask, step);
                ring[at] += count * w;
                if constexpr (Complex)
                    ring_im[at] += count * (s.weights_im.empty() ? p.weight_im : s.weights_im[x]);
            }
        }
    }
    return events;
}

std::uint64_t propagate_shard(const projection& p, unsigned thread, network& net,
                              std::uint64_t step) {
    population& post = *net.populations[p.post];
    const csr_shard& s = p.shards[thread];
    // One dispatch per projection per step; the loops inside are branch-free.
    if (p.plastic && p.plastic->device.enabled) {
        const device_read read{p.plastic.get(), &p.plastic->shards[thread],
                               static_cast<double>(step)};
        if (p.complex_weight) { // the device holds the real part; the imaginary one is fixed
            if (p.varying_delay) return propagate<true, true, true>(p, s, post, net, step, read);
            return propagate<true, false, true>(p, s, post, net, step, read);
        }
        if (p.varying_delay) return propagate<true, true, false>(p, s, post, net, step, read);
        return propagate<true, false, false>(p, s, post, net, step, read);
    }
    if (p.complex_weight) {
        if (p.varying_weight) {
            if (p.varying_delay) return propagate<true, true, true>(p, s, post, net, step);
            return propagate<true, false, true>(p, s, post, net, step);
        }
        if (p.varying_delay) return propagate<false, true, true>(p, s, post, net, step);
        return propagate<false, false, true>(p, s, post, net, step);
    }
    if (p.varying_weight) {
        if (p.varying_delay) return propagate<true, true, false>(p, s, post, net, step);
        return propagate<true, false, false>(p, s, post, net, step);
    }
    if (p.varying_delay) return propagate<false, true, false>(p, s, post, net, step);
    return propagate<false, false, false>(p, s, post, net, step);
}

void record_spikes(spike_recorder& rec, const population& pop, unsigned thread,
                   std::uint64_t step) {
    if (step < rec.start || step >= rec.stop) return;
    const spike_list& spikes = pop.spikes(thread, step);
    auto& out = rec.by_thread[thread];
    const bool timed = pop.off_grid();
    for (std::uint32_t k = 0; k < spikes.size; ++k) {
        const std::uint32_t i = spikes.neuron[k];
        if (rec.selected.empty() || rec.selected[i])
            out.push_back({static_cast<std::uint32_t>(step), rec.population, i, spikes.count[k],
                           timed ? spikes.offset[k] : -1.0f});
    }
}

void record_trace(trace_recorder& rec, unsigned thread, std::uint64_t step) {
    if (step < rec.start || step >= rec.stop || (step - rec.start) % rec.every != 0) return;
    const std::uint64_t sample = (step - rec.start) / rec.every;
    double* row = rec.values.data() + sample * rec.neurons.size();
    for (std::uint32_t j : rec.by_thread[thread]) row[j] = rec.column[rec.neurons[j]];
}

// Synaptic events per projection, one row per thread (rows padded apart: no false sharing).
struct event_counters {
    std::size_t stride = 0;
    std::vector<std::uint64_t> counts;
    event_counters(unsigned threads, std::size_t projections)
        : stride((projections + 7) / 8 * 8 + 8), counts(threads * stride, 0) {}
    std::uint64_t& at(unsigned thread, std::size_t projection) {
        return counts[thread * stride + projection];
    }
};

population_result summarize(const population& pop, double duration_ms) {
    population_result r;
    r.name = pop.name();
    r.model = pop.model();
    r.size = pop.size();
    const spike_stats& st = pop.stats();
    double cv_sum = 0.0;
    std::uint64_t cv_n = 0;
    for (std::uint64_t i = 0; i < pop.size(); ++i) {
        r.spikes += st.spikes[i];
        if (st.isi_n[i] >= 2) {
            const double mean = st.isi_sum[i] / st.isi_n[i];
            const double var = std::max(0.0, st.isi_sq[i] / st.isi_n[i] - mean * mean);
            cv_sum += std::sqrt(var) / mean;
            ++cv_n;
        }
    }
    r.rate_hz =
        static_cast<double>(r.spikes) / (static_cast<double>(pop.size()) * duration_ms * 1e-3);
    r.isi_cv = cv_n ? cv_sum / static_cast<double>(cv_n) : std::numeric_limits<double>::quiet_NaN();
    return r;
}

// Per population: the largest number of synapses onto one of its neurons (all projections).
std::vector<std::uint64_t> max_fan_in(const network& net) {
    std::vector<std::vector<std::uint32_t>> in(net.populations.size());
    for (std::size_t p = 0; p < net.populations.size(); ++p)
        in[p].assign(net.populations[p]->size(), 0);
    for (const projection& proj : net.projections)
        for (const csr_shard& s : proj.shards)
            for (const std::uint32_t packed : s.targets) ++in[proj.post][packed & proj.target_mask];
    std::vector<std::uint64_t> out;
    for (const auto& counts : in)
        out.push_back(counts.empty() ? 0 : *std::max_element(counts.begin(), counts.end()));
    return out;
}

// A model that diverged (an ODE driven too hard for its tolerance, a parameter set without a
// stable regime) leaves inf or NaN in its state: refuse the results rather than report them.
void check_finite(const network& net) {
    for (const auto& pop : net.populations)
        for (const std::string& field : pop->state_names()) {
            const double* column = pop->state_column(field);
            for (std::uint64_t i = 0; column && i < pop->size(); ++i)
                if (!std::isfinite(column[i]))
                    throw bad_parameter("population \"" + pop->name() + "\" (model " +
                                        pop->model() + "): " + field + " of neuron " +
                                        std::to_string(i) + " is " + format_number(column[i]) +
                                        " at the end of the run: the model diverged; check its "
                                        "parameters and input, or use a smaller dt or tolerance");
        }
}

// Every synapse of a plastic projection with its weight at the end of the run, by source.
weight_record learned_weights(const projection& p) {
    weight_record out;
    out.projection = p.name;
    out.rule = p.plastic->rule_name;
    out.pre_population = p.pre;
    out.post_population = p.post;
    for (std::size_t t = 0; t < p.shards.size(); ++t) {
        const csr_shard& s = p.shards[t];
        for (std::uint64_t i = 0; i + 1 < s.offsets.size(); ++i)
            for (std::uint64_t x = s.offsets[i]; x < s.offsets[i + 1]; ++x) {
                out.pre.push_back(static_cast<std::uint32_t>(i));
                out.post.push_back(s.targets[x] & p.target_mask);
                out.weight.push_back(s.weights[x]);
            }
        const plastic_shard& ps = p.plastic->shards[t];
        out.updates += ps.updates;
        for (std::uint32_t n : ps.pulses) {
            out.pulses_total += n;
            out.pulses_max = std::max<std::uint64_t>(out.pulses_max, n);
        }
    }
    out.program_energy_j = static_cast<double>(out.pulses_total) * p.plastic->device.e_program;
    return out;
}

// The CPU step loop (see the top of this file); returns synaptic events per projection.
std::vector<std::uint64_t> run_on_threads(network& net, const progress_fn& progress) {
    const unsigned threads = net.parts.threads;
    trial_protocol* trials = net.trials ? &*net.trials : nullptr;
    spin_barrier step_barrier(threads);
    event_counters counters(threads, net.projections.size());
    const std::uint64_t progress_every = std::max<std::uint64_t>(1, net.steps / 100);
    int team_size = 0;

    omp_set_dynamic(0);
#pragma omp parallel num_threads(threads)
    {
        const auto t = static_cast<unsigned>(omp_get_thread_num());
        std::uint64_t answered = 0; // first_spike trials: this thread's last answered trial + 1
#pragma omp single
        team_size = omp_get_num_threads();
        // `single` ends with a barrier, so every thread sees team_size here.
        if (team_size == static_cast<int>(threads)) {
            for (std::uint64_t step = 0; step < net.steps; ++step) {
                for (std::uint32_t p = 0; p < net.populations.size(); ++p) {
                    population& pop = *net.populations[p];
                    const range r = pop.chunk(t);
                    if (pop.has_current())
                        std::fill(pop.current().begin() + r.begin, pop.current().begin() + r.end,
                                  0.0);
                    for (const stimulus& s : net.stimuli[p]) apply(s, pop, r, step);
                    if (trials && p == trials->input) apply_trial_input(*trials, pop, r, step);
                    pop.update(t, step);
                }
                for (auto& rec : net.spike_recorders)
                    record_spikes(rec, *net.populations[rec.population], t, step);
                for (auto& rec : net.trace_recorders) record_trace(rec, t, step);
                if (trials)
                    record_trial_responses(*trials, *net.populations[trials->readout], t, step);
                if (threads > 1) step_barrier.wait();
                const bool learning = !trials || step < trials->learn_steps();
                const double reward = trials && learning
                                          ? trial_reward(*trials, *net.populations[trials->readout],
                                                         threads, step, answered)
                                          : 0.0;
                for (std::size_t j = 0; j < net.projections.size(); ++j) {
                    projection& proj = net.projections[j];
                    if (proj.plastic && learning) apply_plasticity(proj, t, net, step, reward);
                    counters.at(t, j) += propagate_shard(proj, t, net, step);
                }
                if (t == 0 && progress && (step + 1) % progress_every == 0)
                    progress(step + 1, net.steps);
            }
        }
    }
    if (team_size != static_cast<int>(threads))
        throw device_error("asked for " + std::to_string(threads) + " threads but OpenMP gave " +
                           std::to_string(team_size) + " (check OMP_THREAD_LIMIT)");

    std::vector<std::uint64_t> events(net.projections.size(), 0);
    for (std::size_t j = 0; j < events.size(); ++j)
        for (unsigned t = 0; t < threads; ++t) events[j] += counters.at(t, j);
    return events;
}

} // namespace

struct simulation::impl {
    network net;
    double build_s = 0.0;
    bool done = false;
};

simulation::simulation(const experiment& e) : impl_(std::make_unique<impl>()) {
    const auto t0 = clock_type::now();
    impl_->net = build_network(e);
    impl_->build_s = seconds_since(t0);
}

simulation::~simulation() = default;

run_result simulation::run(const progress_fn& progress, const device_simulator& device) {
    if (impl_->done) throw bad_config("a simulation runs once; build a new one to run again");
    impl_->done = true;
    network& net = impl_->net;
    const unsigned threads = net.parts.threads;
    std::vector<std::uint64_t> events;
    device_totals on_device;
    const auto t0 = clock_type::now();
    if (device) {
        on_device = device(net, progress);
        events = on_device.events;
    } else {
        events = run_on_threads(net, progress);
    }
    check_finite(net);

    run_result res;
    res.simulate_s = seconds_since(t0) - on_device.setup_s;
    res.build_s = impl_->build_s + on_device.setup_s;
    res.dt = net.dt;
    res.duration_ms = static_cast<double>(net.steps) * net.dt;
    res.seed = net.seed;
    res.threads = static_cast<int>(threads);
    res.steps = net.steps;
    res.neurons = net.neurons();
    res.synapses = net.synapses();
    res.memory_bytes = net.memory_bytes();
    res.synapse_bytes = net.synapse_bytes();
    res.real_time_factor = res.simulate_s / (res.duration_ms * 1e-3);
    const std::vector<std::uint64_t> fan_in = max_fan_in(net);
    for (std::size_t p = 0; p < net.populations.size(); ++p) {
        const auto& pop = net.populations[p];
        res.populations.push_back(summarize(*pop, res.duration_ms));
        res.populations.back().max_fan_in = fan_in[p];
        res.populations.back().neuron_updates = pop->size() * net.steps;
        for (std::uint32_t j : net.outgoing[p]) res.populations.back().synaptic_events += events[j];
        res.synaptic_events += res.populations.back().synaptic_events;
        res.population_names.push_back(pop->name());
        res.spikes_total += res.populations.back().spikes;
    }
    for (auto& rec : net.spike_recorders)
        for (auto& list : rec.by_thread) {
            res.spikes.insert(res.spikes.end(), list.begin(), list.end());
            list = {};
        }
    res.spikes.insert(res.spikes.end(), on_device.spikes.begin(), on_device.spikes.end());
    res.device = on_device.device;
    res.device_plan = on_device.plan;
    std::sort(res.spikes.begin(), res.spikes.end(),
              [](const spike_record& a, const spike_record& b) {
                  return std::tie(a.step, a.population, a.neuron) <
                         std::tie(b.step, b.population, b.neuron);
              });
    for (const projection& proj : net.projections)
        if (proj.plastic) res.weights.push_back(learned_weights(proj));
    if (net.trials) res.trials = assess_trials(*net.trials);
    for (auto& rec : net.trace_recorders) {
        trace_record tr;
        tr.population = net.populations[rec.population]->name();
        tr.field = rec.field;
        tr.neurons = rec.neurons;
        for (std::uint64_t k = 0; k < rec.samples; ++k)
            tr.times_ms.push_back(static_cast<double>(rec.start + k * rec.every + 1) * net.dt);
        tr.values = std::move(rec.values);
        res.traces.push_back(std::move(tr));
    }
    return res;
}

} // namespace nm
