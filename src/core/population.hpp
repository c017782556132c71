// A population at run time: neurons of one model in SoA columns, their input ports (ring
// buffers indexed by step mod ring size), the spikes each thread emitted this step, and the
// counters behind rates and ISI CVs. The model-specific update lives in population_impl.hpp;
// the step loop calls it through one virtual call per population per step.
#pragma once

#include "core/partition.hpp"
#include "core/spike_count.hpp"
#include "models/model.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace nm {

enum class port_kind { delta, exp_current, alpha_current, exp_cond, alpha_cond };

constexpr bool is_conductance(port_kind k) {
    return k == port_kind::exp_cond || k == port_kind::alpha_cond;
}
constexpr bool is_alpha(port_kind k) {
    return k == port_kind::alpha_current || k == port_kind::alpha_cond;
}

// What a projection or stimulus asks of its target's port.
struct port_request {
    port_kind kind = port_kind::delta;
    double tau_syn = 0.0; // ms, all kinds but delta
    double e_rev = 0.0;   // mV, conductance kinds
    std::string name;     // optional: the name traces record the port's state by
};

// The synapse kinds a TOML file may name, and the request one of them makes of a port; bad
// settings (unknown kind, tau_syn <= 0) throw std::invalid_argument with the reason.
inline constexpr std::array<std::string_view, 5> synapse_kinds{"delta", "exp", "alpha", "cond_exp",
                                                               "cond_alpha"};
port_request make_port_request(const std::string& kind, double tau_syn, double e_rev,
                               const std::string& name);

// Where synapses of one kind (time constant, reversal potential) deliver into a population.
// Exponential ports hold x (a current or a conductance) with dx/dt = -x/τ; alpha ports add a
// rise variable y with dx/dt = -x/τ + y, dy/dt = -y/τ, a spike of weight w adding w·e/τ to y so
// that x peaks at w, τ after the spike (NEST's *_alpha normalisation).
struct input_port {
    port_kind kind = port_kind::delta;
    std::string name;
    double tau_syn = 0.0, e_rev = 0.0;
    bool complex = false;          // carries an imaginary part (delta ports of complex models)
    bool exact = false;            // current port on a linear model: delivered through kernels
    std::vector<double> ring;      // [slot][neuron]
    std::vector<double> ring_im;   // complex ports only
    std::vector<double> current;   // x per neuron (current or conductance)
    std::vector<double> rise;      // alpha ports: y per neuron
    double decay = 0.0;            // exp(-dt/τ)
    double arrival_scale = 1.0;    // e/τ for alpha ports, 1 otherwise
    std::vector<double> kernel_re; // exact ports: v change per unit x (1 or one per neuron)
    std::vector<double> kernel_im;
    std::vector<double> rise_kernel_re; // exact alpha ports: v change per unit y
    std::vector<double> rise_kernel_im;
};

// Spikes one thread emitted for one population in one step (capacity = the thread's chunk).
struct spike_list {
    std::vector<std::uint32_t> neuron;
    std::vector<std::uint16_t> count;
    std::vector<float> offset; // ms into the step, models with off-grid spike times only
    std::uint32_t size = 0;
};

// The synaptic drive of a population's non-exact ports, one column per synaptic_drive member
// (columns, not an array of structs: the neuron loop reading them then vectorises).
struct drive_columns {
    std::vector<double> i0, i1, g0, g1, ge0, ge1;

    struct reader {
        const double *i0, *i1, *g0, *g1, *ge0, *ge1;
        models::synaptic_drive operator[](std::uint64_t i) const {
            return {i0[i], i1[i], g0[i], g1[i], ge0[i], ge1[i]};
        }
    };

    bool empty() const { return g0.empty(); }
    std::uint64_t bytes() const { return 6 * g0.size() * sizeof(double); }
    void resize(std::uint64_t n) {
        for (auto* c : {&i0, &i1, &g0, &g1, &ge0, &ge1}) c->assign(n, 0.0);
    }
    reader read() const {
        return {i0.data(), i1.data(), g0.data(), g1.data(), ge0.data(), ge1.data()};
    }
};

// Per-neuron counters for rates and ISI statistics.
struct spike_stats {
    std::vector<std::uint32_t> spikes;
    std::vector<std::int64_t> last_step;
    std::vector<double> isi_sum, isi_sq;
    std::vector<std::uint32_t> isi_n;
};

class population {
public:
    population(std::string name, std::string model, std::uint64_t size)
        : name_(std::move(name)), model_(std::move(model)), size_(size) {}
    virtual ~population() = default;

    const std::string& name() const { return name_; }
    const std::string& model() const { return model_; }
    std::uint64_t size() const { return size_; }
    virtual bool is_complex() const = 0;
    // Whether spikes carry their time inside the step (models that detect crossings in the step).
    virtual bool off_grid() const = 0;
    virtual std::vector<std::string> state_names() const = 0;
    // The column of a state field (or "i_syn"), or nullptr when the model has none by that name.
    virtual const double* state_column(const std::string& field) const = 0;

    // Index of the port matching the request, created on first use; a request naming an
    // existing port with other settings is refused (std::invalid_argument, with the reason).
    int port_for(const port_request& request);
    const input_port& port(int i) const { return ports_[i]; }
    input_port& port(int i) { return ports_[i]; }
    int ports() const { return static_cast<int>(ports_.size()); }

    // Fixes threads and ring size; allocates every buffer. Called once, before the run.
    void finalize(const partition& parts, std::uint32_t ring_slots, double dt);
    virtual void derive_port_kernels(double dt) = 0;

    std::uint32_t ring_mask() const { return ring_mask_; }
    double* ring_slot(int port, std::uint64_t step) {
        return ports_[port].ring.data() + (step & ring_mask_) * size_;
    }
    double* ring_slot_im(int port, std::uint64_t step) {
        return ports_[port].ring_im.data() + (step & ring_mask_) * size_;
    }
    // Constant-over-the-step current from stimuli, zeroed by the thread before its stimuli add.
    std::vector<double>& current() { return current_; }
    bool has_current() const { return has_current_; }
    void use_current() { has_current_ = true; }

    range chunk(unsigned thread) const { return parts_.chunk(size_, thread); }
    const spike_list& spikes(unsigned thread, std::uint64_t step) const {
        return spikes_[thread][step & 1];
    }

    // Integrate, fire, reset for this thread's neurons at `step`; fills spikes(thread, step).
    virtual void update(unsigned thread, std::uint64_t step) = 0;

    const spike_stats& stats() const { return stats_; }
    // Written back by a device backend that ran the population (src/backends/cuda).
    spike_stats& stats() { return stats_; }
    double* state_column(const std::string& field) {
        return const_cast<double*>(std::as_const(*this).state_column(field));
    }
    std::uint64_t memory_bytes() const;

protected:
    // Deliver: sums this step's ring slot of every port into jump_ (and jump_im_) for the
    // chunk, clearing the slot; exact ports add their kernels times the port state, the others
    // add their state at both ends of the step to drive_; then the ports decay and take the
    // arrivals (NEST's iaf_psc_exp order: an arrival acts from the next step).
    void deliver(range r, std::uint64_t step);
    // Whether a port is delivered through the model's exact kernels (linear model, current).
    virtual bool has_exact_kernels() const = 0;
    void deliver_exact(input_port& p, double* ring, std::uint64_t b, std::uint64_t e);
    // assign: the first port of its kind (current or conductance) this step, which overwrites.
    void deliver_drive(input_port& p, double* ring, std::uint64_t b, std::uint64_t e, bool assign);

    spike_list& out(unsigned thread, std::uint64_t step) { return spikes_[thread][step & 1]; }
    void count_spike(std::uint32_t i, std::uint64_t step) {
        nm::count_spike(stats_.spikes[i], stats_.last_step[i], stats_.isi_sum[i], stats_.isi_sq[i],
                        stats_.isi_n[i], step);
    }

    std::string name_, model_;
    std::uint64_t size_;
    std::vector<input_port> ports_;
    std::uint32_t ring_mask_ = 0;
    std::vector<double> current_;
    std::vector<double> jump_, jump_im_; // delivered input per neuron for this step (mV)
    drive_columns drive_;                // per neuron, when some port is not exact
    bool has_current_ = false;
    double dt_ = 0.0;
    partition parts_;
    std::vector<std::array<spike_list, 2>> spikes_; // [thread][step parity]
    spike_stats stats_;
    std::uint64_t state_bytes_ = 0;
};

// The index of the population called `name`; else bad_config located at `where`:
// "`context`: unknown `noun` "name"", with the nearest existing name.
std::uint32_t population_index(std::span<const std::unique_ptr<population>> populations,
                               const std::string& name, const std::string& where,
                               const std::string& context, const std::string& noun = "population");

} // namespace nm
