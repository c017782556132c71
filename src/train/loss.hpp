// Losses on the output sequence y [T][B][C]: cross-entropy on spike counts, on the mean or the
// maximum membrane of a leaky-integrator readout, mean squared error to target counts, and
// cross-entropy on first-spike times (time-to-first-spike coding: the right output should fire
// first, the others late). Each returns the batch-mean loss, fills dy = ∂L/∂y and the logits
// the prediction reads.
//
// First-spike time of an output with spikes s_t (t = 0..T−1; T when it never fires):
//   t̂ = Σ_t t·s_t·P_t + T·P_T,   P_t = Π_{u<t} (1 − s_u),
// exact for binary spikes and a polynomial in them, so its gradient is exact too:
//   ∂t̂/∂s_t = P_t·(t − R_t),   R_t = the first-spike time after t (R_{T−1} = T,
//   R_{t−1} = t·s_t + (1 − s_t)·R_t).
// The logits are −t̂ (in steps); a spike before the first one pulls t̂ down, later ones do nothing.
#pragma once

#include "core/hd.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace nm::train {

enum class loss_kind { ce_count, ce_mean, ce_max, mse_count, ce_first_spike };

struct loss_options {
    loss_kind kind = loss_kind::ce_count;
    double correct_rate = 0.8, incorrect_rate = 0.2; // mse_count targets, spikes per step
};

// The count mse_count asks of an output over `steps` steps.
template<class Real>
NM_HD Real target_count(const loss_options& o, bool correct, int steps) {
    return static_cast<Real>((correct ? o.correct_rate : o.incorrect_rate) * steps);
}

// The arithmetic of one sample is NM_HD: the CUDA trainer runs the same functions, one thread per
// sample. Output k of the sample is column k of y (row stride `width` between steps).

// The first-spike time t̂ of output k.
template<class Real>
NM_HD Real first_spike_time(const Real* y, std::size_t k, std::size_t width, int steps) {
    Real p = 1, time = 0;
    for (int t = 0; t < steps; ++t) {
        const Real s = y[t * width + k];
        time += t * s * p;
        p *= 1 - s;
    }
    return time + steps * p;
}

// dy[t] = scale·∂t̂/∂s_t for output k. P_t goes into dy on the way forward (no scratch array on
// the device), R_t is carried back.
template<class Real>
NM_HD void first_spike_gradient(const Real* y, std::size_t k, std::size_t width, int steps,
                                Real scale, Real* dy) {
    Real p = 1;
    for (int t = 0; t < steps; ++t) {
        dy[t * width + k] = p;
        p *= 1 - y[t * width + k];
    }
    Real after = static_cast<Real>(steps); // R_t
    for (int t = steps - 1; t >= 0; --t) {
        const Real s = y[t * width + k];
        dy[t * width + k] = scale * (dy[t * width + k] * (t - after));
        after = t * s + (1 - s) * after;
    }
}

// The step at which output k peaks (the first, on ties) and its value.
template<class Real>
NM_HD int peak_step(const Real* y, std::size_t k, std::size_t width, int steps, Real& peak) {
    peak = Real(-1e30);
    int at = 0;
    for (int t = 0; t < steps; ++t)
        if (y[t * width + k] > peak) {
            peak = y[t * width + k];
            at = t;
        }
    return at;
}

// The logit the loss reads from output k's sequence.
template<class Real>
NM_HD Real output_logit(loss_kind kind, const Real* y, std::size_t k, std::size_t width,
                        int steps) {
    if (kind == loss_kind::ce_first_spike) return -first_spike_time(y, k, width, steps);
    Real logit = 0;
    if (kind == loss_kind::ce_max) {
        peak_step(y, k, width, steps, logit);
        return logit;
    }
    for (int t = 0; t < steps; ++t) {
        const Real v = y[t * width + k];
        logit += kind == loss_kind::ce_mean ? v / steps : v;
    }
    return logit;
}

// One sample's loss from its outputs first .. first + classes − 1: fills its logits and its
// columns of dy = ∂L/∂y, the loss's share of a batch of `batch` samples (the gradient is
// divided by it), and returns the sample's loss.
template<class Real>
NM_HD Real sample_loss(const loss_options& o, const Real* y, std::size_t first, std::size_t width,
                       int steps, int classes, int label, int batch, Real* logits, Real* dy) {
    for (int c = 0; c < classes; ++c) logits[c] = output_logit(o.kind, y, first + c, width, steps);
    const bool mse = o.kind == loss_kind::mse_count;
    Real loss = 0, top = logits[0], sum = 0;
    if (mse) {
        for (int c = 0; c < classes; ++c) {
            const Real e = logits[c] - target_count<Real>(o, c == label, steps);
            loss += e * e / classes;
        }
    } else { // softmax cross-entropy
        for (int c = 1; c < classes; ++c) top = logits[c] > top ? logits[c] : top;
        for (int c = 0; c < classes; ++c) sum += std::exp(logits[c] - top);
        loss = -(logits[label] - top - std::log(sum));
    }
    for (int c = 0; c < classes; ++c) {
        const Real g = mse ? 2 * (logits[c] - target_count<Real>(o, c == label, steps)) / classes
                           : std::exp(logits[c] - top) / sum - (c == label ? 1 : 0);
        const Real gk = g / batch;
        const std::size_t k = first + c;
        if (o.kind == loss_kind::ce_first_spike) {
            first_spike_gradient(y, k, width, steps, -gk, dy);
            continue;
        }
        Real peak;
        const int at = o.kind == loss_kind::ce_max ? peak_step(y, k, width, steps, peak) : -1;
        for (int t = 0; t < steps; ++t)
            dy[t * width + k] = o.kind == loss_kind::ce_max    ? (t == at ? gk : Real(0))
                                : o.kind == loss_kind::ce_mean ? gk / steps
                                                               : gk;
    }
    return loss;
}

template<class Real>
Real compute_loss(const loss_options& o, const Real* y, int steps, int batch, int classes,
                  const std::int32_t* labels, std::vector<Real>& dy, std::vector<Real>& logits) {
    const std::size_t width = static_cast<std::size_t>(batch) * classes;
    dy.resize(static_cast<std::size_t>(steps) * width);
    logits.resize(width);
    Real total = 0;
    for (int b = 0; b < batch; ++b) {
        const std::size_t first = static_cast<std::size_t>(b) * classes;
        total += sample_loss(o, y, first, width, steps, classes, labels[b], batch,
                             logits.data() + first, dy.data());
    }
    return total / batch;
}

// The evaluation's running logit of one output after seeing step t's value v (the anytime
// curve: the prediction the loss would make from steps 0..t); start from initial_logit.
template<class Real>
Real initial_logit(loss_kind kind, int steps) {
    if (kind == loss_kind::ce_max) return Real(-1e30);
    return kind == loss_kind::ce_first_spike ? Real(-steps) : Real(0);
}
template<class Real>
Real running_logit(loss_kind kind, Real running, Real v, int t, int steps) {
    switch (kind) {
    case loss_kind::ce_max:
        return std::max(running, v);
    case loss_kind::ce_first_spike:
        return running == Real(-steps) && v >= Real(0.5) ? Real(-t) : running;
    default:
        return running + v;
    }
}

} // namespace nm::train
