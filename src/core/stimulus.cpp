// Stimulus kinds, their validation, and their per-step application.
#include "core/stimulus.hpp"

#include "core/bind.hpp"
#include "nm/coding.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace nm {

namespace {

using sp = stimulus_params;

constexpr auto f_rate =
    number<sp>("rate", &sp::rate, "Hz", rule::nonnegative, "mean rate per target neuron");
constexpr auto f_weight =
    number<sp>("weight", &sp::weight, "mV|unit", rule::finite, "weight of each spike (port units)");
constexpr auto f_start = number<sp>("start", &sp::start, "ms", rule::nonnegative, "onset");
constexpr auto f_stop = number<sp>("stop", &sp::stop, "ms", rule::positive_or_inf, "offset");
constexpr auto f_amplitude =
    number<sp>("amplitude", &sp::amplitude, "unit", rule::finite, "current amplitude");
constexpr auto f_offset = number<sp>("offset", &sp::offset, "unit", rule::finite, "constant part");
constexpr auto f_freq = number<sp>("freq", &sp::freq, "Hz", rule::nonnegative, "frequency");
constexpr auto f_phase = number<sp>("phase", &sp::phase, "deg", rule::finite, "phase at t = 0");
constexpr auto f_f_start =
    number<sp>("f_start", &sp::f_start, "Hz", rule::nonnegative, "frequency at start");
constexpr auto f_f_stop =
    number<sp>("f_stop", &sp::f_stop, "Hz", rule::nonnegative, "frequency at stop");
constexpr auto f_mean = number<sp>("mean", &sp::mean, "unit", rule::finite, "mean current");
constexpr auto f_std = number<sp>("std", &sp::std, "unit", rule::nonnegative,
                                  "standard deviation, redrawn every step per neuron");

constexpr std::array poisson_fields{f_rate, f_weight, f_start, f_stop};
constexpr std::array spike_times_fields{f_weight};
constexpr std::array encoded_fields{f_weight, f_start};
constexpr std::array dc_fields{f_amplitude, f_start, f_stop};
constexpr std::array<field<sp>, 0> step_fields{};
constexpr std::array ac_fields{f_amplitude, f_offset, f_freq, f_phase, f_start, f_stop};
constexpr std::array chirp_fields{f_amplitude, f_f_start, f_f_stop, f_start, f_stop};
constexpr std::array noise_fields{f_mean, f_std, f_start, f_stop};

constexpr std::array types{
    stimulus_type{stimulus_kind::poisson, "poisson",
                  "independent Poisson spike train into every target neuron", poisson_fields, true},
    stimulus_type{stimulus_kind::spike_times, "spike_times",
                  "spikes at the listed times (ms) into every target neuron", spike_times_fields,
                  true},
    stimulus_type{stimulus_kind::encoded, "encoded",
                  "values in [0, 1] through a spike code: scheme = \"latency\", values = [...] "
                  "(one per target neuron) and the scheme's parameters",
                  encoded_fields, true},
    stimulus_type{stimulus_kind::dc, "dc", "constant current", dc_fields, false},
    stimulus_type{stimulus_kind::step, "step",
                  "piecewise-constant current: amplitudes[k] from times[k] (ms)", step_fields,
                  false},
    stimulus_type{stimulus_kind::ac, "ac", "offset + amplitude sin(2 pi freq t + phase)", ac_fields,
                  false},
    stimulus_type{stimulus_kind::chirp, "chirp",
                  "amplitude sin(phase) with frequency swept linearly f_start -> f_stop",
                  chirp_fields, false},
    stimulus_type{stimulus_kind::noise, "noise",
                  "Gaussian current, a new value per neuron every step", noise_fields, false},
};

std::uint64_t to_step(double ms, double dt) {
    if (std::isinf(ms)) return std::numeric_limits<std::uint64_t>::max();
    return static_cast<std::uint64_t>(std::llround(ms / dt));
}

// Calls fn(i) for every target neuron of `s` inside `r`.
template<class Fn>
void for_targets(const stimulus& s, range r, Fn&& fn) {
    if (s.neurons.empty()) {
        for (std::uint64_t i = r.begin; i < r.end; ++i) fn(i);
        return;
    }
    auto it = std::lower_bound(s.neurons.begin(), s.neurons.end(), r.begin);
    for (; it != s.neurons.end() && *it < r.end; ++it) fn(*it);
}

// Poisson counts for every neuron of `r`: word i & 3 of the block of quad i >> 2 (the same
// draw as the per-block path), the quads' blocks computed eight at a time.
void poisson_range(const stimulus& s, double* slot, range r, std::uint32_t step) {
    constexpr int lanes = 8;
    std::uint32_t words[4 * lanes];
    const double weight = s.p.weight;
    std::uint64_t i = r.begin;
    while (i < r.end) {
        const std::uint64_t first = (i >> 2) * 4;
        s.rng.blocks<lanes>(static_cast<std::uint32_t>(i >> 2), step, words);
        const std::uint64_t stop = std::min(r.end, first + 4 * lanes);
        for (; i < stop; ++i) slot[i] += s.poisson(words[i - first]) * weight;
    }
}

// Encodes the `values` of an encoded stimulus into per-step spike events (channel c drives
// neuron c, or the c-th smallest of `neurons` when a subset is given).
void encode_events(stimulus& s, std::vector<param> code, const stimulus_spec& spec,
                   const population& pop, std::uint64_t steps, std::uint64_t seed,
                   std::uint32_t stream) {
    const std::string context = located(spec.where, "stimulus \"encoded\"");
    std::string scheme;
    std::vector<double> values;
    std::vector<param> params;
    for (param& q : code) {
        if (q.name == "scheme" && std::holds_alternative<std::string>(q.value))
            scheme = std::get<std::string>(q.value);
        else if (q.name == "values" && std::holds_alternative<std::vector<double>>(q.value))
            values = std::get<std::vector<double>>(q.value);
        else if (q.name == "scheme" || q.name == "values")
            throw bad_parameter(
                located(q.where, "stimulus \"encoded\": " + q.name +
                                     (q.name == "scheme" ? " must be a scheme name"
                                                         : " must be a list of numbers")));
        else if (q.name == "dt")
            throw bad_parameter(
                located(q.where, "stimulus \"encoded\": dt comes from [simulation]; remove it"));
        else
            params.push_back(std::move(q));
    }
    if (scheme.empty())
        throw bad_config(context +
                         ": needs scheme = \"...\" (neuromorph models lists the spike codes)");
    if (values.empty()) throw bad_config(context + ": needs values = [...], one per target neuron");
    params.push_back({"dt", s.dt, spec.where});
    const bool has_steps =
        std::any_of(params.begin(), params.end(), [](const param& q) { return q.name == "steps"; });
    if (!has_steps && scheme != "delta")
        params.push_back(
            {"steps",
             static_cast<double>(std::max<std::uint64_t>(1, steps - std::min(steps, s.start_step))),
             spec.where});
    // Each encoded stimulus draws from its own seed, derived from the run's seed and its stream.
    const philox_block key = rng_stream(seed, stream_id(purpose::stimulus, stream)).block(0, 0);
    const std::uint64_t own_seed = (std::uint64_t{key.w[0]} << 32) | key.w[1];
    const encoded_data e = encode_values(scheme, params, values, 1,
                                         static_cast<std::uint32_t>(values.size()), own_seed, 1);
    const spike_raster& raster = e.rasters.front();
    const std::uint64_t targets = s.neurons.empty() ? pop.size() : s.neurons.size();
    if (raster.channels != targets)
        throw bad_config(context + ": the code has " + std::to_string(raster.channels) +
                         " channels (" + std::to_string(values.size()) +
                         " values) but the target has " + std::to_string(targets) +
                         " neurons; they must match");
    if (!raster.values.empty())
        throw bad_config(context + ": scheme \"" + scheme +
                         "\" makes currents, not spikes; use a current stimulus");
    s.event_offsets = raster.offsets;
    for (std::uint64_t e = 0; e < raster.events(); ++e)
        s.events.emplace_back(s.neurons.empty() ? raster.channel[e] : s.neurons[raster.channel[e]],
                              raster.count[e]);
    s.stop_step = std::min(s.stop_step, s.start_step + raster.steps);
}

} // namespace

double homogeneous_current(const stimulus& s, std::uint64_t step) {
    const double t = static_cast<double>(step) * s.dt;
    const double two_pi = 2.0 * std::numbers::pi;
    switch (s.kind) {
    case stimulus_kind::dc:
        return s.p.amplitude;
    case stimulus_kind::step: {
        const auto it = std::upper_bound(s.change_steps.begin(), s.change_steps.end(), step);
        return it == s.change_steps.begin() ? 0.0
                                            : s.change_values[it - s.change_steps.begin() - 1];
    }
    case stimulus_kind::ac:
        return s.p.offset + s.p.amplitude * std::sin(two_pi * s.p.freq * t * 1e-3 +
                                                     s.p.phase * std::numbers::pi / 180);
    case stimulus_kind::chirp: {
        const double tau = t - s.p.start, span = s.p.stop - s.p.start;
        const double cycles =
            (s.p.f_start * tau + (s.p.f_stop - s.p.f_start) * tau * tau / (2 * span)) * 1e-3;
        return s.p.amplitude * std::sin(two_pi * cycles);
    }
    default:
        return 0.0;
    }
}

std::span<const stimulus_type> stimulus_types() {
    return types;
}

std::vector<stimulus> build_stimuli(const stimulus_spec& spec, std::uint32_t first_index,
                                    std::span<const std::unique_ptr<population>> populations,
                                    double dt, std::uint64_t steps, std::uint64_t seed) {
    std::vector<std::string> kind_names;
    for (const auto& t : types) kind_names.emplace_back(t.name);
    const auto type = std::find_if(types.begin(), types.end(),
                                   [&](const stimulus_type& t) { return t.name == spec.kind; });
    if (type == types.end())
        throw bad_config(located(spec.where, "unknown stimulus kind \"" + spec.kind + "\"" +
                                                 did_you_mean(spec.kind, kind_names)));
    const std::string context = "stimulus \"" + spec.kind + "\"";
    auto fail = [&](const std::string& msg) {
        throw bad_parameter(located(spec.where, context + ": " + msg));
    };
    // An encoded stimulus passes every parameter that is not its own to the spike code.
    std::vector<param> own = spec.params, code;
    if (type->kind == stimulus_kind::encoded) {
        own.clear();
        for (const param& q : spec.params)
            (find_field(type->fields, q.name) ? own : code).push_back(q);
    }
    const std::vector<sp> bound =
        bind_fields(type->fields, own, std::vector<sp>{sp{}}, 1, rng_stream{}, context);
    const sp p = bound.front();
    if (!(p.stop > p.start))
        fail("stop = " + format_number(p.stop) + " ms must be > start = " + format_number(p.start) +
             " ms");
    if (type->kind == stimulus_kind::chirp && std::isinf(p.stop))
        fail("a chirp needs a finite stop (the sweep's end)");
    if (spec.targets.empty()) fail("needs a target population");
    const bool lists_times =
        type->kind == stimulus_kind::spike_times || type->kind == stimulus_kind::step;
    if (!lists_times && (!spec.times.empty() || !spec.amplitudes.empty()))
        fail("times/amplitudes apply only to spike_times and step stimuli");
    if (type->kind == stimulus_kind::step && spec.times.size() != spec.amplitudes.size())
        fail("step needs as many amplitudes as times (" + std::to_string(spec.times.size()) +
             " times, " + std::to_string(spec.amplitudes.size()) + " amplitudes)");
    for (double t : spec.times)
        if (!(t >= 0) || !std::isfinite(t)) fail("time " + format_number(t) + " ms must be >= 0");
    if (type->kind == stimulus_kind::step && !std::is_sorted(spec.times.begin(), spec.times.end()))
        fail("step times must be increasing");
    port_request request;
    if (type->spikes) {
        try {
            request = make_port_request(spec.synapse, spec.tau_syn, spec.e_rev, spec.port);
        } catch (const std::invalid_argument& e) {
            fail(e.what());
        }
    }

    std::vector<stimulus> out;
    for (std::size_t t = 0; t < spec.targets.size(); ++t) {
        const std::uint32_t index = population_index(populations, spec.targets[t], spec.where,
                                                     context, "target population");
        const auto pop = populations.begin() + index;
        stimulus s;
        s.kind = type->kind;
        s.population = index;
        s.p = p;
        s.dt = dt;
        s.start_step = to_step(p.start, dt);
        s.stop_step = std::min(to_step(p.stop, dt), steps);
        s.rng = rng_stream(
            seed, stream_id(purpose::stimulus, first_index + static_cast<std::uint32_t>(t)));
        s.neurons = spec.neurons;
        std::sort(s.neurons.begin(), s.neurons.end());
        s.neurons.erase(std::unique(s.neurons.begin(), s.neurons.end()), s.neurons.end());
        if (!s.neurons.empty() && s.neurons.back() >= (*pop)->size())
            fail("neuron " + std::to_string(s.neurons.back()) + " is outside population \"" +
                 (*pop)->name() + "\" (size " + std::to_string((*pop)->size()) + ")");
        if (type->spikes) {
            try {
                s.port = (*pop)->port_for(request);
            } catch (const std::invalid_argument& e) {
                fail(e.what());
            }
        } else {
            (*pop)->use_current();
        }
        if (s.kind == stimulus_kind::poisson) s.poisson = poisson_sampler(p.rate * dt * 1e-3);
        if (s.kind == stimulus_kind::spike_times) {
            std::vector<std::uint64_t> at;
            for (double time : spec.times) at.push_back(to_step(time, dt));
            std::sort(at.begin(), at.end());
            for (std::uint64_t k : at) {
                if (!s.spike_steps.empty() && s.spike_steps.back().first == k)
                    ++s.spike_steps.back().second;
                else
                    s.spike_steps.emplace_back(k, 1);
            }
        }
        if (s.kind == stimulus_kind::encoded)
            encode_events(s, code, spec, **pop, steps, seed, first_index + t);
        if (s.kind == stimulus_kind::step) {
            for (double time : spec.times) s.change_steps.push_back(to_step(time, dt));
            s.change_values = spec.amplitudes;
        }
        out.push_back(std::move(s));
    }
    return out;
}

void apply(const stimulus& s, population& pop, range r, std::uint64_t step) {
    if (step < s.start_step || step >= s.stop_step) return;
    switch (s.kind) {
    case stimulus_kind::poisson: {
        double* slot = pop.ring_slot(s.port, step);
        const auto step32 = static_cast<std::uint32_t>(step);
        if (s.neurons.empty()) {
            poisson_range(s, slot, r, step32);
            return;
        }
        // One Philox block serves four consecutive neurons.
        std::uint64_t quad = ~std::uint64_t{0};
        philox_block b{};
        for_targets(s, r, [&](std::uint64_t i) {
            if ((i >> 2) != quad) {
                quad = i >> 2;
                b = s.rng.block(static_cast<std::uint32_t>(quad), step32);
            }
            const std::uint32_t k = s.poisson(b.w[i & 3]);
            if (k) slot[i] += k * s.p.weight;
        });
        return;
    }
    case stimulus_kind::encoded: {
        const std::uint64_t k = step - s.start_step;
        if (k + 1 >= s.event_offsets.size()) return;
        double* slot = pop.ring_slot(s.port, step);
        for (std::uint64_t e = s.event_offsets[k]; e < s.event_offsets[k + 1]; ++e) {
            const auto [neuron, count] = s.events[e];
            if (neuron >= r.begin && neuron < r.end) slot[neuron] += count * s.p.weight;
        }
        return;
    }
    case stimulus_kind::spike_times: {
        const auto it = std::lower_bound(s.spike_steps.begin(), s.spike_steps.end(),
                                         std::pair<std::uint64_t, std::uint32_t>{step, 0});
        if (it == s.spike_steps.end() || it->first != step) return;
        double* slot = pop.ring_slot(s.port, step);
        const double add = it->second * s.p.weight;
        for_targets(s, r, [&](std::uint64_t i) { slot[i] += add; });
        return;
    }
    case stimulus_kind::noise: {
        double* current = pop.current().data();
        const auto step32 = static_cast<std::uint32_t>(step);
        for_targets(s, r, [&](std::uint64_t i) {
            current[i] += s.p.mean + s.p.std * s.rng.normal(static_cast<std::uint32_t>(i), step32);
        });
        return;
    }
    default: {
        const double value = homogeneous_current(s, step);
        double* current = pop.current().data();
        for_targets(s, r, [&](std::uint64_t i) { current[i] += value; });
    }
    }
}

} // namespace nm
