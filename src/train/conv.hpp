// Convolution and pooling over [T·B] images of shape (C, H, W), row-major per image.
// conv2d: y = W ⊛ x + b via im2col and one GEMM per image; backward recomputes the columns
// (cheaper than keeping them) for ∂L/∂W = ∂Y·colsᵀ and scatters Wᵀ·∂Y back into ∂L/∂x.
// Pooling: average (gradient shared evenly) or maximum (gradient to the winner).
#pragma once

#include "train/blas.hpp"
#include "train/layers.hpp"

#include <algorithm>
#include <limits>
#include <vector>

namespace nm::train {

struct image_shape {
    std::size_t channels = 1, height = 1, width = 1;
    std::size_t size() const { return channels * height * width; }
};

template<class Real>
class conv2d final : public layer<Real> {
public:
    bool constant_input = false; // same image at every step: compute one step, copy it (as dense)

    conv2d(image_shape in, std::size_t out_channels, std::size_t kernel, std::size_t stride,
           std::size_t padding)
        : in_(in), k_(kernel), stride_(stride), pad_(padding) {
        out_.channels = out_channels;
        out_.height = (in.height + 2 * padding - kernel) / stride + 1;
        out_.width = (in.width + 2 * padding - kernel) / stride + 1;
        w_.assign(out_channels * in.channels * kernel * kernel, 0);
        gw_.assign(w_.size(), 0);
        b_.assign(out_channels, 0);
        gb_.assign(out_channels, 0);
    }
    std::string kind() const override { return "conv2d"; }
    bool needs_input() const override { return true; }
    std::size_t outputs() const override { return out_.size(); }
    image_shape output_shape() const { return out_; }
    std::size_t fan_in() const { return in_.channels * k_ * k_; }
    std::vector<Real>& weights() { return w_; }

    void forward(const Real* x, Real* y, int steps, int batch) override {
        x_ = x;
        const std::size_t images = static_cast<std::size_t>(constant_input ? 1 : steps) * batch,
                          hw = out_.height * out_.width;
        for (std::size_t n = 0; n < images; ++n) {
            im2col(x + n * in_.size());
            Real* out = y + n * out_.size();
            gemm(false, false, static_cast<int>(out_.channels), static_cast<int>(hw),
                 static_cast<int>(fan_in()), Real(1), w_.data(), static_cast<int>(fan_in()),
                 cols_.data(), static_cast<int>(hw), Real(0), out, static_cast<int>(hw));
            for (std::size_t c = 0; c < out_.channels; ++c)
                for (std::size_t p = 0; p < hw; ++p) out[c * hw + p] += b_[c];
        }
        if (constant_input)
            for (int t = 1; t < steps; ++t)
                std::copy(y, y + images * out_.size(), y + t * images * out_.size());
    }

    void backward(const Real* dy, Real* dx, int steps, int batch) override {
        std::size_t images = static_cast<std::size_t>(steps) * batch;
        const std::size_t hw = out_.height * out_.width;
        if (constant_input) { // one step's images carry the gradients of all steps
            images = static_cast<std::size_t>(batch);
            folded_.assign(dy, dy + images * out_.size());
            for (int t = 1; t < steps; ++t)
                for (std::size_t k = 0; k < folded_.size(); ++k)
                    folded_[k] += dy[t * folded_.size() + k];
            dy = folded_.data();
            if (dx) std::fill(dx + images * in_.size(), dx + steps * images * in_.size(), Real(0));
        }
        dcols_.resize(fan_in() * hw);
        for (std::size_t n = 0; n < images; ++n) {
            const Real* g = dy + n * out_.size();
            im2col(x_ + n * in_.size());
            gemm(false, true, static_cast<int>(out_.channels), static_cast<int>(fan_in()),
                 static_cast<int>(hw), Real(1), g, static_cast<int>(hw), cols_.data(),
                 static_cast<int>(hw), Real(1), gw_.data(), static_cast<int>(fan_in()));
            for (std::size_t c = 0; c < out_.channels; ++c)
                for (std::size_t p = 0; p < hw; ++p) gb_[c] += g[c * hw + p];
            if (!dx) continue;
            gemm(true, false, static_cast<int>(fan_in()), static_cast<int>(hw),
                 static_cast<int>(out_.channels), Real(1), w_.data(), static_cast<int>(fan_in()), g,
                 static_cast<int>(hw), Real(0), dcols_.data(), static_cast<int>(hw));
            col2im(dx + n * in_.size());
        }
    }

    std::vector<parameter<Real>> parameters() override {
        constexpr Real inf = std::numeric_limits<Real>::infinity();
        return {{"weight", &w_, &gw_, -inf, inf}, {"bias", &b_, &gb_, -inf, inf}};
    }

private:
    // cols[(c·k + i)·k + j][oy·W_out + ox] = x[c][oy·s + i − p][ox·s + j − p] (0 outside).
    template<class Visit>
    void walk(Visit&& visit) const {
        const std::size_t hw = out_.height * out_.width;
        for (std::size_t c = 0; c < in_.channels; ++c)
            for (std::size_t i = 0; i < k_; ++i)
                for (std::size_t j = 0; j < k_; ++j) {
                    const std::size_t row = ((c * k_ + i) * k_ + j) * hw;
                    for (std::size_t oy = 0; oy < out_.height; ++oy) {
                        const long y =
                            static_cast<long>(oy * stride_ + i) - static_cast<long>(pad_);
                        for (std::size_t ox = 0; ox < out_.width; ++ox) {
                            const long x =
                                static_cast<long>(ox * stride_ + j) - static_cast<long>(pad_);
                            const bool inside = y >= 0 && x >= 0 &&
                                                y < static_cast<long>(in_.height) &&
                                                x < static_cast<long>(in_.width);
                            visit(row + oy * out_.width + ox,
                                  inside ? static_cast<long>(
                                               (c * in_.height + static_cast<std::size_t>(y)) *
                                                   in_.width +
                                               static_cast<std::size_t>(x))
                                         : -1L);
                        }
                    }
                }
    }
    void im2col(const Real* x) {
        cols_.resize(fan_in() * out_.height * out_.width);
        walk([&](std::size_t col, long at) { cols_[col] = at >= 0 ? x[at] : Real(0); });
    }
    void col2im(Real* dx) const {
        std::fill(dx, dx + in_.size(), Real(0));
        walk([&](std::size_t col, long at) {
            if (at >= 0) dx[at] += dcols_[col];
        });
    }

    image_shape in_, out_;
    std::size_t k_, stride_, pad_;
    std::vector<Real> w_, gw_, b_, gb_, cols_, dcols_, folded_;
    const Real* x_ = nullptr;
};

// Non-overlapping k×k pooling (stride k): average or maximum per channel.
template<class Real>
class pool2d final : public layer<Real> {
public:
    pool2d(image_shape in, std::size_t kernel, bool max) : in_(in), k_(kernel), max_(max) {
        out_ = {in.channels, in.height / kernel, in.width / kernel};
    }
    std::string kind() const override { return max_ ? "maxpool" : "avgpool"; }
    std::size_t outputs() const override { return out_.size(); }
    image_shape output_shape() const { return out_; }

    void forward(const Real* x, Real* y, int steps, int batch) override {
        const std::size_t images = static_cast<std::size_t>(steps) * batch;
        winner_.resize(images * out_.size());
        for (std::size_t n = 0; n < images; ++n)
            for (std::size_t c = 0; c < out_.channels; ++c)
                for (std::size_t oy = 0; oy < out_.height; ++oy)
                    for (std::size_t ox = 0; ox < out_.width; ++ox) {
                        Real acc = max_ ? -std::numeric_limits<Real>::infinity() : Real(0);
                        std::size_t best = 0;
                        for (std::size_t i = 0; i < k_; ++i)
                            for (std::size_t j = 0; j < k_; ++j) {
                                const std::size_t at = n * in_.size() +
                                                       (c * in_.height + oy * k_ + i) * in_.width +
                                                       ox * k_ + j;
                                if (!max_)
                                    acc += x[at];
                                else if (x[at] > acc) {
                                    acc = x[at];
                                    best = at;
                                }
                            }
                        const std::size_t o =
                            n * out_.size() + (c * out_.height + oy) * out_.width + ox;
                        y[o] = max_ ? acc : acc / static_cast<Real>(k_ * k_);
                        winner_[o] = best;
                    }
    }

    void backward(const Real* dy, Real* dx, int steps, int batch) override {
        if (!dx) return;
        const std::size_t images = static_cast<std::size_t>(steps) * batch;
        std::fill(dx, dx + images * in_.size(), Real(0));
        for (std::size_t n = 0; n < images; ++n)
            for (std::size_t c = 0; c < out_.channels; ++c)
                for (std::size_t oy = 0; oy < out_.height; ++oy)
                    for (std::size_t ox = 0; ox < out_.width; ++ox) {
                        const std::size_t o =
                            n * out_.size() + (c * out_.height + oy) * out_.width + ox;
                        if (max_) {
                            dx[winner_[o]] += dy[o];
                            continue;
                        }
                        for (std::size_t i = 0; i < k_; ++i)
                            for (std::size_t j = 0; j < k_; ++j)
                                dx[n * in_.size() + (c * in_.height + oy * k_ + i) * in_.width +
                                   ox * k_ + j] += dy[o] / static_cast<Real>(k_ * k_);
                    }
    }

private:
    image_shape in_, out_;
    std::size_t k_;
    bool max_;
    std::vector<std::size_t> winner_;
};

} // namespace nm::train
