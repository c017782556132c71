// How the GPU lays out a built network's synapses and stimuli (host side, before upload): the
// projections' CSR shards merged, their ELL tables by target for the post-synaptic walk (and
// the way back for learned weights), a stimulus' values per step, an encoded stimulus' events
// by neuron. Plain vectors: simulate.cpp uploads them.
#pragma once

#include "core/projection.hpp"
#include "core/stimulus.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace nm::cuda {

// Every shard's synapses of one projection as one CSR (shards merged row by row: each target
// still receives its synapses in the CPU's order).
inline csr_shard merged(const projection& p, std::uint64_t n_pre) {
    if (p.shards.size() == 1) return p.shards.front();
    csr_shard out;
    out.offsets.push_back(0);
    for (std::uint64_t i = 0; i < n_pre; ++i) {
        for (const csr_shard& s : p.shards) {
            out.targets.insert(out.targets.end(), s.targets.begin() + s.offsets[i],
                               s.targets.begin() + s.offsets[i + 1]);
            if (!s.weights.empty())
                out.weights.insert(out.weights.end(), s.weights.begin() + s.offsets[i],
                                   s.weights.begin() + s.offsets[i + 1]);
            if (!s.weights_im.empty())
                out.weights_im.insert(out.weights_im.end(), s.weights_im.begin() + s.offsets[i],
                                      s.weights_im.begin() + s.offsets[i + 1]);
        }
        out.offsets.push_back(out.targets.size());
    }
    return out;
}

// Synapses per target of p.
inline std::vector<std::uint32_t> incoming(const projection& p, std::uint64_t n_post) {
    std::vector<std::uint32_t> in(n_post, 0);
    for (const csr_shard& s : p.shards)
        for (const std::uint32_t packed : s.targets) ++in[packed & p.target_mask];
    return in;
}

inline std::uint32_t longest_incoming(const projection& p, std::uint64_t n_post) {
    const auto in = incoming(p, n_post);
    return in.empty() ? 0 : *std::max_element(in.begin(), in.end());
}

// A projection's synapses by target (sim_gather): entry k of target t at [k·n_post + t], each
// target's in the CPU's order (by source, then row position), lists shorter than max_in ended
// by no_source (`empty`). Weights and delays only where they vary; entry_of (plastic
// projections) maps each synapse of the merged CSR to its entry.
struct ell_table {
    std::uint32_t max_in = 0;
    std::vector<std::uint32_t> sources;
    std::vector<float> weights, weights_im;
    std::vector<std::uint16_t> delays;
    std::vector<std::uint64_t> entry_of;
};

inline ell_table by_target(const projection& p, const csr_shard& s, std::uint64_t n_post,
                           std::uint32_t empty) {
    std::vector<std::uint32_t> in = incoming(p, n_post);
    ell_table t;
    t.max_in = in.empty() ? 0 : *std::max_element(in.begin(), in.end());
    const std::size_t entries = std::size_t{t.max_in} * n_post;
    t.sources.assign(entries, empty);
    if (p.varying_weight) t.weights.resize(entries);
    if (!s.weights_im.empty()) t.weights_im.resize(entries);
    if (p.varying_delay) t.delays.resize(entries);
    std::fill(in.begin(), in.end(), 0); // now each target's entries so far
    for (std::uint64_t i = 0; i + 1 < s.offsets.size(); ++i)
        for (std::uint64_t x = s.offsets[i]; x < s.offsets[i + 1]; ++x) {
            const std::uint32_t target = s.targets[x] & p.target_mask;
            const std::size_t at = in[target]++ * n_post + target;
            if (p.plastic) t.entry_of.push_back(at);
            t.sources[at] = static_cast<std::uint32_t>(i);
            if (p.varying_weight) t.weights[at] = s.weights[x];
            if (!s.weights_im.empty()) t.weights_im[at] = s.weights_im[x];
            if (p.varying_delay)
                t.delays[at] = static_cast<std::uint16_t>(s.targets[x] >> p.delay_shift);
        }
    return t;
}

// Values per synapse as the ELL table holds them (learned weights, device pulses) back into
// column(t) of each shard t of p, in CSR order (the merged CSR's order is shard by shard within
// each row, as merged() lays them out).
template<class T, class Column>
void split_back(projection& p, const std::vector<T>& table,
                const std::vector<std::uint64_t>& entry_of, Column column) {
    std::uint64_t m = 0;
    for (std::uint64_t i = 0; i + 1 < p.shards.front().offsets.size(); ++i)
        for (std::size_t t = 0; t < p.shards.size(); ++t) {
            const csr_shard& shard = p.shards[t];
            auto& values = column(t);
            for (std::uint64_t x = shard.offsets[i]; x < shard.offsets[i + 1]; ++x)
                values[x] = table[entry_of[m++]];
        }
}

// What a stimulus adds at steps [start, stop): the current of step, ac and chirp (the CPU's
// own values), or spike_times' arrivals (multiplicity · weight, zero between its spikes).
inline std::vector<double> per_step(const stimulus& s, std::uint64_t start, std::uint64_t stop) {
    std::vector<double> values(stop > start ? stop - start : 0, 0.0);
    if (s.kind == stimulus_kind::spike_times) {
        for (const auto& [step, multiplicity] : s.spike_steps)
            if (step >= start && step < stop) values[step - start] = multiplicity * s.p.weight;
        return values;
    }
    for (std::uint64_t k = start; k < stop; ++k) values[k - start] = homogeneous_current(s, k);
    return values;
}

// An encoded stimulus' events with each step's sorted by neuron (a neuron's own kept in the
// CPU's order), as neurons and counts.
struct events_by_neuron {
    std::vector<std::uint32_t> neurons;
    std::vector<std::uint16_t> counts;
};

inline events_by_neuron by_neuron(const stimulus& s) {
    auto events = s.events;
    for (std::size_t k = 0; k + 1 < s.event_offsets.size(); ++k)
        std::stable_sort(events.begin() + s.event_offsets[k],
                         events.begin() + s.event_offsets[k + 1],
                         [](const auto& a, const auto& b) { return a.first < b.first; });
    events_by_neuron out;
    for (const auto& [neuron, count] : events) {
        out.neurons.push_back(static_cast<std::uint32_t>(neuron));
        out.counts.push_back(count);
    }
    return out;
}

} // namespace nm::cuda
