// Population buffers: ports, rings, spike lists and counters, sized once before the run.
#include "core/population.hpp"

#include "nm/errors.hpp"

#include <algorithm>

namespace nm {

int population::port_for(port_kind kind, double tau_syn) {
    for (int i = 0; i < ports(); ++i)
        if (ports_[i].kind == kind && (kind == port_kind::delta || ports_[i].tau_syn == tau_syn))
            return i;
    input_port p;
    p.kind = kind;
    p.tau_syn = kind == port_kind::delta ? 0.0 : tau_syn;
    p.complex = kind == port_kind::delta && is_complex();
    ports_.push_back(std::move(p));
    return ports() - 1;
}

void population::finalize(const partition& parts, std::uint32_t ring_slots, double dt) {
    if (ring_slots == 0 || (ring_slots & (ring_slots - 1)) != 0)
        throw internal_error("ring size must be a power of two");
    parts_ = parts;
    ring_mask_ = ring_slots - 1;
    for (auto& p : ports_) {
        p.ring.assign(std::size_t{ring_slots} * size_, 0.0);
        if (p.complex) p.ring_im.assign(std::size_t{ring_slots} * size_, 0.0);
        if (p.kind == port_kind::exp_current) p.current.assign(size_, 0.0);
    }
    derive_port_kernels(dt);
    jump_.assign(size_, 0.0);
    if (is_complex()) jump_im_.assign(size_, 0.0);
    if (has_current_) current_.assign(size_, 0.0);
    spikes_.assign(parts.threads, {});
    for (unsigned t = 0; t < parts.threads; ++t) {
        const range r = chunk(t);
        for (auto& list : spikes_[t]) {
            list.neuron.assign(r.end - r.begin, 0);
            list.count.assign(r.end - r.begin, 0);
        }
    }
    stats_.spikes.assign(size_, 0);
    stats_.last_step.assign(size_, -1);
    stats_.isi_sum.assign(size_, 0.0);
    stats_.isi_sq.assign(size_, 0.0);
    stats_.isi_n.assign(size_, 0);
}

void population::deliver(range r, std::uint64_t step) {
    const std::size_t slot = (step & ring_mask_) * size_;
    const std::uint64_t b = r.begin, e = r.end;
    double* jump = jump_.data();
    double* jump_im = jump_im_.data();
    std::fill(jump + b, jump + e, 0.0);
    if (!jump_im_.empty()) std::fill(jump_im + b, jump_im + e, 0.0);
    for (auto& p : ports_) {
        double* ring = p.ring.data() + slot;
        if (p.kind == port_kind::delta) {
            for (std::uint64_t i = b; i < e; ++i) jump[i] += ring[i];
            if (p.complex) {
                double* ring_im = p.ring_im.data() + slot;
                for (std::uint64_t i = b; i < e; ++i) jump_im[i] += ring_im[i];
                std::fill(ring_im + b, ring_im + e, 0.0);
            }
        } else {
            double* current = p.current.data();
            const bool per_neuron = p.kernel_re.size() > 1;
            const double* k_re = p.kernel_re.data();
            const double* k_im = p.kernel_im.data();
            for (std::uint64_t i = b; i < e; ++i) {
                const std::size_t k = per_neuron ? i : 0;
                jump[i] += k_re[k] * current[i];
                if (jump_im) jump_im[i] += k_im[k] * current[i];
                current[i] = p.decay * current[i] + ring[i];
            }
        }
        std::fill(ring + b, ring + e, 0.0);
    }
}

std::uint64_t population::memory_bytes() const {
    std::uint64_t bytes =
        state_bytes_ + (current_.size() + jump_.size() + jump_im_.size()) * sizeof(double);
    for (const auto& p : ports_)
        bytes += (p.ring.size() + p.ring_im.size() + p.current.size() + p.kernel_re.size() +
                  p.kernel_im.size()) *
                 sizeof(double);
    bytes += size_ * (sizeof(std::uint32_t) * 2 + sizeof(std::int64_t) + 2 * sizeof(double));
    bytes += size_ * 2 * (sizeof(std::uint32_t) + sizeof(std::uint16_t));
    return bytes;
}

} // namespace nm
