// Population buffers: ports, rings, spike lists and counters, sized once before the run.
#include "core/population.hpp"

#include "core/bind.hpp"
#include "core/fields.hpp"
#include "core/port_readers.hpp"
#include "core/vector_clones.hpp"
#include "nm/errors.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace nm {

namespace {

std::string_view kind_name(port_kind k) {
    switch (k) {
    case port_kind::delta:
        return "delta";
    case port_kind::exp_current:
        return "exp";
    case port_kind::alpha_current:
        return "alpha";
    case port_kind::exp_cond:
        return "cond_exp";
    case port_kind::alpha_cond:
        return "cond_alpha";
    }
    return "?";
}

bool same_settings(const input_port& p, const port_request& r) {
    if (p.kind != r.kind) return false;
    if (r.kind == port_kind::delta) return true;
    return p.tau_syn == r.tau_syn && (!is_conductance(r.kind) || p.e_rev == r.e_rev);
}

std::string describe(port_kind kind, double tau_syn, double e_rev) {
    std::string s(kind_name(kind));
    if (kind != port_kind::delta)
        s.append(", tau_syn = ").append(format_number(tau_syn)).append(" ms");
    if (is_conductance(kind)) s.append(", e_rev = ").append(format_number(e_rev)).append(" mV");
    return s;
}

} // namespace

port_request make_port_request(const std::string& kind, double tau_syn, double e_rev,
                               const std::string& name) {
    const auto at = std::find(synapse_kinds.begin(), synapse_kinds.end(), kind);
    if (at == synapse_kinds.end())
        throw std::invalid_argument(
            "unknown synapse kind \"" + kind + "\"" +
            did_you_mean(kind,
                         std::vector<std::string>(synapse_kinds.begin(), synapse_kinds.end())));
    port_request r;
    r.kind = static_cast<port_kind>(at - synapse_kinds.begin());
    r.tau_syn = tau_syn;
    r.e_rev = e_rev;
    r.name = name;
    if (r.kind != port_kind::delta && !(tau_syn > 0 && std::isfinite(tau_syn)))
        throw std::invalid_argument("tau_syn = " + format_number(tau_syn) + " ms must be > 0");
    if (is_conductance(r.kind) && !std::isfinite(e_rev))
        throw std::invalid_argument("e_rev = " + format_number(e_rev) + " mV must be finite");
    return r;
}

int population::port_for(const port_request& r) {
    for (int i = 0; i < ports(); ++i) {
        const input_port& p = ports_[i];
        if (!r.name.empty() && p.name == r.name) {
            if (!same_settings(p, r))
                throw std::invalid_argument("port \"" + r.name + "\" is already " +
                                            describe(p.kind, p.tau_syn, p.e_rev) + ", not " +
                                            describe(r.kind, r.tau_syn, r.e_rev));
            return i;
        }
        if (r.name.empty() && same_settings(p, r)) return i;
    }
    if (is_conductance(r.kind) && is_complex())
        throw std::invalid_argument("conductance synapses need a real-valued membrane; " + model_ +
                                    " is complex");
    input_port p;
    p.kind = r.kind;
    p.tau_syn = r.kind == port_kind::delta ? 0.0 : r.tau_syn;
    p.e_rev = is_conductance(r.kind) ? r.e_rev : 0.0;
    p.complex = r.kind == port_kind::delta && is_complex();
    p.name = r.name.empty() ? std::string(kind_name(r.kind)) : r.name;
    for (const auto& q : ports_)
        if (q.name == p.name) p.name.append("_").append(std::to_string(ports()));
    ports_.push_back(std::move(p));
    return ports() - 1;
}

void population::finalize(const partition& parts, std::uint32_t ring_slots, double dt) {
    if (ring_slots == 0 || (ring_slots & (ring_slots - 1)) != 0)
        throw internal_error("ring size must be a power of two");
    parts_ = parts;
    ring_mask_ = ring_slots - 1;
    bool drive = false;
    for (auto& p : ports_) {
        p.ring.assign(std::size_t{ring_slots} * size_, 0.0);
        if (p.complex) p.ring_im.assign(std::size_t{ring_slots} * size_, 0.0);
        if (p.kind == port_kind::delta) continue;
        p.current.assign(size_, 0.0);
        if (is_alpha(p.kind)) p.rise.assign(size_, 0.0);
        p.decay = std::exp(-dt / p.tau_syn);
        p.arrival_scale = is_alpha(p.kind) ? std::numbers::e / p.tau_syn : 1.0;
        p.exact = !is_conductance(p.kind) && has_exact_kernels();
        drive = drive || !p.exact;
    }
    derive_port_kernels(dt);
    dt_ = dt;
    if (drive) drive_.resize(size_);
    jump_.assign(size_, 0.0);
    if (is_complex()) jump_im_.assign(size_, 0.0);
    if (has_current_) current_.assign(size_, 0.0);
    spikes_.assign(parts.threads, {});
    for (unsigned t = 0; t < parts.threads; ++t) {
        const range r = chunk(t);
        for (auto& list : spikes_[t]) {
            list.neuron.assign(r.end - r.begin, 0);
            list.count.assign(r.end - r.begin, 0);
            if (off_grid()) list.offset.assign(r.end - r.begin, 0.0f);
        }
    }
    stats_.spikes.assign(size_, 0);
    stats_.last_step.assign(size_, -1);
    stats_.isi_sum.assign(size_, 0.0);
    stats_.isi_sq.assign(size_, 0.0);
    stats_.isi_n.assign(size_, 0);
}

namespace {

// The port loops, with every per-port choice a template parameter so that each loop is
// straight-line arithmetic over arrays (vectorised by the compiler).
template<bool Alpha, bool PerNeuron, bool Complex>
NM_VECTOR_CLONES void exact_loop(input_port& p, double* ring, double* jump, double* jump_im,
                                 double dt, std::uint64_t b, std::uint64_t e) {
    double* __restrict x = p.current.data();
    double* __restrict y = p.rise.data();
    // Restrict-qualified so that a shared kernel (k = 0) is loaded once, not per neuron.
    const double* __restrict k_re = p.kernel_re.data();
    const double* __restrict k_im = p.kernel_im.data();
    const double* __restrict r_re = p.rise_kernel_re.data();
    const double* __restrict r_im = p.rise_kernel_im.data();
    const double decay = p.decay, scale = p.arrival_scale;
#pragma GCC ivdep
    for (std::uint64_t i = b; i < e; ++i) {
        const std::size_t k = PerNeuron ? i : 0;
        jump[i] += k_re[k] * x[i];
        if constexpr (Complex) jump_im[i] += k_im[k] * x[i];
        if constexpr (Alpha) {
            jump[i] += r_re[k] * y[i];
            if constexpr (Complex) jump_im[i] += r_im[k] * y[i];
            x[i] = decay * (x[i] + dt * y[i]);
            y[i] = decay * y[i] + scale * ring[i];
        } else {
            x[i] = decay * x[i] + ring[i];
        }
        ring[i] = 0.0;
    }
}

template<bool Alpha, bool Conductance, bool Assign>
NM_VECTOR_CLONES void drive_loop(input_port& p, double* ring, drive_columns& drive, double dt,
                                 std::uint64_t b, std::uint64_t e) {
    double* __restrict x = p.current.data();
    double* __restrict y = p.rise.data();
    double* __restrict at_start = Conductance ? drive.g0.data() : drive.i0.data();
    double* __restrict at_end = Conductance ? drive.g1.data() : drive.i1.data();
    double* __restrict ge_start = drive.ge0.data();
    double* __restrict ge_end = drive.ge1.data();
    const double decay = p.decay, scale = p.arrival_scale, e_rev = p.e_rev;
#pragma GCC ivdep
    for (std::uint64_t i = b; i < e; ++i) {
        const double x0 = x[i];
        const double x1 = Alpha ? decay * (x0 + dt * y[i]) : decay * x0;
        at_start[i] = Assign ? x0 : at_start[i] + x0;
        at_end[i] = Assign ? x1 : at_end[i] + x1;
        if constexpr (Conductance) {
            ge_start[i] = Assign ? x0 * e_rev : ge_start[i] + x0 * e_rev;
            ge_end[i] = Assign ? x1 * e_rev : ge_end[i] + x1 * e_rev;
        }
        if constexpr (Alpha) {
            x[i] = x1;
            y[i] = decay * y[i] + scale * ring[i];
        } else {
            x[i] = x1 + ring[i];
        }
        ring[i] = 0.0;
    }
}

// The excitatory and inhibitory exponential conductances of COBA-style networks (NEST's
// iaf_cond_exp) in one pass: the drive columns are written once instead of written and updated.
NM_VECTOR_CLONES void cond_pair_loop(const cond_exp_pair& pair, drive_columns& drive,
                                     std::uint64_t b, std::uint64_t e) {
    double* __restrict g0 = drive.g0.data();
    double* __restrict g1 = drive.g1.data();
    double* __restrict ge0 = drive.ge0.data();
    double* __restrict ge1 = drive.ge1.data();
#pragma GCC ivdep
    for (std::uint64_t i = b; i < e; ++i) {
        models::neuron_input in;
        pair(i, in);
        g0[i] = in.syn.g0;
        g1[i] = in.syn.g1;
        ge0[i] = in.syn.ge0;
        ge1[i] = in.syn.ge1;
    }
}

} // namespace

// An integer OR of the comparisons: a reduction the compiler vectorises (given AVX2).
NM_VECTOR_CLONES bool abs_sums_within(const double* x, const double* y, std::uint64_t b,
                                      std::uint64_t e, double bound) {
    std::uint64_t over = 0;
    for (std::uint64_t i = b; i < e; ++i)
        over |= static_cast<std::uint64_t>(std::fabs(x[i]) + std::fabs(y[i]) > bound);
    return over == 0;
}

void population::deliver(range r, std::uint64_t step) {
    const std::size_t slot = (step & ring_mask_) * size_;
    const std::uint64_t b = r.begin, e = r.end;
    double* jump = jump_.data();
    double* jump_im = jump_im_.data();
    std::fill(jump + b, jump + e, 0.0);
    if (!jump_im_.empty()) std::fill(jump_im + b, jump_im + e, 0.0);
    if (ports_.size() == 2 && ports_[0].kind == port_kind::exp_cond &&
        ports_[1].kind == port_kind::exp_cond)
        return cond_pair_loop(cond_exp_pair::of(ports_[0], ports_[1], slot), drive_, b, e);
    // Each loop reads a ring slot and clears it in the same pass. The first port writing a
    // drive column assigns it, the others add (the columns need no clearing pass).
    bool current_written = false, conductance_written = false;
    for (auto& p : ports_) {
        double* ring = p.ring.data() + slot;
        if (p.kind == port_kind::delta) {
            for (std::uint64_t i = b; i < e; ++i) {
                jump[i] += ring[i];
                ring[i] = 0.0;
            }
            if (p.complex) {
                double* ring_im = p.ring_im.data() + slot;
                for (std::uint64_t i = b; i < e; ++i) {
                    jump_im[i] += ring_im[i];
                    ring_im[i] = 0.0;
                }
            }
        } else if (p.exact) {
            deliver_exact(p, ring, b, e);
        } else {
            bool& written = is_conductance(p.kind) ? conductance_written : current_written;
            deliver_drive(p, ring, b, e, !written);
            written = true;
        }
    }
}

void population::deliver_exact(input_port& p, double* ring, std::uint64_t b, std::uint64_t e) {
    double* jump = jump_.data();
    double* jump_im = jump_im_.data();
    const bool per_neuron = p.kernel_re.size() > 1, complex = !jump_im_.empty();
    auto run = [&]<bool Alpha>() {
        if (complex) {
            if (per_neuron) return exact_loop<Alpha, true, true>(p, ring, jump, jump_im, dt_, b, e);
            return exact_loop<Alpha, false, true>(p, ring, jump, jump_im, dt_, b, e);
        }
        if (per_neuron) return exact_loop<Alpha, true, false>(p, ring, jump, jump_im, dt_, b, e);
        exact_loop<Alpha, false, false>(p, ring, jump, jump_im, dt_, b, e);
    };
    if (is_alpha(p.kind))
        run.template operator()<true>();
    else
        run.template operator()<false>();
}

void population::deliver_drive(input_port& p, double* ring, std::uint64_t b, std::uint64_t e,
                               bool assign) {
    auto run = [&]<bool Alpha, bool Conductance>() {
        if (assign) return drive_loop<Alpha, Conductance, true>(p, ring, drive_, dt_, b, e);
        drive_loop<Alpha, Conductance, false>(p, ring, drive_, dt_, b, e);
    };
    switch (p.kind) {
    case port_kind::exp_current:
        return run.template operator()<false, false>();
    case port_kind::alpha_current:
        return run.template operator()<true, false>();
    case port_kind::exp_cond:
        return run.template operator()<false, true>();
    case port_kind::alpha_cond:
        return run.template operator()<true, true>();
    case port_kind::delta:
        break;
    }
}

std::uint64_t population::memory_bytes() const {
    std::uint64_t bytes =
        state_bytes_ + (current_.size() + jump_.size() + jump_im_.size()) * sizeof(double);
    for (const auto& p : ports_)
        bytes += (p.ring.size() + p.ring_im.size() + p.current.size() + p.rise.size() +
                  p.kernel_re.size() + p.kernel_im.size() + p.rise_kernel_re.size() +
                  p.rise_kernel_im.size()) *
                 sizeof(double);
    bytes += drive_.bytes();
    bytes += size_ * (sizeof(std::uint32_t) * 2 + sizeof(std::int64_t) + 2 * sizeof(double));
    bytes += size_ * 2 * (sizeof(std::uint32_t) + sizeof(std::uint16_t));
    return bytes;
}

std::uint32_t population_index(std::span<const std::unique_ptr<population>> populations,
                               const std::string& name, const std::string& where,
                               const std::string& context, const std::string& noun) {
    std::vector<std::string> names;
    for (std::uint32_t i = 0; i < populations.size(); ++i) {
        if (populations[i]->name() == name) return i;
        names.push_back(populations[i]->name());
    }
    throw bad_config(located(where, context + ": unknown " + noun + " \"" + name + "\"" +
                                        did_you_mean(name, names)));
}

} // namespace nm
