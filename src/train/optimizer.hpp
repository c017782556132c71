// Optimizers over a model's parameters: SGD with momentum, Adam, AdamW (decoupled weight
// decay), with global-norm gradient clipping and cosine or step learning-rate schedules.
#pragma once

#include "train/layers.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

namespace nm::train {

enum class optimizer_kind { sgd, adam, adamw };
enum class schedule_kind { none, cosine, step };

struct optimizer_options {
    optimizer_kind kind = optimizer_kind::adam;
    double lr = 1e-3, momentum = 0.9, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
    double clip = 0.0; // global gradient norm; 0 = off
    schedule_kind schedule = schedule_kind::none;
    double step_size = 10, gamma = 0.1; // step schedule: lr·gamma^(epoch / step_size)
};

// The learning rate at `epoch` (fractional: epoch + batch / batches) of `epochs`.
inline double scheduled_lr(const optimizer_options& o, double epoch, double epochs) {
    switch (o.schedule) {
    case schedule_kind::cosine:
        return o.lr * 0.5 * (1 + std::cos(M_PI * std::min(1.0, epoch / epochs)));
    case schedule_kind::step:
        return o.lr * std::pow(o.gamma, std::floor(epoch / o.step_size));
    default:
        return o.lr;
    }
}

template<class Real>
class optimizer {
public:
    explicit optimizer(const optimizer_options& o) : o_(o) {}

    // One update of every parameter from its gradient; returns the gradient norm before clipping.
    double step(std::vector<parameter<Real>>& params, double lr) {
        if (m_.size() != params.size()) {
            m_.resize(params.size());
            v_.resize(params.size());
            for (std::size_t i = 0; i < params.size(); ++i) {
                m_[i].assign(params[i].value->size(), 0);
                v_[i].assign(params[i].value->size(), 0);
            }
        }
        double norm2 = 0;
        for (const auto& p : params)
            for (Real g : *p.grad) norm2 += static_cast<double>(g) * g;
        const double norm = std::sqrt(norm2);
        const double scale = o_.clip > 0 && norm > o_.clip ? o_.clip / norm : 1.0;
        ++t_;
        const double c1 = 1 - std::pow(o_.beta1, static_cast<double>(t_));
        const double c2 = 1 - std::pow(o_.beta2, static_cast<double>(t_));
        for (std::size_t i = 0; i < params.size(); ++i) {
            std::vector<Real>& w = *params[i].value;
            const std::vector<Real>& grad = *params[i].grad;
            for (std::size_t k = 0; k < w.size(); ++k) {
                double g = grad[k] * scale;
                double x = w[k];
                if (o_.kind == optimizer_kind::sgd) {
                    g += o_.weight_decay * x;
                    m_[i][k] = static_cast<Real>(o_.momentum * m_[i][k] + g);
                    x -= lr * m_[i][k];
                } else {
                    if (o_.kind == optimizer_kind::adam) g += o_.weight_decay * x;
                    m_[i][k] = static_cast<Real>(o_.beta1 * m_[i][k] + (1 - o_.beta1) * g);
                    v_[i][k] = static_cast<Real>(o_.beta2 * v_[i][k] + (1 - o_.beta2) * g * g);
                    x -= lr * (m_[i][k] / c1) / (std::sqrt(v_[i][k] / c2) + o_.eps);
                    if (o_.kind == optimizer_kind::adamw) x -= lr * o_.weight_decay * w[k];
                }
                w[k] = static_cast<Real>(std::clamp<double>(x, params[i].low, params[i].high));
            }
        }
        return norm;
    }

    // State for checkpoints: step count and moments, parameter by parameter.
    std::uint64_t steps() const { return t_; }
    std::vector<std::vector<Real>>& first_moments() { return m_; }
    std::vector<std::vector<Real>>& second_moments() { return v_; }
    void set_steps(std::uint64_t t) { t_ = t; }

private:
    optimizer_options o_;
    std::uint64_t t_ = 0;
    std::vector<std::vector<Real>> m_, v_;
};

} // namespace nm::train
