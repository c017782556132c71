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

// Softmax cross-entropy of one row; writes p − onehot into `grad` and returns −log p[label].
template<class Real>
Real softmax_ce(const Real* logits, int classes, int label, Real* grad) {
    Real top = *std::max_element(logits, logits + classes), sum = 0;
    for (int c = 0; c < classes; ++c) sum += std::exp(logits[c] - top);
    for (int c = 0; c < classes; ++c)
        grad[c] = std::exp(logits[c] - top) / sum - (c == label ? 1 : 0);
    return -(logits[label] - top - std::log(sum));
}

// The first-spike time t̂ of output k (column k of y, row stride `width`); fills dt_ds[t] =
// ∂t̂/∂s_t when given.
template<class Real>
Real first_spike_time(const Real* y, std::size_t k, std::size_t width, int steps,
                      std::vector<Real>* dt_ds = nullptr) {
    std::vector<Real> before(static_cast<std::size_t>(steps)); // P_t
    Real p = 1, time = 0;
    for (int t = 0; t < steps; ++t) {
        const Real s = y[t * width + k];
        before[t] = p;
        time += t * s * p;
        p *= 1 - s;
    }
    time += steps * p;
    if (dt_ds) {
        dt_ds->resize(static_cast<std::size_t>(steps));
        Real after = static_cast<Real>(steps); // R_t
        for (int t = steps - 1; t >= 0; --t) {
            const Real s = y[t * width + k];
            (*dt_ds)[t] = before[t] * (t - after);
            after = t * s + (1 - s) * after;
        }
    }
    return time;
}

template<class Real>
Real compute_loss(const loss_options& o, const Real* y, int steps, int batch, int classes,
                  const std::int32_t* labels, std::vector<Real>& dy, std::vector<Real>& logits) {
    const std::size_t width = static_cast<std::size_t>(batch) * classes;
    dy.assign(static_cast<std::size_t>(steps) * width, 0);
    logits.assign(width, o.kind == loss_kind::ce_max ? Real(-1e30) : Real(0));
    std::vector<int> argmax(o.kind == loss_kind::ce_max ? width : 0, 0);
    std::vector<std::vector<Real>> dt_ds(o.kind == loss_kind::ce_first_spike ? width : 0);
    for (std::size_t k = 0; k < dt_ds.size(); ++k)
        logits[k] = -first_spike_time(y, k, width, steps, &dt_ds[k]);
    for (int t = 0; t < steps && o.kind != loss_kind::ce_first_spike; ++t)
        for (std::size_t k = 0; k < width; ++k) {
            const Real v = y[t * width + k];
            if (o.kind == loss_kind::ce_max) {
                if (v > logits[k]) {
                    logits[k] = v;
                    argmax[k] = t;
                }
            } else {
                logits[k] += o.kind == loss_kind::ce_mean ? v / steps : v;
            }
        }
    Real total = 0;
    std::vector<Real> g(static_cast<std::size_t>(classes));
    for (int b = 0; b < batch; ++b) {
        const Real* row = logits.data() + static_cast<std::size_t>(b) * classes;
        if (o.kind == loss_kind::mse_count) {
            for (int c = 0; c < classes; ++c) {
                const Real target =
                    static_cast<Real>((c == labels[b] ? o.correct_rate : o.incorrect_rate) * steps);
                const Real e = row[c] - target;
                total += e * e / classes;
                g[c] = 2 * e / classes;
            }
        } else {
            total += softmax_ce(row, classes, labels[b], g.data());
        }
        for (int c = 0; c < classes; ++c) {
            const std::size_t k = static_cast<std::size_t>(b) * classes + c;
            const Real gk = g[c] / batch;
            if (o.kind == loss_kind::ce_max)
                dy[argmax[k] * width + k] = gk;
            else if (o.kind == loss_kind::ce_first_spike)
                for (int t = 0; t < steps; ++t) dy[t * width + k] = -gk * dt_ds[k][t];
            else
                for (int t = 0; t < steps; ++t)
                    dy[t * width + k] = o.kind == loss_kind::ce_mean ? gk / steps : gk;
        }
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
