// Running a built network on the GPU (--device cuda): checks that every part of it is one the
// step kernels implement, uploads it (state, rings, synapse tables laid out by sim_tables.hpp,
// stimuli, plasticity and trial state), steps it in CUDA graphs of up to `chunk` steps, and
// writes the state, spike statistics, learned weights and trial responses back into the
// network so that the CPU's reporting (rates, ISI CV, weights, trial results) reads them as
// usual.
#include "backends/cuda/buffer.hpp"
#include "backends/cuda/cuda.hpp"
#include "backends/cuda/sim_models.hpp"
#include "backends/cuda/sim_steps.hpp"
#include "backends/cuda/sim_tables.hpp"
#include "core/network.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <string>

namespace nm::cuda {

namespace {

// How many ELL entries (targets × longest incoming list, summed) the automatic projections
// may hold to be walked post-synaptically: 4 MB of sources read per step, about 1.5 µs at the
// H100's bandwidth, against the spread's launch and atomics (8-9 µs per step for two launches
// in the 4,000-neuron networks). Unmeasured: bench/kernels/NOTES.md.
constexpr std::uint64_t automatic_post_entries = std::uint64_t{1} << 20;

[[noreturn]] void refuse(const std::string& what) {
    throw bad_config("--device cuda: " + what + "; the GPU runs populations of " + model_names() +
                     " (deterministic or escape-noise firing) with delta, exponential or alpha "
                     "current and conductance synapses, static or learning projections, every "
                     "stimulus, trial protocols, spike and state recording, within its limits; "
                     "run this experiment on the CPU");
}

class device_network {
public:
    explicit device_network(network& net) : net_(net) {
        NM_CUDA_CHECK(cudaSetDevice(0));
        NM_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
        check_supported();
        upload();
    }
    ~device_network() {
        if (graph_) cudaGraphExecDestroy(graph_);
        cudaFreeHost(host_base_);
        cudaStreamDestroy(stream_);
    }

    device_totals run(const progress_fn& progress) {
        const std::uint64_t steps = net_.steps;
        std::uint64_t done = 0;
        while (done < steps) {
            const std::uint64_t n = std::min(chunk_, steps - done);
            *host_base_ = done;
            if (n == chunk_) {
                if (!graph_) capture();
                NM_CUDA_CHECK(cudaGraphLaunch(graph_, stream_));
            } else { // the last, shorter chunk: launched one by one
                NM_CUDA_CHECK(cudaMemcpyAsync(base_.data(), host_base_, sizeof(std::uint64_t),
                                              cudaMemcpyHostToDevice, stream_));
                enqueue_steps(view_, schedule_, 0, n, stream_);
            }
            done += n;
            collect_records();
            if (progress) progress(done, steps);
        }
        if (view_.gathers && steps > 0) {
            finish_gathers(view_, schedule_, steps - 1, stream_);
            NM_CUDA_CHECK(cudaStreamSynchronize(stream_));
        }
        return finish();
    }

private:
    void check_supported() const {
        std::uint64_t total = 0;
        for (const auto& pop : net_.populations) {
            const std::string where = "population \"" + pop->name() + "\"";
            if (pop->ports() > max_ports) refuse(where + " has more than 4 synapse ports");
            total += pop->size();
        }
        if (total >= (std::uint64_t{1} << 32)) refuse("more than 2^32 neurons");
        for (const projection& proj : net_.projections) check_plastic(proj);
    }

    // What of a projection's learning the GPU runs: spike-timing rules, walked
    // post-synaptically.
    static void check_plastic(const projection& p) {
        const std::string where = "projection " + p.name;
        if (!p.plastic) return;
        if (p.propagation == propagation::pre)
            refuse(where + " is plastic: the GPU walks plastic projections post-synaptically "
                           "(propagation = \"post\" or \"auto\")");
        if (p.max_delay > 0xFFFF) refuse(where + " has delays over 65535 steps");
    }

    void upload() {
        const std::size_t n_pops = net_.populations.size();
        std::vector<sim_population> pops(n_pops);
        std::uint64_t first = 0, recorded = 0;
        coeffs_.resize(n_pops);
        for (std::size_t p = 0; p < n_pops; ++p) {
            population& pop = *net_.populations[p];
            sim_population& d = pops[p];
            d.first = first;
            d.size = pop.size();
            d.index = static_cast<std::uint32_t>(p);
            d.ring_mask = pop.ring_mask();
            const int model = upload_model(pop, d, coeffs_[p]);
            if (schedule_.runs.empty() || schedule_.runs.back().model != model)
                schedule_.runs.push_back({model, static_cast<std::uint32_t>(p),
                                          static_cast<std::uint32_t>(p), first, 0});
            schedule_.runs.back().end_pop = static_cast<std::uint32_t>(p + 1);
            schedule_.runs.back().size += pop.size();
            d.ports = pop.ports();
            for (int k = 0; k < pop.ports(); ++k) {
                const input_port& src = pop.port(k);
                sim_port& port = d.port[k];
                port.kind = kind_of(src);
                rings_.emplace_back().upload(src.ring.data(), src.ring.size());
                port.ring = rings_.back().data();
                if (src.kind != port_kind::delta) {
                    port.decay = src.decay;
                    port.e_rev = src.e_rev;
                    port.arrival_scale = src.arrival_scale;
                    port.dt = net_.dt;
                    if (src.exact) upload_kernels(src.kernel_re, port.kernel, port.kernels);
                    if (src.exact && is_alpha(src.kind))
                        upload_kernels(src.rise_kernel_re, port.rise_kernel, port.rise_kernels);
                    currents_.emplace_back().upload(src.current.data(), src.current.size());
                    port.x = currents_.back().data();
                }
                if (is_alpha(src.kind)) {
                    rises_.emplace_back().upload(src.rise.data(), src.rise.size());
                    port.y = rises_.back().data();
                }
            }
            if (pop.is_complex()) upload_imaginary_ports(pop, d);
            upload_stimuli(net_.stimuli[p], d);
            first += pop.size();
        }
        std::vector<std::vector<sim_recorder>> recorders(n_pops);
        for (const spike_recorder& r : net_.spike_recorders) {
            recorders[r.population].push_back({r.start, r.stop, upload(masks_, r.selected)});
            recorded += pops[r.population].size;
        }
        for (std::size_t p = 0; p < n_pops; ++p) {
            pops[p].recorders = upload(recorders_, recorders[p]);
            pops[p].n_recorders = static_cast<int>(recorders[p].size());
        }
        view_.neurons = first;
        view_.n_pops = static_cast<int>(n_pops);

        // State columns, global index: column k holds field k of each population's model
        // (zeros past a model's last field).
        for (std::size_t k = 0; k < max_state; ++k) {
            std::vector<double> column(first, 0.0);
            for (std::size_t p = 0; p < n_pops; ++p) {
                const auto fields = state_fields(*net_.populations[p]);
                if (k >= fields.size()) continue;
                const double* c = net_.populations[p]->state_column(fields[k]);
                std::copy(c, c + pops[p].size, column.begin() + pops[p].first);
            }
            state_[k].upload(column.data(), column.size());
            view_.state[k] = state_[k].data();
        }
        for (auto* b : {&spikes_, &isi_n_}) zeros(*b, first);
        zeros(isi_sum_, first);
        zeros(isi_sq_, first);
        last_step_.upload(std::vector<std::int64_t>(first, -1).data(), first);
        view_.spikes = spikes_.data();
        view_.isi_n = isi_n_.data();
        view_.isi_sum = isi_sum_.data();
        view_.isi_sq = isi_sq_.data();
        view_.last_step = last_step_.data();
        upload_projections(pops);
        if (net_.trials) upload_trials(*net_.trials, pops);
        for (sim_run& run : schedule_.runs)
            for (std::uint32_t p = run.first_pop; p < run.end_pop; ++p)
                run.walks = run.walks || pops[p].gather_begin != pops[p].gather_end ||
                            pops[p].trace_begin != pops[p].trace_end;

        // State traces: each recorder's neurons and its samples.
        std::vector<sim_trace> traces;
        for (const trace_recorder& t : net_.trace_recorders) {
            sim_trace d;
            d.column = trace_column(t, pops[t.population]);
            trace_neurons_.emplace_back().upload(t.neurons.data(), t.neurons.size());
            d.neurons = trace_neurons_.back().data();
            d.count = static_cast<int>(t.neurons.size());
            d.start = t.start;
            d.stop = t.stop;
            d.every = t.every;
            trace_values_.emplace_back().upload(t.values.data(), t.values.size());
            d.values = trace_values_.back().data();
            traces.push_back(d);
        }
        if (!traces.empty()) traces_.upload(traces.data(), traces.size());
        view_.traces = traces_.data();
        view_.n_traces = static_cast<int>(traces.size());

        // A graph covers `chunk_` steps; recording keeps its buffer at one spike per recorded
        // neuron per step of a chunk (it cannot overflow) under 2^24 records.
        if (recorded > 0)
            chunk_ = std::clamp<std::uint64_t>((std::uint64_t{1} << 24) / recorded, 1, chunk_);
        records_.resize(std::max<std::uint64_t>(1, recorded * chunk_));
        zeros(record_size_, 1);
        view_.records = records_.data();
        view_.record_size = record_size_.data();
        base_.resize(1);
        view_.base_step = base_.data();
        NM_CUDA_CHECK(cudaMallocHost(&host_base_, sizeof(std::uint64_t)));
        NM_CUDA_CHECK(cudaDeviceSynchronize());
    }

    // Each projection as its propagation says (projection.hpp): pre-synaptic ones as CSR rows
    // behind their source populations' outgoing lists, post-synaptic ones as ELL tables listed
    // by target population (its gather range). The spike lists each needs come with them.
    void upload_projections(std::vector<sim_population>& pops) {
        const std::size_t n_pops = pops.size();
        std::vector<sim_projection> projs(net_.projections.size());
        std::vector<std::vector<sim_gather>> gathers(n_pops);
        std::vector<std::vector<std::uint32_t>> sources(n_pops); // each gather's source population
        std::vector<std::vector<sim_pre_trace>> traces(n_pops);  // by source population
        const std::vector<bool> post = post_synaptic();
        bool pre_synaptic = false;
        for (std::size_t j = 0; j < net_.projections.size(); ++j) {
            projection& p = net_.projections[j];
            const csr_shard s = merged(p, pops[p.pre].size);
            sim_projection& d = projs[j];
            d.pre = p.pre;
            d.post = p.post;
            d.port = p.port;
            d.varying_weight = p.varying_weight;
            d.varying_delay = p.varying_delay;
            d.weight = p.weight;
            d.delay = p.delay;
            d.delay_shift = p.delay_shift;
            d.target_mask = p.target_mask;
            if (post[j]) {
                gathers[p.post].push_back(walked(p, s, pops[p.pre].first, pops[p.post].size));
                gathered_.push_back(static_cast<std::uint32_t>(j));
                if (p.plastic) { // indexed among its source's traces until they are laid out
                    gathers[p.post].back().pre_trace = static_cast<int>(traces[p.pre].size());
                    traces[p.pre].push_back(pre_trace(p, pops[p.pre].size));
                }
                sources[p.post].push_back(p.pre);
                continue;
            }
            pre_synaptic = true;
            spread_.push_back(static_cast<std::uint32_t>(j));
            d.offsets = upload(offsets_, s.offsets);
            d.targets = upload(targets_, s.targets);
            d.weights = upload(weights_, s.weights); // null where the weight is constant
            d.complex_weight = p.complex_weight;
            d.weight_im = p.weight_im;
            d.weights_im = upload(weights_, s.weights_im);
        }
        std::vector<sim_pre_trace> all_traces;
        for (std::uint32_t p = 0; p < n_pops; ++p) {
            pops[p].trace_begin = static_cast<std::uint32_t>(all_traces.size());
            all_traces.insert(all_traces.end(), traces[p].begin(), traces[p].end());
            pops[p].trace_end = static_cast<std::uint32_t>(all_traces.size());
        }
        std::vector<sim_gather> all;
        for (std::uint32_t p = 0; p < n_pops; ++p) {
            pops[p].gather_begin = static_cast<std::uint32_t>(all.size());
            for (std::size_t k = 0; k < gathers[p].size(); ++k) {
                all.push_back(gathers[p][k]);
                if (all.back().plastic) all.back().pre_trace += pops[sources[p][k]].trace_begin;
            }
            pops[p].gather_end = static_cast<std::uint32_t>(all.size());
        }
        if (!all_traces.empty()) {
            pre_traces_.upload(all_traces.data(), all_traces.size());
            view_.pre_traces = pre_traces_.data();
        }
        std::vector<std::uint32_t> begin{0}, outgoing;
        for (const auto& list : net_.outgoing) {
            for (const std::uint32_t j : list)
                if (std::find(spread_.begin(), spread_.end(), j) != spread_.end())
                    outgoing.push_back(j);
            begin.push_back(static_cast<std::uint32_t>(outgoing.size()));
        }
        schedule_.global_descriptors =
            set_network(pops, projs, stimuli_, begin, outgoing, descriptors_);
        zeros(events_, std::max<std::size_t>(1, projs.size()));
        view_.events = events_.data();

        const std::uint64_t neurons = view_.neurons;
        if (pre_synaptic) {
            for (int parity = 0; parity < 2; ++parity) {
                fired_[parity].resize(neurons);
                fired_count_[parity].resize(neurons);
                view_.fired[parity] = fired_[parity].data();
                view_.fired_count[parity] = fired_count_[parity].data();
            }
            zeros(fired_size_, 2);
            view_.fired_size = fired_size_.data();
            cudaDeviceProp prop{};
            NM_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
            schedule_.propagate_blocks = 4 * prop.multiProcessorCount;
        }
        if (!all.empty()) {
            gathers_.upload(all.data(), all.size());
            view_.gathers = gathers_.data();
            for (int parity = 0; parity < 2; ++parity) {
                zeros(counts_[parity], neurons);
                view_.counts[parity] = counts_[parity].data();
            }
        }
    }

    // Which projections go post-synaptically: those that ask (and the plastic ones), and the
    // automatic ones all together or none: when no projection must be spread and all their
    // tables together stay within automatic_post_entries, the walk replaces the spread's
    // launch; otherwise they are all spread, as large networks were measured.
    std::vector<bool> post_synaptic() const {
        std::vector<bool> post(net_.projections.size(), false);
        std::vector<std::size_t> automatic;
        std::uint64_t entries = 0;
        bool spread = false;
        for (std::size_t j = 0; j < net_.projections.size(); ++j) {
            const projection& p = net_.projections[j];
            if (p.propagation == propagation::pre || p.max_delay > 0xFFFF) {
                spread = true;
                continue;
            }
            post[j] = p.propagation == propagation::post || p.plastic;
            if (post[j]) continue;
            automatic.push_back(j);
            // A table holds at least its synapses: large networks are settled without counting
            // (scanning the microcircuit's 0.3 G synapses would add to its build time).
            entries += p.synapses;
        }
        if (spread || entries > automatic_post_entries) return post;
        entries = 0;
        for (const std::size_t j : automatic) {
            const projection& p = net_.projections[j];
            const std::uint64_t n_post = net_.populations[p.post]->size();
            entries += n_post * longest_incoming(p, n_post);
        }
        if (entries <= automatic_post_entries)
            for (const std::size_t j : automatic) post[j] = true;
        return post;
    }

    // p walked post-synaptically (sim_gather): its ELL table uploaded, and (plastic) the
    // targets' traces, update counts, eligibility and reward events.
    sim_gather walked(projection& p, const csr_shard& s, std::uint64_t pre_first,
                      std::uint64_t n_post) {
        ell_table table = by_target(p, s, n_post, no_source);
        sim_gather g;
        g.pre_first = pre_first;
        g.port = p.port;
        g.max_in = table.max_in;
        g.weight = p.weight;
        g.delay = p.delay;
        zeros(gather_events_.emplace_back(), n_post);
        g.events = gather_events_.back().data();
        const std::size_t entries = table.sources.size();
        g.sources = upload(gather_tables_, table.sources);
        g.weights = upload(weights_, table.weights);
        g.complex_weight = p.complex_weight;
        g.weight_im = p.weight_im;
        g.weights_im = upload(weights_, table.weights_im);
        g.delays = upload(delays_, table.delays);
        if (p.plastic) {
            g.plastic = true;
            g.rule = p.plastic->rule;
            g.scaling = p.plastic->scaling;
            if (g.scaling.enabled) {
                zeros(stdp_traces_.emplace_back(), n_post);
                g.post_rate = stdp_traces_.back().data();
            }
            zeros(stdp_traces_.emplace_back(), n_post);
            g.post_fast = stdp_traces_.back().data();
            if (g.rule.triplet) {
                zeros(stdp_traces_.emplace_back(), n_post);
                g.post_slow = stdp_traces_.back().data();
            }
            zeros(updates_.emplace_back(), n_post);
            g.updates = updates_.back().data();
            g.device = p.plastic->device;
            if (g.device.enabled) {
                g.pulse_rng = p.plastic->pulse_rng;
                g.variation_rng = p.plastic->variation_rng;
                g.read_rng = p.plastic->read_rng;
                zeros(pulses_.emplace_back(), entries);
                g.pulses = pulses_.back().data();
                zeros(eligibility_.emplace_back(), entries);
                g.programmed_at = eligibility_.back().data();
            }
            if (g.rule.eligibility) {
                for (float** column : {&g.elig, &g.elig_at}) {
                    zeros(eligibility_.emplace_back(), entries);
                    *column = eligibility_.back().data();
                }
                std::vector<std::uint64_t> steps;
                std::vector<double> amounts;
                for (const auto& [step, amount] : p.plastic->rewards) {
                    steps.push_back(step);
                    amounts.push_back(amount);
                }
                g.reward_steps = upload(reward_steps_, steps);
                g.reward_amounts = upload(reward_amounts_, amounts);
                g.rewards = static_cast<std::uint32_t>(steps.size());
            }
            learned_.push_back(
                {&p, std::move(table.entry_of), g.weights, g.pulses, entries, g.updates, n_post});
        }
        return g;
    }

    // A plastic projection's source traces (sim_pre_trace), all zero as on the CPU.
    sim_pre_trace pre_trace(const projection& p, std::uint64_t n_pre) {
        sim_pre_trace tr;
        tr.rule = p.plastic->rule;
        tr.scaling = p.plastic->scaling;
        const bool rates = tr.scaling.rule != plasticity::scaling::no_rate_rule;
        for (int k = 0; k < 3; ++k) {
            for (double** column : {&tr.fast[k], tr.rule.triplet ? &tr.slow[k] : nullptr,
                                    rates ? &tr.rate[k] : nullptr}) {
                if (!column) continue;
                zeros(stdp_traces_.emplace_back(), n_pre);
                *column = stdp_traces_.back().data();
            }
        }
        return tr;
    }

    // The learned weights back into the projections' shards (the merged CSR's order: shard by
    // shard within each row, as merged() lays them out) with their update counts.
    void download_learned() {
        for (const learned& l : learned_) {
            std::vector<float> table(l.entries);
            NM_CUDA_CHECK(cudaMemcpy(table.data(), l.weights, l.entries * sizeof(float),
                                     cudaMemcpyDeviceToHost));
            std::vector<unsigned long long> updates(l.n_post);
            NM_CUDA_CHECK(cudaMemcpy(updates.data(), l.updates, l.n_post * sizeof(updates[0]),
                                     cudaMemcpyDeviceToHost));
            projection& p = *l.p;
            split_back(
                p, table, l.entry_of, [&](std::size_t t) -> auto& { return p.shards[t].weights; });
            if (l.pulses) {
                std::vector<std::uint32_t> pulses(l.entries);
                NM_CUDA_CHECK(cudaMemcpy(pulses.data(), l.pulses, l.entries * sizeof(std::uint32_t),
                                         cudaMemcpyDeviceToHost));
                split_back(
                    p, pulses, l.entry_of, [&](std::size_t t) -> auto& {
                        return p.plastic->shards[t].pulses;
                    });
            }
            for (plastic_shard& ps : p.plastic->shards) ps.updates = 0;
            for (const unsigned long long n : updates) p.plastic->shards.front().updates += n;
        }
    }

    // The model's coefficients into d (one set as bytes in the descriptor, or one per neuron
    // into `per_neuron`) and its firing noise; returns the model's index in sim_models.
    static int upload_model(const population& pop, sim_population& d,
                            buffer<unsigned char>& per_neuron) {
        int model = 0;
        visit_model(pop, [&](auto k, const auto& typed) {
            model = decltype(k)::value;
            const auto& coeffs = typed.coefficients();
            using coeffs_type = std::decay_t<decltype(coeffs.front())>;
            static_assert(sizeof(coeffs_type) <= max_coeff_bytes);
            std::memcpy(d.shared, &coeffs.front(), sizeof(coeffs_type));
            if (coeffs.size() > 1) {
                per_neuron.upload(reinterpret_cast<const unsigned char*>(coeffs.data()),
                                  coeffs.size() * sizeof(coeffs_type));
                d.coeffs = per_neuron.data();
            }
            d.stochastic = typed.stochastic();
            d.firing = typed.firing_rng();
        });
        return model;
    }

    // The device column that trace t samples (population-local index): a state field's, or a
    // synaptic port's current or conductance (i_syn or the port's name), found as the port
    // whose host column the CPU's recorder reads.
    const double* trace_column(const trace_recorder& t, const sim_population& d) const {
        const population& pop = *net_.populations[t.population];
        const auto fields = state_fields(pop);
        const auto k = std::find(fields.begin(), fields.end(), t.field) - fields.begin();
        if (k < static_cast<std::ptrdiff_t>(fields.size())) return state_[k].data() + d.first;
        for (int p = 0; p < pop.ports(); ++p)
            if (pop.port(p).kind != port_kind::delta && pop.port(p).current.data() == t.column)
                return d.port[p].x;
        refuse("trace \"" + t.field + "\" of population \"" + pop.name() +
               "\" is neither a state field nor a synaptic port");
    }

    // The trial protocol: its samples and order, and the readout's responses to fill.
    void upload_trials(const trial_protocol& tp, const std::vector<sim_population>& pops) {
        sim_trials& T = view_.trials;
        T.on = true;
        T.first_spike = tp.decode == trial_decode::first_spike;
        T.input = tp.input;
        T.readout = tp.readout;
        T.readout_first = pops[tp.readout].first;
        T.readout_size = pops[tp.readout].size;
        T.trial_steps = tp.trial_steps;
        T.present_steps = tp.present_steps;
        T.learn_steps = tp.learn_steps();
        T.features = tp.features;
        T.rows = upload(tables_, tp.rows);
        T.row_of = upload(trial_tables_, tp.row_of);
        T.label_of = upload(trial_tables_, tp.label_of);
        T.p_spike = tp.p_spike;
        T.weight = tp.weight;
        T.reward = tp.reward;
        T.punishment = tp.punishment;
        T.port = tp.port;
        T.rng = tp.rng;
        static_assert(trial_protocol::no_spike == no_response);
        T.counts = upload(trial_tables_, tp.counts);
        T.first_step = upload(trial_tables_, tp.first_step);
    }

    // A population's stimuli as the update applies them (sim_stimulus), appended to the
    // network's (set_network's) with their tables uploaded; d gets their range.
    void upload_stimuli(const std::vector<stimulus>& stimuli, sim_population& d) {
        d.first_stimulus = static_cast<int>(stimuli_.size());
        d.n_stimuli = static_cast<int>(stimuli.size());
        for (const stimulus& s : stimuli) {
            sim_stimulus& S = stimuli_.emplace_back();
            S.port = s.port;
            S.weight = s.p.weight;
            S.start = s.start_step;
            S.stop = std::min<std::uint64_t>(s.stop_step, net_.steps);
            S.rng = s.rng;
            if (!s.neurons.empty()) {
                std::vector<std::uint8_t> mask(d.size, 0);
                for (const std::uint64_t i : s.neurons) mask[i] = 1;
                S.selected = upload(masks_, mask);
            }
            switch (s.kind) {
            case stimulus_kind::poisson: {
                S.kind = sim_stimulus_kind::poisson;
                const auto& th = s.poisson.thresholds();
                S.count = static_cast<int>(th.size());
                S.thresholds = upload(thresholds_, th);
                break;
            }
            case stimulus_kind::dc:
                S.kind = sim_stimulus_kind::dc;
                S.amplitude = s.p.amplitude;
                break;
            case stimulus_kind::step:
            case stimulus_kind::ac:
            case stimulus_kind::chirp:
            case stimulus_kind::spike_times:
                S.kind = s.kind == stimulus_kind::spike_times ? sim_stimulus_kind::arrivals
                                                              : sim_stimulus_kind::current;
                S.per_step = upload(tables_, per_step(s, S.start, S.stop));
                break;
            case stimulus_kind::noise:
                S.kind = sim_stimulus_kind::noise;
                S.mean = s.p.mean;
                S.std = s.p.std;
                break;
            case stimulus_kind::encoded: {
                S.kind = sim_stimulus_kind::encoded;
                S.event_steps = s.event_offsets.empty() ? 0 : s.event_offsets.size() - 1;
                const events_by_neuron events = by_neuron(s);
                S.event_offsets = upload(offsets_, s.event_offsets);
                S.event_neurons = upload(event_neurons_, events.neurons);
                S.event_counts = upload(event_counts_, events.counts);
                break;
            }
            }
        }
    }

    // A new buffer of `store` holding `values`; its device address (null when empty).
    template<class T>
    static T* upload(std::deque<buffer<T>>& store, const std::vector<T>& values) {
        if (values.empty()) return nullptr;
        store.emplace_back().upload(values.data(), values.size());
        return store.back().data();
    }

    // A complex model's ports' imaginary sides (sim_port_im) into d.
    void upload_imaginary_ports(const population& pop, sim_population& d) {
        std::vector<sim_port_im> im(static_cast<std::size_t>(pop.ports()));
        for (int k = 0; k < pop.ports(); ++k) {
            const input_port& src = pop.port(k);
            if (src.complex) im[k].ring = upload(rings_im_, src.ring_im);
            if (src.exact) upload_kernels(src.kernel_im, im[k].kernel, im[k].kernels);
            if (src.exact && is_alpha(src.kind))
                upload_kernels(src.rise_kernel_im, im[k].rise_kernel, im[k].rise_kernels);
        }
        d.im = upload(ports_im_, im);
    }

    // An exact port's kernel: the shared value, or one per neuron uploaded.
    void upload_kernels(const std::vector<double>& values, double& shared,
                        const double*& per_neuron) {
        shared = values[0];
        if (values.size() == 1) return;
        kernels_.emplace_back().upload(values.data(), values.size());
        per_neuron = kernels_.back().data();
    }

    template<class T>
    static void zeros(buffer<T>& b, std::size_t n) {
        b.resize(n);
        NM_CUDA_CHECK(cudaMemset(b.data(), 0, n * sizeof(T)));
    }

    void capture() {
        cudaGraph_t graph;
        NM_CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
        NM_CUDA_CHECK(cudaMemcpyAsync(base_.data(), host_base_, sizeof(std::uint64_t),
                                      cudaMemcpyHostToDevice, stream_));
        enqueue_steps(view_, schedule_, 0, chunk_, stream_);
        NM_CUDA_CHECK(cudaStreamEndCapture(stream_, &graph));
        NM_CUDA_CHECK(cudaGraphInstantiate(&graph_, graph, 0));
        NM_CUDA_CHECK(cudaGraphDestroy(graph));
    }

    // Recorded spikes of the chunk come back and the buffer starts over.
    void collect_records() {
        NM_CUDA_CHECK(cudaStreamSynchronize(stream_));
        if (net_.spike_recorders.empty()) return;
        unsigned long long n = 0;
        record_size_.download(&n, 1);
        if (n == 0) return;
        std::vector<sim_record> got(n);
        records_.download(got.data(), n);
        for (const sim_record& r : got)
            spikes_out_.push_back({r.step, r.population, r.neuron, r.count, r.offset});
        NM_CUDA_CHECK(cudaMemset(record_size_.data(), 0, sizeof(unsigned long long)));
    }

    device_totals finish() {
        device_totals out;
        out.device = require_device();
        out.plan = std::to_string(spread_.size()) + " projection" +
                   (spread_.size() == 1 ? "" : "s") + " spread pre-synaptically, " +
                   std::to_string(gathered_.size()) + " walked post-synaptically (" +
                   std::to_string(learned_.size()) + " learning)";
        download_learned();
        if (net_.trials) {
            trial_protocol& tp = *net_.trials;
            NM_CUDA_CHECK(cudaMemcpy(tp.counts.data(), view_.trials.counts,
                                     tp.counts.size() * sizeof(std::uint32_t),
                                     cudaMemcpyDeviceToHost));
            NM_CUDA_CHECK(cudaMemcpy(tp.first_step.data(), view_.trials.first_step,
                                     tp.first_step.size() * sizeof(std::uint32_t),
                                     cudaMemcpyDeviceToHost));
        }
        std::vector<unsigned long long> events(events_.size());
        events_.download(events.data(), events.size());
        out.events.assign(events.begin(), events.begin() + net_.projections.size());
        for (std::size_t k = 0; k < gathered_.size(); ++k) {
            std::vector<unsigned long long> per_target(gather_events_[k].size());
            gather_events_[k].download(per_target.data(), per_target.size());
            for (const unsigned long long n : per_target) out.events[gathered_[k]] += n;
        }
        out.spikes = std::move(spikes_out_);
        for (std::size_t t = 0; t < net_.trace_recorders.size(); ++t) {
            std::vector<double>& values = net_.trace_recorders[t].values;
            trace_values_[t].download(values.data(), values.size());
        }
        // State, port currents and statistics back into the network.
        std::uint64_t first = 0;
        std::size_t ring = 0, current = 0, rise = 0;
        for (auto& pop : net_.populations) {
            const std::uint64_t n = pop->size();
            const auto fields = state_fields(*pop);
            for (std::size_t k = 0; k < fields.size(); ++k)
                download_range(state_[k], first, n, pop->state_column(fields[k]));
            for (int k = 0; k < pop->ports(); ++k) {
                input_port& p = pop->port(k);
                rings_[ring++].download(p.ring.data(), p.ring.size());
                if (p.kind != port_kind::delta) currents_[current++].download(p.current.data(), n);
                if (is_alpha(p.kind)) rises_[rise++].download(p.rise.data(), n);
            }
            spike_stats& st = pop->stats();
            download_range(spikes_, first, n, st.spikes.data());
            download_range(last_step_, first, n, st.last_step.data());
            download_range(isi_sum_, first, n, st.isi_sum.data());
            download_range(isi_sq_, first, n, st.isi_sq.data());
            download_range(isi_n_, first, n, st.isi_n.data());
            first += n;
        }
        return out;
    }

    template<class T>
    static void download_range(const buffer<T>& b, std::uint64_t first, std::uint64_t n, T* to) {
        NM_CUDA_CHECK(cudaMemcpy(to, b.data() + first, n * sizeof(T), cudaMemcpyDeviceToHost));
    }

    network& net_;
    cudaStream_t stream_ = nullptr;
    cudaGraphExec_t graph_ = nullptr;
    std::uint64_t chunk_ = 100, *host_base_ = nullptr;
    sim_view view_;
    sim_schedule schedule_;
    std::vector<buffer<unsigned char>> coeffs_;
    std::deque<buffer<double>> rings_, currents_, rises_, kernels_;
    std::deque<buffer<std::uint64_t>> thresholds_, offsets_;
    std::deque<buffer<double>> tables_;
    std::deque<buffer<std::uint8_t>> masks_;
    std::deque<buffer<sim_recorder>> recorders_;
    std::deque<buffer<std::uint32_t>> event_neurons_;
    std::deque<buffer<std::uint16_t>> event_counts_;
    std::deque<buffer<std::uint32_t>> trial_tables_;
    std::deque<buffer<double>> rings_im_;
    std::deque<buffer<sim_port_im>> ports_im_;
    std::vector<sim_stimulus> stimuli_; // every population's, in order (set_network's)
    sim_network_buffers descriptors_;
    std::deque<buffer<std::uint32_t>> targets_, gather_tables_;
    std::deque<buffer<std::uint16_t>> delays_;
    std::vector<std::uint32_t> spread_;                    // the pre-synaptic projections...
    std::vector<std::uint32_t> gathered_;                  // ...and the post-synaptic ones
    std::deque<buffer<unsigned long long>> gather_events_; // by target, as gathered_
    // Plastic projections: traces, updates per target, and where each synapse's weight lies.
    struct learned {
        projection* p;
        std::vector<std::uint64_t> entry_of; // ELL entry of each synapse, in the merged CSR order
        float* weights;
        std::uint32_t* pulses; // device synapses, else null
        std::size_t entries;
        unsigned long long* updates;
        std::uint64_t n_post;
    };
    std::vector<learned> learned_;
    std::deque<buffer<double>> stdp_traces_;
    std::deque<buffer<unsigned long long>> updates_;
    std::deque<buffer<float>> eligibility_;
    std::deque<buffer<std::uint32_t>> pulses_;
    std::deque<buffer<std::uint64_t>> reward_steps_;
    std::deque<buffer<double>> reward_amounts_;
    buffer<sim_pre_trace> pre_traces_;
    buffer<sim_gather> gathers_;
    buffer<std::uint16_t> counts_[2];
    std::deque<buffer<float>> weights_;
    std::deque<buffer<std::uint64_t>> trace_neurons_;
    std::deque<buffer<double>> trace_values_;
    buffer<sim_trace> traces_;
    buffer<double> state_[max_state], isi_sum_, isi_sq_;
    buffer<std::uint32_t> spikes_, isi_n_, fired_[2];
    buffer<std::uint16_t> fired_count_[2];
    buffer<unsigned> fired_size_;
    buffer<std::int64_t> last_step_;
    buffer<unsigned long long> events_, record_size_;
    buffer<sim_record> records_;
    buffer<std::uint64_t> base_;
    std::vector<spike_record> spikes_out_;
};

} // namespace

device_simulator simulator() {
    return [](network& net, const progress_fn& progress) {
        const auto t0 = std::chrono::steady_clock::now();
        require_device();
        device_network d(net);
        const double setup_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        device_totals out = d.run(progress);
        out.setup_s = setup_s;
        return out;
    };
}

} // namespace nm::cuda
