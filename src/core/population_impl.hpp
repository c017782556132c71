// The update of a population of model M: deliver (read this step's ring slot of every port),
// integrate, fire, reset, emit. Written once; every model in models/all.hpp instantiates it.
#pragma once

#include "core/bind.hpp"
#include "core/philox.hpp"
#include "core/population.hpp"
#include "core/port_readers.hpp"
#include "core/vector_clones.hpp"
#include "models/model.hpp"
#include "models/spiking.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <type_traits>
#include <utility>

namespace nm {

template<models::neuron_model M>
class population_impl final : public population {
    using params = typename M::params;
    using coeffs = typename M::coeffs;
    using state = typename M::state;
    static constexpr std::size_t n_state = M::state_fields.size();

public:
    population_impl(const population_spec& spec, double dt, std::uint64_t seed, std::uint32_t index)
        : population(spec.name, spec.model, spec.size),
          firing_rng_(seed, stream_id(purpose::firing, index)) {
        check_layout();
        const std::string context =
            "population \"" + spec.name + "\" (model " + std::string(M::name) + ")";
        params_ =
            bind_fields(M::param_fields, spec.params, std::vector<params>{params{}}, spec.size,
                        rng_stream(seed, stream_id(purpose::params, index)), context);
        coeffs_.reserve(params_.size());
        for (const params& p : params_) {
            try {
                coeffs_.push_back(M::derive(p, dt));
            } catch (const bad_parameter& e) {
                throw bad_parameter(located(spec.where, context + ": " + e.what()));
            }
        }
        if constexpr (requires(const coeffs& c) { c.fire.noise; })
            for (const coeffs& c : coeffs_) stochastic_ = stochastic_ || c.fire.noise != 0;

        std::vector<state> base;
        for (const params& p : params_) base.push_back(M::initial(p));
        const std::vector<state> init = bind_fields(
            M::state_fields, spec.init, std::move(base), spec.size,
            rng_stream(seed, stream_id(purpose::init, index)), context, "state variable");
        for (std::size_t k = 0; k < n_state; ++k) columns_[k].resize(size_);
        counts_.assign(size_, 0);
        if (models::fused_model<M>) offsets_.assign(size_, 0.0f);
        std::array<double*, n_state> cols;
        for (std::size_t k = 0; k < n_state; ++k) cols[k] = columns_[k].data();
        for (std::uint64_t i = 0; i < size_; ++i) store(cols, i, init[init.size() == 1 ? 0 : i]);
        state_bytes_ = size_ * n_state * sizeof(double) + coeffs_.size() * sizeof(coeffs);
    }

    bool is_complex() const override { return M::is_complex; }
    // One set, or one per neuron when parameters differ (device backends upload them).
    const std::vector<coeffs>& coefficients() const { return coeffs_; }
    bool stochastic() const { return stochastic_; }
    // The stream of escape-noise firing: u for neuron i at step k is uniform(i, k).
    const rng_stream& firing_rng() const { return firing_rng_; }
    bool off_grid() const override { return models::fused_model<M>; }
    bool has_exact_kernels() const override { return models::linear_model<M>; }

    std::vector<std::string> state_names() const override {
        std::vector<std::string> names;
        for (const auto& f : M::state_fields) names.emplace_back(f.name);
        if (first_current_port()) names.emplace_back("i_syn");
        for (const auto& p : ports_)
            if (p.kind != port_kind::delta) names.push_back(p.name);
        return names;
    }

    // State fields, then "i_syn" (the first current port, as NEST names it), then every
    // synaptic port by name (its current or conductance).
    const double* state_column(const std::string& field) const override {
        for (std::size_t k = 0; k < n_state; ++k)
            if (M::state_fields[k].name == field) return columns_[k].data();
        if (field == "i_syn")
            if (const input_port* p = first_current_port()) return p->current.data();
        for (const auto& p : ports_)
            if (p.kind != port_kind::delta && p.name == field) return p.current.data();
        return nullptr;
    }

    // The port set is final: exact ports get their kernels, and the neuron loop learns how to
    // read the ports (port_readers.hpp).
    void derive_port_kernels(double dt) override {
        if constexpr (models::linear_model<M>) {
            for (auto& p : ports_) {
                if (!p.exact) continue;
                p.kernel_re.clear();
                p.kernel_im.clear();
                p.rise_kernel_re.clear();
                p.rise_kernel_im.clear();
                for (const params& prm : params_) {
                    const models::linear_dynamics d = M::dynamics(prm);
                    const auto k = models::exp_current_kernel(d, p.tau_syn, dt);
                    p.kernel_re.push_back(k.real());
                    p.kernel_im.push_back(k.imag());
                    if (!is_alpha(p.kind)) continue;
                    const auto r = models::alpha_rise_kernel(d, p.tau_syn, dt);
                    p.rise_kernel_re.push_back(r.real());
                    p.rise_kernel_im.push_back(r.imag());
                }
            }
        }
        layout_ = choose_layout();
        short_gain_conductance_ = -1.0;
        if constexpr (requires(const coeffs& c) { c.leak.short_gain_conductance(); })
            short_gain_conductance_ = coeffs_[0].leak.short_gain_conductance();
        else if constexpr (requires(const coeffs& c) { c.short_gain_conductance(); })
            short_gain_conductance_ = coeffs_[0].short_gain_conductance();
    }

    void update(unsigned thread, std::uint64_t step) override {
        const range r = chunk(thread);
        const std::size_t slot = (step & ring_mask_) * size_;
        if constexpr (!M::is_complex) {
            switch (layout_) {
            case port_layout::delta:
                return update_with(thread, step, r, delta_port{ports_[0].ring.data() + slot});
            case port_layout::exact_exp_1:
                return update_with(thread, step, r, exact_ports<1>(slot));
            case port_layout::exact_exp_2:
                return update_with(thread, step, r, exact_ports<2>(slot));
            case port_layout::cond_exp_pair: {
                const cond_exp_pair ports = cond_exp_pair::of(ports_[0], ports_[1], slot);
                if (has_current_) return update_cond_pair<true>(thread, step, r, ports);
                return update_cond_pair<false>(thread, step, r, ports);
            }
            case port_layout::delivered:
                break;
            }
        }
        deliver(r, step);
        const drive_columns::reader drive = drive_.read();
        if (!drive_.empty())
            return update_with(
                thread, step, r,
                delivered_ports<M::is_complex, true>{jump_.data(), jump_im_.data(), drive});
        update_with(thread, step, r,
                    delivered_ports<M::is_complex, false>{jump_.data(), jump_im_.data(), drive});
    }

private:
    // Reading the ports inside the neuron loop pays off (and is compiled) for the shared
    // coefficients and plain firing of the network models that use these port sets.
    port_layout choose_layout() const {
        if (ports_.empty() || M::is_complex || coeffs_.size() > 1 || !plain_firing(coeffs_[0]))
            return port_layout::delivered;
        const auto all = [&](auto pred) { return std::all_of(ports_.begin(), ports_.end(), pred); };
        if (ports_.size() == 1 && ports_[0].kind == port_kind::delta) return port_layout::delta;
        if (ports_.size() == 2 &&
            all([](const input_port& p) { return p.kind == port_kind::exp_cond; }))
            return port_layout::cond_exp_pair;
        const bool exact_exp = all([](const input_port& p) {
            return p.kind == port_kind::exp_current && p.exact && p.kernel_re.size() == 1;
        });
        if (exact_exp && ports_.size() == 1) return port_layout::exact_exp_1;
        if (exact_exp && ports_.size() == 2) return port_layout::exact_exp_2;
        return port_layout::delivered;
    }

    template<int N>
    exact_exp_ports<N> exact_ports(std::size_t slot) {
        exact_exp_ports<N> reader;
        for (int k = 0; k < N; ++k) {
            input_port& p = ports_[k];
            reader.x[k] = p.current.data();
            reader.ring[k] = p.ring.data() + slot;
            reader.kernel[k] = p.kernel_re[0];
            reader.decay[k] = p.decay;
        }
        return reader;
    }

    template<class Ports>
    void update_with(unsigned thread, std::uint64_t step, range r, const Ports& ports) {
        if (has_current_) return update_chunk<true>(thread, step, r, ports);
        update_chunk<false>(thread, step, r, ports);
    }

    template<bool HasCurrent, class Ports>
    void update_chunk(unsigned thread, std::uint64_t step, range r, const Ports& ports) {
        if (plain_firing(coeffs_[0]) && coeffs_.size() == 1)
            return update_neurons<HasCurrent, false, true>(thread, step, r, ports);
        // The fused readers are only chosen for plain firing (choose_layout).
        if constexpr (is_delivered<Ports>) {
            if (coeffs_.size() > 1)
                return update_neurons<HasCurrent, true, false>(thread, step, r, ports);
            update_neurons<HasCurrent, false, false>(thread, step, r, ports);
        }
    }

    // COBA's conductances mostly keep the membrane's k·dt within short_gain_limit, where the
    // conductance step's gain needs no exponential (models/leaky.hpp). Blocks of neurons whose
    // conductances all allow it (|g| ≤ Σ|x| over both ports, at either end of the step) take
    // that form; chunks start at multiples of the block (partition.hpp), so every neuron makes
    // the same choice for any thread count.
    template<bool HasCurrent>
    void update_cond_pair(unsigned thread, std::uint64_t step, range r,
                          const cond_exp_pair& ports) {
        for (std::uint64_t b = r.begin; b < r.end; b += partition::align) {
            const range block{b, std::min(b + partition::align, r.end)};
            if (ports.within(block.begin, block.end, short_gain_conductance_))
                advance<HasCurrent, false, true, true>(step, block, ports);
            else
                advance<HasCurrent, false, true, false>(step, block, ports);
        }
        emit(thread, step, r);
    }

    template<class Ports>
    static constexpr bool is_delivered =
        std::is_same_v<Ports, delivered_ports<M::is_complex, true>> ||
        std::is_same_v<Ports, delivered_ports<M::is_complex, false>>;

    // Binary deterministic spikes with a hard reset: the firing of nearly every network model.
    static bool plain_firing(const coeffs& c) {
        if constexpr (requires { c.fire.noise; })
            return c.fire.noise == models::noise_none && c.fire.n_max == 1 &&
                   c.fire.reset == models::reset_hard;
        return false;
    }
    static coeffs with_plain_firing(coeffs c) {
        if constexpr (requires { c.fire.noise; }) {
            c.fire.noise = models::noise_none;
            c.fire.n_max = 1;
            c.fire.reset = models::reset_hard;
        }
        return c;
    }

    // Two passes: advance moves every neuron of the range on and notes its spike count, with
    // no branch on spiking and with the coefficients in a local copy (a member could alias the
    // state columns it stores, which would pin every coefficient to memory), so the compiler
    // can keep them in registers and vectorise; emit then lists the chunk's few spikers.
    //
    // PlainFiring (plain_firing holds for the shared coefficients) writes those values into
    // the local copy as constants: the firing rule's choices (noise, graded levels, reset
    // kind) fold away, and the loop is straight-line selects that the compiler vectorises
    // (with -fno-trapping-math; an `omp simd` pragma would privatise the locals into arrays
    // and keep the folding from happening).
    template<bool HasCurrent, bool Hetero, bool PlainFiring, class Ports>
    void update_neurons(unsigned thread, std::uint64_t step, range r, const Ports& ports) {
        advance<HasCurrent, Hetero, PlainFiring, false>(step, r, ports);
        emit(thread, step, r);
    }

    // ShortGain: the range's conductances passed update_cond_pair's check.
    template<bool HasCurrent, bool Hetero, bool PlainFiring, bool ShortGain, class Ports>
    NM_VECTOR_CLONES void advance(std::uint64_t step, range r, const Ports ports) {
        const coeffs shared = PlainFiring ? with_plain_firing(coeffs_[0]) : coeffs_[0];
        const coeffs* per_neuron = coeffs_.data();
        const bool stochastic = !PlainFiring && stochastic_;
        const auto step32 = static_cast<std::uint32_t>(step);
        const double* current = current_.data();
        std::array<double*, n_state> cols;
        for (std::size_t k = 0; k < n_state; ++k) cols[k] = columns_[k].data();
        count_lane* counts = counts_.data();
        float* offsets = offsets_.data();
        // Neuron i touches index i of every array only: no dependence between iterations, so
        // the vectoriser need not version the loop for aliasing among a dozen arrays.
#pragma GCC ivdep
        for (std::uint64_t i = r.begin; i < r.end; ++i) {
            models::neuron_input in;
            in.short_gain = ShortGain;
            ports(i, in);
            if constexpr (HasCurrent) in.current = current[i];
            const coeffs& c = Hetero ? per_neuron[i] : shared;
            state s = load(cols, i);
            if constexpr (models::fused_model<M>) {
                const models::crossing x = M::advance(c, s, in);
                counts[i] = static_cast<count_lane>(x.n);
                offsets[i] = static_cast<float>(x.offset);
            } else {
                const double u =
                    stochastic ? firing_rng_.uniform(static_cast<std::uint32_t>(i), step32) : 0.0;
                const double vstar = M::integrate(c, s, in);
                const int n = M::fire(c, s, vstar, u);
                M::reset(c, s, vstar, n);
                counts[i] = static_cast<count_lane>(n);
            }
            store(cols, i, s);
        }
    }

    NM_VECTOR_CLONES void emit(unsigned thread, std::uint64_t step, range r) {
        const count_lane* counts = counts_.data();
        const float* offsets = offsets_.data();
        // Spikes are rare: skip 64 silent neurons at a time (a vectorised OR), then compact
        // without a branch per neuron (every index is written, only spikers advance).
        spike_list& emitted = out(thread, step);
        std::uint32_t* neuron = emitted.neuron.data();
        std::uint32_t n = 0;
        std::uint64_t i = r.begin;
        for (; i + 64 <= r.end; i += 64) {
            count_lane any = 0;
            for (std::uint64_t j = 0; j < 64; ++j) any |= counts[i + j];
            if (any == 0) continue;
            for (std::uint64_t j = i; j < i + 64; ++j) {
                neuron[n] = static_cast<std::uint32_t>(j);
                n += counts[j] != 0;
            }
        }
        for (; i < r.end; ++i) {
            neuron[n] = static_cast<std::uint32_t>(i);
            n += counts[i] != 0;
        }
        emitted.size = n;
        for (std::uint32_t k = 0; k < n; ++k) {
            const std::uint32_t i = neuron[k];
            emitted.count[k] = static_cast<std::uint16_t>(counts[i]);
            if constexpr (models::fused_model<M>) emitted.offset[k] = offsets[i];
            count_spike(i, step);
        }
    }

    const input_port* first_current_port() const {
        for (const auto& p : ports_)
            if (p.kind == port_kind::exp_current || p.kind == port_kind::alpha_current) return &p;
        return nullptr;
    }

    // State travels as n_state doubles in field-table order (checked in check_layout), one
    // scalar per column, bit_cast into the struct: the compiler keeps it in registers and can
    // vectorise the neuron loop over the columns.
    static state load(const std::array<double*, n_state>& cols, std::uint64_t i) {
        return [&]<std::size_t... K>(std::index_sequence<K...>) {
            return std::bit_cast<state>(std::array<double, n_state>{cols[K][i]...});
        }
        (std::make_index_sequence<n_state>{});
    }

    static void store(const std::array<double*, n_state>& cols, std::uint64_t i, const state& s) {
        const auto v = std::bit_cast<std::array<double, n_state>>(s);
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            ((cols[K][i] = v[K]), ...);
        }
        (std::make_index_sequence<n_state>{});
    }

    static void check_layout() {
        static_assert(std::is_trivially_copyable_v<state> &&
                          sizeof(state) == n_state * sizeof(double),
                      "a model state must be doubles only, one per state field");
        state s{};
        for (std::size_t k = 0; k < n_state; ++k)
            if (reinterpret_cast<const char*>(&(s.*(M::state_fields[k].number))) !=
                reinterpret_cast<const char*>(&s) + k * sizeof(double))
                throw internal_error(std::string(M::name) +
                                     ": state_fields must list the state members in order");
    }

    std::vector<params> params_;
    std::vector<coeffs> coeffs_; // one, or one per neuron when parameters differ
    std::array<std::vector<double>, n_state> columns_;
    // Spikes per neuron this step (advance's output). 32 bits: the vectoriser then handles eight
    // neurons per iteration, where 16-bit counts made it take sixteen and spill the model's
    // registers (COBA 1.9 -> 1.5 s per 10 s) and 64-bit ones left the loop latency-bound.
    using count_lane = std::uint32_t;
    std::vector<count_lane> counts_;
    std::vector<float> offsets_; // their times in the step (fused models)
    rng_stream firing_rng_;
    bool stochastic_ = false;
    port_layout layout_ = port_layout::delivered;
    double short_gain_conductance_ = -1.0; // see update_cond_pair
};

} // namespace nm
