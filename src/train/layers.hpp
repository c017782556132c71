// Trainable primitives over whole sequences: activations are [T][B][features] (time-major), each
// layer has a hand-written forward and backward for all T steps at once (the time loop inside,
// as SpikingJelly's fused multi-step kernels), and owns its parameters and their gradients.
// Templated on the scalar so gradient checks run the same code in double precision.
#pragma once

#include "core/huge_pages.hpp"
#include "core/philox.hpp"
#include "core/vector_clones.hpp"
#include "core/with_constant.hpp"
#include "train/blas.hpp"
#include "train/compact.hpp"
#include "train/parallel.hpp"
#include "train/reset.hpp"
#include "train/spike_matrix.hpp"
#include "train/surrogate.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace nm::train {

// 32-byte vectors (GCC's vector extension cannot be applied to a template's type argument).
using float_lanes = float __attribute__((vector_size(32)));
using double_lanes = double __attribute__((vector_size(32)));

template<class Real>
struct parameter {
    std::string name;
    std::vector<Real>* value;
    std::vector<Real>* grad;
    Real low, high; // kept inside after every update (decay factors stay in [0, 1])
};

template<class Real>
class layer {
public:
    virtual ~layer() = default;
    virtual std::string kind() const = 0;
    virtual std::size_t outputs() const = 0;
    virtual bool spiking() const { return false; }
    // x: [T·B·inputs] (kept by the caller until backward), y: [T·B·outputs].
    virtual void forward(const Real* x, Real* y, int steps, int batch) = 0;
    // dy: [T·B·outputs]; dx: [T·B·inputs] or nullptr when nobody needs it. Adds to gradients.
    virtual void backward(const Real* dy, Real* dx, int steps, int batch) = 0;
    // The same with dy given as the product g·wt (g [T·B × k], wt [k × outputs] with row
    // stride ld), formed a step at a time where it is read: a narrow dense layer above (a
    // readout) passes its own output gradient and transposed weights instead of writing a
    // [T·B × outputs] array. Only called where takes_products().
    virtual bool takes_products() const { return false; }
    virtual void backward_from_product(const Real* /*g*/, const Real* /*wt*/, std::size_t /*ld*/,
                                       int /*k*/, Real* /*dx*/, int /*steps*/, int /*batch*/) {
        throw std::logic_error(kind() + " takes its gradient as an array only");
    }
    virtual std::vector<parameter<Real>> parameters() { return {}; }
    // Spiking layers: fire through the surrogate's smooth antiderivative (gradient checks), and
    // the spike-rate regulariser added to ∂L/∂s per spike.
    virtual void set_smooth(bool) {}
    virtual void set_rate_penalty(Real) {}
    // Bytes kept from forward for backward beyond the layer's output.
    virtual std::size_t saved_bytes() const { return 0; }
    // Whether backward reads the input or the output that forward saw (else the model may
    // reuse those buffers: the layer kept what it needs, compactly or not at all).
    virtual bool needs_input() const { return false; }
    virtual bool needs_output() const { return false; }
    // Spikes that are exactly 0 or 1 (a following layer may keep them as bits).
    virtual bool binary_spikes() const { return false; }
};

// Affine map y = x·W + b at every step, W stored [inputs][outputs]. Dense input goes through
// one GEMM over all T·B rows. Three shortcuts give the same result with less work:
//  - `constant_input` (a direct-current code feeds the same values at every step): the B rows
//    are computed once and copied to every step; backward folds the steps before its GEMM.
//  - 0/1 spikes in a float step are kept as bits (spike_matrix.hpp), and both products add up
//    precomputed sums of four weight or gradient rows instead of multiplying (faster than the
//    GEMM at every density measured, up to 0.74: bench/RESULTS.md).
//  - other spiking input (graded counts, or double precision) below 10% density: event-driven
//    accumulation, each active input adding its weighted row, forward and backward.
template<class Real>
class dense final : public layer<Real> {
public:
    bool constant_input = false;
    bool spiking_input = false;
    bool binary_input = false;                  // 0/1 spikes: a float step keeps its input as bits
    static constexpr double sparse_below = 0.1; // input density under which events beat GEMM

    // The weights and their gradient on huge pages: the spike products read them 128 bytes a
    // row at a time (model.hpp's buffers, the same).
    dense(std::size_t in, std::size_t out, bool bias) : in_(in), out_(out), bias_(bias) {
        resize_on_huge_pages(w_, in * out);
        resize_on_huge_pages(gw_, in * out);
        b_.assign(bias ? out : 0, 0);
        gb_.assign(b_.size(), 0);
    }
    std::string kind() const override { return bias_ ? "dense" : "linear"; }
    std::size_t outputs() const override { return out_; }
    std::size_t inputs() const { return in_; }
    std::vector<Real>& weights() { return w_; }
    std::vector<Real>& bias() { return b_; }
    bool used_events() const { return events_; }
    bool used_spike_bits() const { return bits_; }

    // Known before forward (the model decides from it where the input lives): a float layer
    // reading binary spikes keeps them itself, as bits.
    bool packable() const { return std::is_same_v<Real, float> && binary_input && !constant_input; }
    bool needs_input() const override { return !packable(); }
    std::size_t saved_bytes() const override {
        return bits_ ? spikes_.bytes()
                     : event_input_.size() * (sizeof(std::uint32_t) + sizeof(Real));
    }

    void forward(const Real* x, Real* y, int steps, int batch) override {
        x_ = x;
        const int rows = constant_input ? batch : steps * batch;
        bits_ = keep_bits(x, rows, steps);
        events_ = !bits_ && spiking_input && !constant_input && gather_events(x, rows);
        if (bits_) {
            if constexpr (std::is_same_v<Real, float>)
                spikes_.times(w_.data(), bias_ ? b_.data() : nullptr, out_, y);
        } else if (events_) {
            for (int r = 0; r < rows; ++r) {
                Real* out = y + static_cast<std::size_t>(r) * out_;
                if (bias_)
                    std::copy(b_.begin(), b_.end(), out);
                else
                    std::fill(out, out + out_, Real(0));
                for (std::size_t e = row_start_[r]; e < row_start_[r + 1]; ++e) {
                    const Real* w = w_.data() + std::size_t{event_input_[e]} * out_;
                    const Real v = event_value_[e];
                    for (std::size_t o = 0; o < out_; ++o) out[o] += v * w[o];
                }
            }
        } else {
            gemm(false, false, rows, static_cast<int>(out_), static_cast<int>(in_), Real(1), x,
                 static_cast<int>(in_), w_.data(), static_cast<int>(out_), Real(0), y,
                 static_cast<int>(out_));
            if (bias_)
                for (int r = 0; r < rows; ++r)
                    for (std::size_t o = 0; o < out_; ++o) y[r * out_ + o] += b_[o];
        }
        if (constant_input)
            for (int t = 1; t < steps; ++t) std::copy(y, y + batch * out_, y + t * batch * out_);
    }

    void backward(const Real* dy, Real* dx, int steps, int batch) override {
        const int in = static_cast<int>(in_), out = static_cast<int>(out_);
        int rows = steps * batch;
        if (constant_input) { // ∂L/∂W = xᵀ·(Σ_t dy_t)
            folded_.assign(dy, dy + batch * out_);
            for (int t = 1; t < steps; ++t)
                for (std::size_t k = 0; k < batch * out_; ++k)
                    folded_[k] += dy[t * batch * out_ + k];
            dy = folded_.data();
            rows = batch;
        }
        if (bits_) {
            if constexpr (std::is_same_v<Real, float>)
                spikes_.add_transposed_times(dy, out_, gw_.data());
        } else if (events_) {
            for (int r = 0; r < rows; ++r) {
                const Real* g = dy + static_cast<std::size_t>(r) * out_;
                for (std::size_t e = row_start_[r]; e < row_start_[r + 1]; ++e) {
                    Real* gw = gw_.data() + std::size_t{event_input_[e]} * out_;
                    const Real v = event_value_[e];
                    for (std::size_t o = 0; o < out_; ++o) gw[o] += v * g[o];
                }
            }
        } else {
            gemm(true, false, in, out, rows, Real(1), x_, in, dy, out, Real(1), gw_.data(), out);
        }
        if (bias_)
            for (int r = 0; r < rows; ++r)
                for (std::size_t o = 0; o < out_; ++o) gb_[o] += dy[r * out_ + o];
        if (dx) {
            gemm(false, true, rows, in, out, Real(1), dy, out, w_.data(), out, Real(0), dx, in);
            if (constant_input) // the input's gradient at each step is its share: all of it at t =
                                // 0
                std::fill(dx + batch * in_, dx + steps * batch * in_, Real(0));
        }
    }

    std::vector<parameter<Real>> parameters() override {
        constexpr Real inf = std::numeric_limits<Real>::infinity();
        std::vector<parameter<Real>> p{{"weight", &w_, &gw_, -inf, inf}};
        if (bias_) p.push_back({"bias", &b_, &gb_, -inf, inf});
        return p;
    }

private:
    // A float step keeps spiking input as bits when every value is 0 or 1.
    bool keep_bits(const Real* x, int rows, int steps) {
        if constexpr (std::is_same_v<Real, float>)
            return spiking_input && !constant_input &&
                   spikes_.keep(x, static_cast<std::size_t>(rows), in_,
                                static_cast<std::size_t>(steps));
        return false;
    }

    // Lists the nonzero inputs of every row; false (use the GEMM) when they are too dense.
    bool gather_events(const Real* x, int rows) {
        row_start_.assign(static_cast<std::size_t>(rows) + 1, 0);
        event_input_.clear();
        event_value_.clear();
        const std::size_t limit =
            static_cast<std::size_t>(sparse_below * static_cast<double>(rows) * in_);
        for (int r = 0; r < rows; ++r) {
            const Real* row = x + static_cast<std::size_t>(r) * in_;
            for (std::size_t i = 0; i < in_; ++i)
                if (row[i] != 0) {
                    event_input_.push_back(static_cast<std::uint32_t>(i));
                    event_value_.push_back(row[i]);
                }
            if (event_input_.size() > limit) return false;
            row_start_[r + 1] = event_input_.size();
        }
        return true;
    }

    std::size_t in_, out_;
    bool bias_;
    std::vector<Real> w_, gw_, b_, gb_, folded_;
    const Real* x_ = nullptr;
    bool events_ = false, bits_ = false;
    spike_matrix spikes_;
    std::vector<std::size_t> row_start_;
    std::vector<std::uint32_t> event_input_;
    std::vector<Real> event_value_;
};

struct neuron_options {
    double beta = 0.9;      // decay per step, exp(-dt/τ)
    double threshold = 1.0; // LIF only
    reset_mode reset = reset_mode::zero;
    bool detach_reset = true;     // no gradient through the reset (snnTorch's default)
    bool learn_beta = false;      // one decay per neuron, trained (PLIF-style)
    bool learn_threshold = false; // lif: one threshold per neuron, trained
    surrogate grad;
};

// What every spiking neuron layer shares: its size and options, the smooth-firing switch of the
// gradient checks (the step H replaced by the surrogate's antiderivative, so that backward is
// the exact gradient of forward) and the spike-rate penalty added to ∂L/∂s per spike.
template<class Real>
class spiking_layer : public layer<Real> {
public:
    spiking_layer(std::size_t n, const neuron_options& o) : n_(n), o_(o) {}
    std::size_t outputs() const override { return n_; }
    bool spiking() const override { return true; }
    bool binary_spikes() const override { return !smooth_; }
    void set_smooth(bool on) override { smooth_ = on; }
    void set_rate_penalty(Real per_spike) override { rate_penalty_ = per_spike; }

protected:
    // The spike of potential v* against threshold θ.
    Real fire(Real vstar, Real threshold) const {
        return smooth_ ? o_.grad.smooth(vstar - threshold) : Real(vstar >= threshold);
    }

    std::size_t n_;
    neuron_options o_;
    bool smooth_ = false;
    Real rate_penalty_ = 0;
};

// The per-neuron decay as a trained parameter (kept in [0, 1]) when learn_beta is set.
template<class Real>
std::vector<parameter<Real>> decay_parameters(const neuron_options& o, std::vector<Real>& beta,
                                              std::vector<Real>& grad) {
    if (!o.learn_beta) return {};
    return {{"beta", &beta, &grad, Real(0), Real(1)}};
}

// LIF layer in the seed formalism: v* = β·v + I; s = H(v* − θ); v = v*(1 − s) | v* − θs | v*.
// Backward runs time in reverse with g_v, the gradient reaching v_t from step t + 1:
//   ∂L/∂v*_t = ∂L/∂s_t·S'(v*_t − θ) + g_v·∂v_t/∂v*_t,   g_v ← β·∂L/∂v*_t,   ∂L/∂I_t = ∂L/∂v*_t;
// with learn_threshold, ∂L/∂θ += −∂L/∂s_t·S' + g_v·∂v_t/∂θ (∂v/∂θ = v*·S' for the zero reset,
// −s + θ·S' for subtract; the S' terms only with the reset attached).
template<class Real>
class lif_layer final : public spiking_layer<Real> {
    using spiking_layer<Real>::n_, spiking_layer<Real>::o_, spiking_layer<Real>::smooth_,
        spiking_layer<Real>::rate_penalty_, spiking_layer<Real>::fire;

public:
    lif_layer(std::size_t n, const neuron_options& o)
        : spiking_layer<Real>(n, o), beta_(n, static_cast<Real>(o.beta)), gbeta_(n, 0),
          threshold_(n, static_cast<Real>(o.threshold)), gthreshold_(n, 0) {}
    std::string kind() const override { return "lif"; }
    const std::vector<Real>& beta() const { return beta_; }
    // A float step without learned decays or thresholds keeps v* as bfloat16 on the side of the
    // threshold it fell (compact.hpp), which gives the spikes back too; otherwise v* and the
    // model's copy of the spikes, exactly.
    bool compact() const {
        return std::is_same_v<Real, float> && !smooth_ && !o_.learn_beta && !o_.learn_threshold;
    }
    bool needs_output() const override { return !compact(); }
    std::size_t saved_bytes() const override {
        return compact() ? vstar_bf16_.size() * sizeof(std::uint16_t)
                         : vstar_.size() * sizeof(Real);
    }

    // The reset mode and the surrogate kind become template arguments: with them constant (and,
    // in the compact step, no smooth firing and no learned parameters) the neuron loops vectorise.
    void forward(const Real* x, Real* y, int steps, int batch) override {
        with_reset([&]<reset_mode R>() {
            if (compact())
                forward_steps<true, R>(x, y, steps, batch);
            else
                forward_steps<false, R>(x, y, steps, batch);
        });
    }

    void backward(const Real* dy, Real* dx, int steps, int batch) override {
        with_reset([&]<reset_mode R>() {
            with_constant<surrogate_kind::arctan, surrogate_kind::fast_sigmoid, surrogate_kind::erf,
                          surrogate_kind::triangle>(o_.grad.kind, [&]<surrogate_kind K>() {
                if (compact())
                    backward_steps<true, R, K>(dy, dx, steps, batch);
                else
                    backward_steps<false, R, K>(dy, dx, steps, batch);
            });
        });
    }

    bool takes_products() const override { return true; }
    void backward_from_product(const Real* g, const Real* wt, std::size_t ld, int k, Real* dx,
                               int steps, int batch) override {
        product_ = {g, wt, ld, k};
        backward(nullptr, dx, steps, batch);
        product_ = {};
    }

    std::vector<parameter<Real>> parameters() override {
        std::vector<parameter<Real>> out = decay_parameters(o_, beta_, gbeta_);
        if (o_.learn_threshold)
            out.push_back({"threshold", &threshold_, &gthreshold_, Real(1e-3),
                           std::numeric_limits<Real>::infinity()});
        return out;
    }

private:
    template<class F>
    void with_reset(F&& f) const {
        with_constant<reset_mode::zero, reset_mode::subtract, reset_mode::none>(o_.reset, f);
    }

    // Compact: v* goes to vstar_bf16_ as it is computed.
    template<bool Compact, reset_mode R>
    void forward_steps(const Real* x, Real* y, int steps, int batch) {
        const std::size_t width = static_cast<std::size_t>(batch) * n_;
        const std::size_t total = static_cast<std::size_t>(steps) * width;
        if constexpr (Compact) {
            vstar_bf16_.resize(total);
            vstar_ = {};
        } else {
            vstar_.resize(total);
        }
        v_.assign(width, 0);
        // Every neuron's time loop is independent: slices of neurons go to the threads.
        parallel_slices(n_, 64, [&](std::size_t first, std::size_t last) {
            forward_slice<Compact, R>(x, y, steps, batch, first, last);
        });
        y_ = y;
    }

    template<bool Compact, reset_mode R>
    NM_VECTOR_CLONES void forward_slice(const Real* x, Real* y, int steps, int batch,
                                        std::size_t first, std::size_t last) {
        const std::size_t width = static_cast<std::size_t>(batch) * n_;
        const Real* th = threshold_.data();
        for (int t = 0; t < steps; ++t)
            for (int b = 0; b < batch; ++b) {
                const std::size_t row = t * width + b * n_;
                const Real* in = x + row;
                Real* s = y + row;
                Real* v = v_.data() + b * n_;
                for (std::size_t j = first; j < last; ++j) {
                    const Real vstar = beta_[j] * v[j] + in[j];
                    const Real spike = Compact ? Real(vstar >= th[j]) : fire(vstar, th[j]);
                    if constexpr (Compact)
                        vstar_bf16_[row + j] =
                            to_bf16_on_side(static_cast<float>(vstar), static_cast<float>(th[j]));
                    else
                        vstar_[row + j] = vstar;
                    s[j] = spike;
                    v[j] = reset_value(R, vstar, spike, th[j]);
                }
            }
    }

    template<bool Compact, reset_mode R, surrogate_kind K>
    void backward_steps(const Real* dy, Real* dx, int steps, int batch) {
        const std::size_t width = static_cast<std::size_t>(batch) * n_;
        gv_.assign(width, 0);
        // Branch-free inner loop: the input gradient written to a scratch row when no layer
        // below needs it.
        if (!dx) unused_dx_.resize(width);
        if (product_.g) step_dy_.resize(width);
        parallel_slices(n_, 64, [&](std::size_t first, std::size_t last) {
            backward_slice<Compact, R, K>(dy, dx, steps, batch, first, last);
        });
    }

    // The layer's members are copied to locals first: a float store through `out` could
    // otherwise change rate_penalty_, and the loop would reload it per neuron and not vectorise.
    template<bool Compact, reset_mode R, surrogate_kind K>
    NM_VECTOR_CLONES void backward_slice(const Real* dy, Real* dx, int steps, int batch,
                                         std::size_t first, std::size_t last) {
        const std::size_t width = static_cast<std::size_t>(batch) * n_;
        const Real* const th = threshold_.data();
        const Real* const beta = beta_.data();
        const surrogate grad = o_.grad;
        const bool detach = o_.detach_reset, learn_beta = o_.learn_beta,
                   learn_threshold = o_.learn_threshold;
        const Real penalty = rate_penalty_;
        const product dy_product = product_;
        auto potential = [&](std::size_t at) {
            if constexpr (Compact)
                return static_cast<Real>(from_bf16(vstar_bf16_[at]));
            else
                return vstar_[at];
        };
        for (int t = steps - 1; t >= 0; --t) {
            if (dy_product.g) form_step(dy_product, t, batch, first, last);
            for (int b = 0; b < batch; ++b) {
                const std::size_t row = t * width + b * n_;
                const Real* __restrict d = dy_product.g ? step_dy_.data() + b * n_ : dy + row;
                Real* __restrict gv = gv_.data() + b * n_;
                Real* __restrict out = dx ? dx + row : unused_dx_.data() + b * n_;
                const Real* __restrict spikes = Compact ? nullptr : y_ + row;
                for (std::size_t j = first; j < last; ++j) {
                    const Real vs = potential(row + j);
                    const Real s = Compact ? Real(vs >= th[j]) : spikes[j];
                    const Real sd = grad.template derivative<K>(vs - th[j]);
                    const Real dv_dvstar = reset_derivative(R, detach, vs, s, th[j], sd);
                    const Real gs = d[j] + penalty;
                    const Real g = gs * sd + gv[j] * dv_dvstar;
                    out[j] = g;
                    if (!Compact && learn_beta && t > 0)
                        gbeta_[j] += g * reset_value(R, potential(row + j - width),
                                                     y_[row + j - width], th[j]);
                    if (!Compact && learn_threshold) {
                        Real dv_dth = 0;
                        if (R == reset_mode::zero && !detach) dv_dth = vs * sd;
                        if (R == reset_mode::subtract) dv_dth = -s + (detach ? 0 : th[j] * sd);
                        gthreshold_[j] += -gs * sd + gv[j] * dv_dth;
                    }
                    gv[j] = beta[j] * g;
                }
            }
        }
    }

    // ∂L/∂s as g·wt (backward_from_product).
    struct product {
        const Real* g = nullptr;
        const Real* wt = nullptr;
        std::size_t ld = 0;
        int k = 0;
    };
    // ∂L/∂s of step t, neurons [first, last) of every sample, into step_dy_: 32 neurons at a
    // time for all samples, their k rows of wt in L1 and four vectors of sums in registers.
    void form_step(const product& p, int t, int batch, std::size_t first, std::size_t last) {
        using lanes = std::conditional_t<std::is_same_v<Real, float>, float_lanes, double_lanes>;
        constexpr std::size_t per = sizeof(lanes) / sizeof(Real), block = 4 * per;
        std::size_t j = first;
        for (; j + block <= last; j += block)
            for (int b = 0; b < batch; ++b) {
                const Real* g = p.g + (static_cast<std::size_t>(t) * batch + b) * p.k;
                lanes s0{}, s1{}, s2{}, s3{}, x;
                for (int q = 0; q < p.k; ++q) {
                    const Real* w = p.wt + static_cast<std::size_t>(q) * p.ld + j;
                    std::memcpy(&x, w, sizeof x);
                    s0 += g[q] * x;
                    std::memcpy(&x, w + per, sizeof x);
                    s1 += g[q] * x;
                    std::memcpy(&x, w + 2 * per, sizeof x);
                    s2 += g[q] * x;
                    std::memcpy(&x, w + 3 * per, sizeof x);
                    s3 += g[q] * x;
                }
                Real* out = step_dy_.data() + b * n_ + j;
                std::memcpy(out, &s0, sizeof s0);
                std::memcpy(out + per, &s1, sizeof s1);
                std::memcpy(out + 2 * per, &s2, sizeof s2);
                std::memcpy(out + 3 * per, &s3, sizeof s3);
            }
        for (; j < last; ++j)
            for (int b = 0; b < batch; ++b) {
                const Real* g = p.g + (static_cast<std::size_t>(t) * batch + b) * p.k;
                Real sum = 0;
                for (int q = 0; q < p.k; ++q)
                    sum += g[q] * p.wt[static_cast<std::size_t>(q) * p.ld + j];
                step_dy_[b * n_ + j] = sum;
            }
    }

    product product_;
    std::vector<Real> beta_, gbeta_, threshold_, gthreshold_, vstar_, v_, gv_, step_dy_, unused_dx_;
    std::vector<std::uint16_t> vstar_bf16_;
    const Real* y_ = nullptr;
};

// Adaptive LIF (ALIF, Bellec et al. 2020): the LIF above with a threshold that rises with each
// spike, θ_t = θ + b·a_{t−1}, a_t = ρ·a_{t−1} + s_t. Backward carries two gradients back in
// time, g_v = ∂L/∂v_t and g_a = ∂L/∂a_t:
//   G_s = ∂L/∂s_t + g_a + g_v·∂v_t/∂s_t,   G_v* = G_s·S' + g_v·∂v_t/∂v*_t,   G_θ = −G_s·S' +
//   g_v·∂v_t/∂θ_t g_v ← β·G_v*,   g_a ← ρ·g_a + b·G_θ.   With detach_reset the reset term carries
//   no gradient.
template<class Real>
class alif_layer final : public spiking_layer<Real> {
    using spiking_layer<Real>::n_, spiking_layer<Real>::o_, spiking_layer<Real>::smooth_,
        spiking_layer<Real>::rate_penalty_, spiking_layer<Real>::fire;

public:
    alif_layer(std::size_t n, const neuron_options& o, double adapt, double adapt_decay)
        : spiking_layer<Real>(n, o), b_(static_cast<Real>(adapt)),
          rho_(static_cast<Real>(adapt_decay)) {}
    std::string kind() const override { return "alif"; }
    std::size_t saved_bytes() const override { return 2 * vstar_.size() * sizeof(Real); }
    bool needs_output() const override { return true; }

    void forward(const Real* x, Real* y, int steps, int batch) override {
        const std::size_t width = static_cast<std::size_t>(batch) * n_;
        vstar_.resize(static_cast<std::size_t>(steps) * width);
        theta_.resize(vstar_.size());
        std::vector<Real> v(width, 0), a(width, 0);
        const Real beta = static_cast<Real>(o_.beta), th = static_cast<Real>(o_.threshold);
        for (int t = 0; t < steps; ++t)
            for (std::size_t k = 0; k < width; ++k) {
                const std::size_t at = t * width + k;
                const Real vstar = beta * v[k] + x[at], theta = th + b_ * a[k];
                const Real s = fire(vstar, theta);
                vstar_[at] = vstar;
                theta_[at] = theta;
                y[at] = s;
                v[k] = after_reset(vstar, s, theta);
                a[k] = rho_ * a[k] + s;
            }
        y_ = y;
    }

    void backward(const Real* dy, Real* dx, int steps, int batch) override {
        const std::size_t width = static_cast<std::size_t>(batch) * n_;
        std::vector<Real> gv(width, 0), ga(width, 0);
        const Real beta = static_cast<Real>(o_.beta);
        const bool attached = !o_.detach_reset;
        for (int t = steps - 1; t >= 0; --t)
            for (std::size_t k = 0; k < width; ++k) {
                const std::size_t at = t * width + k;
                const Real vs = vstar_[at], th = theta_[at], s = y_[at];
                const Real sd = o_.grad.derivative(vs - th);
                Real dv_ds = 0, dv_dvs = 1, dv_dth = 0;
                if (o_.reset == reset_mode::zero) {
                    dv_ds = attached ? -vs : 0;
                    dv_dvs = 1 - s;
                } else if (o_.reset == reset_mode::subtract) {
                    dv_ds = attached ? -th : 0;
                    dv_dth = attached ? -s : 0;
                }
                const Real gs = dy[at] + rate_penalty_ + ga[k] + gv[k] * dv_ds;
                const Real gvs = gs * sd + gv[k] * dv_dvs;
                const Real gth = -gs * sd + gv[k] * dv_dth;
                if (dx) dx[at] = gvs;
                gv[k] = beta * gvs;
                ga[k] = rho_ * ga[k] + b_ * gth;
            }
    }

private:
    Real after_reset(Real vstar, Real s, Real theta) const {
        return reset_value(o_.reset, vstar, s, theta);
    }

    Real b_, rho_;
    std::vector<Real> vstar_, theta_;
    const Real* y_ = nullptr;
};

// Leaky integrator readout: v_t = β·v_{t−1} + I_t, output v_t (no spikes).
template<class Real>
class li_layer final : public layer<Real> {
public:
    li_layer(std::size_t n, const neuron_options& o)
        : n_(n), o_(o), beta_(n, static_cast<Real>(o.beta)), gbeta_(n, 0) {}
    std::string kind() const override { return "li"; }
    std::size_t outputs() const override { return n_; }
    bool needs_output() const override { return o_.learn_beta; }
    const std::vector<Real>& beta() const { return beta_; }

    void forward(const Real* x, Real* y, int steps, int batch) override {
        const std::size_t width = static_cast<std::size_t>(batch) * n_;
        for (int t = 0; t < steps; ++t)
            for (std::size_t k = 0; k < width; ++k)
                y[t * width + k] =
                    (t > 0 ? beta_[k % n_] * y[(t - 1) * width + k] : 0) + x[t * width + k];
        y_ = y;
    }

    void backward(const Real* dy, Real* dx, int steps, int batch) override {
        const std::size_t width = static_cast<std::size_t>(batch) * n_;
        gv_.assign(width, 0);
        for (int t = steps - 1; t >= 0; --t)
            for (std::size_t k = 0; k < width; ++k) {
                const Real g = dy[t * width + k] + gv_[k];
                if (dx) dx[t * width + k] = g;
                const std::size_t j = k % n_;
                if (o_.learn_beta && t > 0) gbeta_[j] += g * y_[(t - 1) * width + k];
                gv_[k] = beta_[j] * g;
            }
    }

    std::vector<parameter<Real>> parameters() override {
        return decay_parameters(o_, beta_, gbeta_);
    }

private:
    std::size_t n_;
    neuron_options o_;
    std::vector<Real> beta_, gbeta_, gv_;
    const Real* y_ = nullptr;
};

// Dropout: while training, each feature of each sample is kept with probability 1 − p and
// scaled by 1/(1 − p), with the same mask at every step (a dropped neuron stays silent for the
// whole sequence, as is usual for spiking and recurrent networks); identity in evaluation.
// The mask is Philox keyed by (seed, batch key, sample·features + feature): reproducible and
// the same after a resume.
template<class Real>
class dropout final : public layer<Real> {
public:
    dropout(std::size_t n, double p, rng_stream rng) : n_(n), p_(p), rng_(rng) {}
    std::string kind() const override { return "dropout"; }
    std::size_t outputs() const override { return n_; }
    bool training = false;
    std::uint32_t key = 0; // which batch: set by the trainer before each forward

    void forward(const Real* x, Real* y, int steps, int batch) override {
        const std::size_t width = static_cast<std::size_t>(batch) * n_;
        mask_.assign(width, Real(1));
        if (training && p_ > 0)
            for (std::size_t k = 0; k < width; ++k)
                mask_[k] = rng_.uniform(static_cast<std::uint32_t>(k), key) < p_
                               ? Real(0)
                               : static_cast<Real>(1 / (1 - p_));
        for (int t = 0; t < steps; ++t)
            for (std::size_t k = 0; k < width; ++k) y[t * width + k] = x[t * width + k] * mask_[k];
    }

    void backward(const Real* dy, Real* dx, int steps, int batch) override {
        if (!dx) return;
        const std::size_t width = static_cast<std::size_t>(batch) * n_;
        for (int t = 0; t < steps; ++t)
            for (std::size_t k = 0; k < width; ++k)
                dx[t * width + k] = dy[t * width + k] * mask_[k];
    }

private:
    std::size_t n_;
    double p_;
    rng_stream rng_;
    std::vector<Real> mask_;
};

} // namespace nm::train
