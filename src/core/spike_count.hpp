// One spike into a neuron's counters behind its rate and ISI CV, written once for the CPU
// populations and the GPU step.
#pragma once

#include "core/hd.hpp"

#include <cstdint>

namespace nm {

NM_HD void count_spike(std::uint32_t& spikes, std::int64_t& last_step, double& isi_sum,
                       double& isi_sq, std::uint32_t& isi_n, std::uint64_t step) {
    spikes += 1;
    if (last_step >= 0) {
        const double isi = static_cast<double>(step - last_step);
        isi_sum += isi;
        isi_sq += isi * isi;
        isi_n += 1;
    }
    last_step = static_cast<std::int64_t>(step);
}

} // namespace nm
