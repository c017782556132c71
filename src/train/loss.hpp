// Losses on the output sequence y [T][B][C]: cross-entropy on spike counts, on the mean or the
// maximum membrane of a leaky-integrator readout, and mean squared error to target counts.
// Each returns the batch-mean loss, fills dy = ∂L/∂y and the logits the prediction reads.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace nm::train {

enum class loss_kind { ce_count, ce_mean, ce_max, mse_count };

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

template<class Real>
Real compute_loss(const loss_options& o, const Real* y, int steps, int batch, int classes,
                  const std::int32_t* labels, std::vector<Real>& dy, std::vector<Real>& logits) {
    const std::size_t width = static_cast<std::size_t>(batch) * classes;
    dy.assign(static_cast<std::size_t>(steps) * width, 0);
    logits.assign(width, o.kind == loss_kind::ce_max ? Real(-1e30) : Real(0));
    std::vector<int> argmax(o.kind == loss_kind::ce_max ? width : 0, 0);
    for (int t = 0; t < steps; ++t)
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
            else
                for (int t = 0; t < steps; ++t)
                    dy[t * width + k] = o.kind == loss_kind::ce_mean ? gk / steps : gk;
        }
    }
    return total / batch;
}

} // namespace nm::train
