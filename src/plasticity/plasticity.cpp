// Plastic projections: validation, reverse (by target) index, and the per-step weight updates.
#include "plasticity/plasticity.hpp"

#include "core/bind.hpp"
#include "core/philox.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace nm {

namespace {

template<class Fields>
bool names_a_field(const Fields& fields, const std::string& name) {
    for (const auto& f : fields)
        if (f.name == name) return true;
    return false;
}

} // namespace

void attach_plasticity(projection& p, const plasticity_spec& spec, const partition& parts,
                       std::uint64_t n_pre, std::uint64_t n_post, double dt, std::uint64_t seed,
                       std::uint32_t index, const std::string& where) {
    const std::string context = "projection " + p.name + ": plasticity";
    const std::string& at = spec.where.empty() ? where : spec.where;
    const std::vector<std::string> rules{"stdp", "triplet", "rstdp", "hebb", "oja"};
    if (std::find(rules.begin(), rules.end(), spec.rule) == rules.end())
        throw bad_config(located(at, context + ": unknown rule \"" + spec.rule + "\"" +
                                         did_you_mean(spec.rule, rules)));
    const int rate_rule = spec.rule == "hebb"  ? plasticity::scaling::hebb
                          : spec.rule == "oja" ? plasticity::scaling::oja
                                               : plasticity::scaling::no_rate_rule;
    const bool rewarded = spec.rule == "rstdp";
    if (!rewarded && !spec.reward_times.empty())
        throw bad_config(located(at, context + ": reward_times need rule \"rstdp\""));
    if (spec.reward_times.size() != spec.reward_amounts.size())
        throw bad_config(located(at, context + ": " + std::to_string(spec.reward_times.size()) +
                                         " reward_times but " +
                                         std::to_string(spec.reward_amounts.size()) +
                                         " reward_amounts; give one amount per time"));
    std::vector<param> rule_params, device_params, scaling_params;
    for (const param& q : spec.params) {
        if (names_a_field(plasticity::memristor::fields, q.name))
            device_params.push_back(q);
        else if (names_a_field(plasticity::scaling::fields, q.name))
            scaling_params.push_back(q);
        else
            rule_params.push_back(q);
    }
    const plasticity::stdp::params defaults =
        spec.rule == "triplet" ? plasticity::stdp::triplet_defaults() : plasticity::stdp::params{};
    const auto bound =
        bind_fields(plasticity::stdp::fields, rule_params,
                    std::vector<plasticity::stdp::params>{defaults}, 1, rng_stream(0, 0), context);
    const auto device =
        bind_fields(plasticity::memristor::fields, device_params,
                    std::vector<plasticity::memristor::params>{{}}, 1, rng_stream(0, 0), context);
    const auto homeostasis =
        bind_fields(plasticity::scaling::fields, scaling_params,
                    std::vector<plasticity::scaling::params>{{}}, 1, rng_stream(0, 0), context);
    auto state = std::make_unique<plastic_state>();
    state->rule_name = spec.rule;
    try {
        state->rule = plasticity::stdp::derive(bound.front(), dt, rewarded);
        state->device = plasticity::memristor::derive(device.front(), bound.front().w_min,
                                                      bound.front().w_max, dt);
        state->scaling =
            plasticity::scaling::derive(homeostasis.front(), dt, rate_rule, bound.front().eta);
    } catch (const bad_parameter& e) {
        throw bad_parameter(located(at, context + ": " + e.what()));
    }
    state->pulse_rng = rng_stream(seed, stream_id(purpose::device_pulse, index));
    state->variation_rng = rng_stream(seed, stream_id(purpose::device_variation, index));
    state->read_rng = rng_stream(seed, stream_id(purpose::device_read, index));
    for (std::size_t k = 0; k < spec.reward_times.size(); ++k) {
        const double time = spec.reward_times[k], amount = spec.reward_amounts[k];
        if (!(time >= 0) || !std::isfinite(time) || !std::isfinite(amount))
            throw bad_parameter(located(at, context + ": reward " + std::to_string(k) + " (" +
                                                format_number(time) + " ms, " +
                                                format_number(amount) +
                                                ") needs a time >= 0 and a finite amount"));
        // Step k's spikes are at (k + 1)·dt: a reward at T joins the step whose spikes are at T.
        const auto step = std::max<long long>(0, std::llround(time / dt) - 1);
        state->rewards.emplace_back(static_cast<std::uint64_t>(step), amount);
    }
    std::stable_sort(state->rewards.begin(), state->rewards.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    const auto& rule = state->rule;
    state->shards.resize(p.shards.size());
    for (unsigned t = 0; t < p.shards.size(); ++t) {
        const csr_shard& s = p.shards[t];
        for (float w : s.weights)
            if (!(w >= rule.w_min - 1e-6 && w <= rule.w_max + 1e-6))
                throw bad_parameter(located(at, context + ": initial weight " + format_number(w) +
                                                    " is outside [w_min, " + "w_max] = [" +
                                                    format_number(rule.w_min) + ", " +
                                                    format_number(rule.w_max) + "]"));
        plastic_shard& ps = state->shards[t];
        ps.pre_trace.assign(n_pre, 0.0);
        ps.post_trace.assign(n_post, 0.0);
        if (state->rule.triplet) {
            ps.pre_slow.assign(n_pre, 0.0);
            ps.post_slow.assign(n_post, 0.0);
        }
        if (state->scaling.enabled) ps.rate_trace.assign(n_post, 0.0);
        if (rate_rule != plasticity::scaling::no_rate_rule) ps.pre_rate_trace.assign(n_pre, 0.0);
        if (rewarded) {
            ps.elig.assign(s.targets.size(), 0.0f);
            ps.elig_at.assign(s.targets.size(), 0.0f);
        }
        if (state->device.enabled) {
            ps.pulses.assign(s.targets.size(), 0);
            ps.programmed_at.assign(s.targets.size(), 0.0f);
        }
        // The synapses onto each target of the chunk, in CSR order (by source).
        const range chunk = parts.chunk(n_post, t);
        ps.in_offsets.assign(chunk.end - chunk.begin + 1, 0);
        for (std::uint32_t packed : s.targets)
            ++ps.in_offsets[(packed & p.target_mask) - chunk.begin + 1];
        for (std::size_t j = 1; j < ps.in_offsets.size(); ++j)
            ps.in_offsets[j] += ps.in_offsets[j - 1];
        ps.in_synapse.resize(s.targets.size());
        ps.in_pre.resize(s.targets.size());
        std::vector<std::uint64_t> next(ps.in_offsets.begin(), ps.in_offsets.end() - 1);
        for (std::uint64_t i = 0; i < n_pre; ++i)
            for (std::uint64_t x = s.offsets[i]; x < s.offsets[i + 1]; ++x) {
                const std::uint64_t slot = next[(s.targets[x] & p.target_mask) - chunk.begin]++;
                ps.in_synapse[slot] = x;
                ps.in_pre[slot] = static_cast<std::uint32_t>(i);
            }
    }
    p.plastic = std::move(state);
}

void apply_plasticity(projection& p, unsigned t, const network& net, std::uint64_t step,
                      double reward) {
    using rule_t = plasticity::stdp;
    const rule_t::coeffs& c = p.plastic->rule;
    plastic_shard& ps = p.plastic->shards[t];
    csr_shard& s = p.shards[t];
    const population& pre = *net.populations[p.pre];
    const population& post = *net.populations[p.post];
    const double now = static_cast<double>(step);
    const std::uint64_t first = post.chunk(t).begin;
    float* w = s.weights.data();
    const plasticity::memristor::coeffs& dev = p.plastic->device;
    // Moves synapse x (pre i, post j) by dw: within bounds, or through a device's pulses.
    auto change = [&](std::uint64_t x, std::uint32_t i, std::uint32_t j, double dw) {
        if (!dev.enabled) {
            w[x] = static_cast<float>(rule_t::bounded(c, w[x] + dw));
            return;
        }
        using device_t = plasticity::memristor;
        const double g = device_t::relaxed(dev, w[x], ps.programmed_at[x], now);
        const double d2d =
            dev.sigma_d2d > 0 ? 1.0 + dev.sigma_d2d * p.plastic->variation_rng.normal(i, j) : 1.0;
        w[x] = static_cast<float>(device_t::program(dev, g, rule_t::bounded(c, g + dw), d2d,
                                                    p.plastic->pulse_rng, i, j, ps.pulses[x]));
        ps.programmed_at[x] = static_cast<float>(now);
    };
    // rstdp: the eligibility of synapse x at this step.
    auto eligibility = [&](std::uint64_t x) {
        const double e = ps.elig[x] * std::pow(c.decay_elig, now - ps.elig_at[x]);
        ps.elig_at[x] = static_cast<float>(now);
        return e;
    };
    // What the rule asks of synapse x: a weight change, or (rstdp) an eligibility change.
    auto update = [&](std::uint64_t x, std::uint32_t i, std::uint32_t j, auto&& rule) {
        if (c.eligibility) {
            ps.elig[x] = static_cast<float>(eligibility(x) + rule(w[x]));
            return;
        }
        change(x, i, j,
               rule(dev.enabled
                        ? plasticity::memristor::relaxed(dev, w[x], ps.programmed_at[x], now)
                        : w[x]));
    };

    // rstdp: a reward event of amount R moves every synapse by η·R·e.
    auto reward_all = [&](double amount) {
        for (std::uint64_t i = 0; i + 1 < s.offsets.size(); ++i)
            for (std::uint64_t x = s.offsets[i]; x < s.offsets[i + 1]; ++x) {
                const double e = eligibility(x);
                ps.elig[x] = static_cast<float>(e);
                change(x, static_cast<std::uint32_t>(i), s.targets[x] & p.target_mask,
                       c.eta * amount * e);
            }
    };
    const auto& rewards = p.plastic->rewards;
    while (ps.next_reward < rewards.size() && rewards[ps.next_reward].first <= step)
        reward_all(rewards[ps.next_reward++].second);

    // Traces to this step, before its spikes: simultaneous spikes do not pair.
    const range chunk = post.chunk(t);
    const bool triplet = c.triplet;
    for (double& r1 : ps.pre_trace) r1 *= c.decay_plus;
    for (std::uint64_t j = chunk.begin; j < chunk.end; ++j) ps.post_trace[j] *= c.decay_minus;
    if (triplet) {
        for (double& r2 : ps.pre_slow) r2 *= c.decay_x;
        for (std::uint64_t j = chunk.begin; j < chunk.end; ++j) ps.post_slow[j] *= c.decay_y;
    }

    const spike_list& posts = post.spikes(t, step);
    const plasticity::scaling::coeffs& sc = p.plastic->scaling;
    if (sc.rule == plasticity::scaling::no_rate_rule) { // the spike-timing rules
        for (std::uint32_t k = 0; k < posts.size; ++k) {
            const std::uint32_t j = posts.neuron[k];
            const double o2 = triplet ? ps.post_slow[j] : 0.0;
            const std::uint64_t local = j - first;
            for (std::uint64_t idx = ps.in_offsets[local]; idx < ps.in_offsets[local + 1]; ++idx) {
                const std::uint32_t i = ps.in_pre[idx];
                const double r1 = ps.pre_trace[i];
                update(ps.in_synapse[idx], i, j,
                       [&](double g) { return rule_t::potentiation(c, g, r1, o2); });
            }
            ps.updates += ps.in_offsets[local + 1] - ps.in_offsets[local];
        }
        for (unsigned u = 0; u < net.parts.threads; ++u) {
            const spike_list& pres = pre.spikes(u, step);
            for (std::uint32_t k = 0; k < pres.size; ++k) {
                const std::uint32_t i = pres.neuron[k];
                const double r2 = triplet ? ps.pre_slow[i] : 0.0;
                for (std::uint64_t x = s.offsets[i]; x < s.offsets[i + 1]; ++x) {
                    const double o1 = ps.post_trace[s.targets[x] & p.target_mask];
                    update(x, i, s.targets[x] & p.target_mask,
                           [&](double g) { return rule_t::depression(c, g, o1, r2); });
                }
                ps.updates += s.offsets[i + 1] - s.offsets[i];
                ps.pre_trace[i] = rule_t::after_spike(c, ps.pre_trace[i]);
                if (triplet) ps.pre_slow[i] = rule_t::after_spike(c, r2);
            }
        }
        for (std::uint32_t k = 0; k < posts.size; ++k) {
            const std::uint32_t j = posts.neuron[k];
            ps.post_trace[j] = rule_t::after_spike(c, ps.post_trace[j]);
            if (triplet) ps.post_slow[j] = rule_t::after_spike(c, ps.post_slow[j]);
        }
    }
    if (reward != 0.0 && c.eligibility) reward_all(reward);

    // Rate-based updates (scaling, hebb, oja): rate traces take this step's spikes; every
    // interval each target's incoming weights move.
    if (!sc.enabled) return;
    const bool pre_rates = !ps.pre_rate_trace.empty();
    for (std::uint64_t j = chunk.begin; j < chunk.end; ++j) ps.rate_trace[j] *= sc.decay;
    for (std::uint32_t k = 0; k < posts.size; ++k) ps.rate_trace[posts.neuron[k]] += 1.0;
    if (pre_rates) {
        for (double& z : ps.pre_rate_trace) z *= sc.decay;
        for (unsigned u = 0; u < net.parts.threads; ++u) {
            const spike_list& pres = pre.spikes(u, step);
            for (std::uint32_t k = 0; k < pres.size; ++k) ps.pre_rate_trace[pres.neuron[k]] += 1.0;
        }
    }
    if ((step + 1) % sc.every != 0) return;
    for (std::uint64_t j = chunk.begin; j < chunk.end; ++j) {
        const std::uint64_t local = j - first;
        double sum = 0.0;
        if (sc.w_sum > 0)
            for (std::uint64_t idx = ps.in_offsets[local]; idx < ps.in_offsets[local + 1]; ++idx)
                sum += w[ps.in_synapse[idx]];
        const double f = plasticity::scaling::factor(sc, ps.rate_trace[j], sum);
        for (std::uint64_t idx = ps.in_offsets[local]; idx < ps.in_offsets[local + 1]; ++idx) {
            const std::uint64_t x = ps.in_synapse[idx];
            const std::uint32_t i = ps.in_pre[idx];
            const double dw = w[x] * (f - 1.0) +
                              (pre_rates ? plasticity::scaling::rate_change(
                                               sc, w[x], ps.pre_rate_trace[i], ps.rate_trace[j])
                                         : 0.0);
            change(x, i, static_cast<std::uint32_t>(j), dw);
        }
        ps.updates += ps.in_offsets[local + 1] - ps.in_offsets[local];
    }
}

} // namespace nm
