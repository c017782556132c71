// Convolution and pooling over [T·B] images of shape (C, H, W), row-major per image.
// conv2d: y = W ⊛ x + b via im2col and one GEMM per group of images (the columns of a group
// side by side: a GEMM per image is too small for BLAS, a 16×9 by 9×784 product for the first
// layer of a Fashion-MNIST network); backward recomputes the columns (cheaper than keeping them)
// for ∂L/∂W = ∂Y·colsᵀ and scatters Wᵀ·∂Y back into ∂L/∂x.
// Pooling: average (gradient shared evenly) or maximum (gradient to the winner).
#pragma once

#include "train/blas.hpp"
#include "train/image_shape.hpp"
#include "train/layers.hpp"
#include "train/parallel.hpp"

#include <algorithm>
#include <limits>
#include <vector>

namespace nm::train {

template<class Real>
class conv2d final : public layer<Real> {
public:
    bool constant_input = false; // same image at every step: compute one step, copy it (as dense)

    conv2d(image_shape in, std::size_t out_channels, std::size_t kernel, std::size_t stride,
           std::size_t padding)
        : in_(in), out_(conv_output(in, out_channels, kernel, stride, padding)), k_(kernel),
          stride_(stride), pad_(padding) {
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
        for (std::size_t first = 0; first < images; first += group(images)) {
            const std::size_t count = std::min(group(images), images - first), span = count * hw;
            im2col(x, first, count);
            grouped_.resize(out_.channels * span);
            gemm(false, false, static_cast<int>(out_.channels), static_cast<int>(span),
                 static_cast<int>(fan_in()), Real(1), w_.data(), static_cast<int>(fan_in()),
                 cols_.data(), static_cast<int>(span), Real(0), grouped_.data(),
                 static_cast<int>(span));
            parallel_slices(count, 1, [&](std::size_t from, std::size_t to) {
                for (std::size_t g = from; g < to; ++g) {
                    Real* out = y + (first + g) * out_.size();
                    for (std::size_t c = 0; c < out_.channels; ++c)
                        for (std::size_t p = 0; p < hw; ++p)
                            out[c * hw + p] = grouped_[c * span + g * hw + p] + b_[c];
                }
            });
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
        for (std::size_t first = 0; first < images; first += group(images)) {
            const std::size_t count = std::min(group(images), images - first), span = count * hw;
            grouped_.resize(out_.channels * span);
            // By channel: a thread then owns its channels' bias gradients.
            parallel_slices(out_.channels, 1, [&](std::size_t from, std::size_t to) {
                for (std::size_t c = from; c < to; ++c)
                    for (std::size_t g = 0; g < count; ++g) {
                        const Real* d = dy + (first + g) * out_.size() + c * hw;
                        for (std::size_t p = 0; p < hw; ++p) {
                            grouped_[c * span + g * hw + p] = d[p];
                            gb_[c] += d[p];
                        }
                    }
            });
            im2col(x_, first, count);
            gemm(false, true, static_cast<int>(out_.channels), static_cast<int>(fan_in()),
                 static_cast<int>(span), Real(1), grouped_.data(), static_cast<int>(span),
                 cols_.data(), static_cast<int>(span), Real(1), gw_.data(),
                 static_cast<int>(fan_in()));
            if (!dx) continue;
            dcols_.resize(fan_in() * span);
            gemm(true, false, static_cast<int>(fan_in()), static_cast<int>(span),
                 static_cast<int>(out_.channels), Real(1), w_.data(), static_cast<int>(fan_in()),
                 grouped_.data(), static_cast<int>(span), Real(0), dcols_.data(),
                 static_cast<int>(span));
            col2im(dx, first, count);
        }
    }

    std::vector<parameter<Real>> parameters() override {
        constexpr Real inf = std::numeric_limits<Real>::infinity();
        return {{"weight", &w_, &gw_, -inf, inf}, {"bias", &b_, &gb_, -inf, inf}};
    }

private:
    // Column row (c·k + i)·k + j, position oy·W_out + ox holds x[c][oy·s + i − p][ox·s + j − p]
    // (0 outside): visit(row, position, index into x or -1).
    template<class Visit>
    void walk(Visit&& visit) const {
        for (std::size_t c = 0; c < in_.channels; ++c)
            for (std::size_t i = 0; i < k_; ++i)
                for (std::size_t j = 0; j < k_; ++j) {
                    const std::size_t row = (c * k_ + i) * k_ + j;
                    for (std::size_t oy = 0; oy < out_.height; ++oy) {
                        const long y =
                            static_cast<long>(oy * stride_ + i) - static_cast<long>(pad_);
                        for (std::size_t ox = 0; ox < out_.width; ++ox) {
                            const long x =
                                static_cast<long>(ox * stride_ + j) - static_cast<long>(pad_);
                            const bool inside = y >= 0 && x >= 0 &&
                                                y < static_cast<long>(in_.height) &&
                                                x < static_cast<long>(in_.width);
                            visit(row, oy * out_.width + ox,
                                  inside ? static_cast<long>(
                                               (c * in_.height + static_cast<std::size_t>(y)) *
                                                   in_.width +
                                               static_cast<std::size_t>(x))
                                         : -1L);
                        }
                    }
                }
    }
    // Images per GEMM: all of them, up to about 2 M column entries (8 MB in float).
    std::size_t group(std::size_t images) const {
        const std::size_t per_image = fan_in() * out_.height * out_.width;
        return std::clamp<std::size_t>((std::size_t{1} << 21) / per_image, 1, images);
    }
    // Image g of the group starting at `first` fills columns [g·hw, (g + 1)·hw) of every row.
    void im2col(const Real* x, std::size_t first, std::size_t count) {
        const std::size_t hw = out_.height * out_.width, span = count * hw;
        cols_.resize(fan_in() * span);
        parallel_slices(count, 1, [&](std::size_t from, std::size_t to) {
            for (std::size_t g = from; g < to; ++g) {
                const Real* image = x + (first + g) * in_.size();
                Real* cols = cols_.data() + g * hw;
                walk([&](std::size_t row, std::size_t p, long at) {
                    cols[row * span + p] = at >= 0 ? image[at] : Real(0);
                });
            }
        });
    }
    void col2im(Real* dx, std::size_t first, std::size_t count) const {
        const std::size_t hw = out_.height * out_.width, span = count * hw;
        parallel_slices(count, 1, [&](std::size_t from, std::size_t to) {
            for (std::size_t g = from; g < to; ++g) {
                Real* image = dx + (first + g) * in_.size();
                const Real* dcols = dcols_.data() + g * hw;
                std::fill(image, image + in_.size(), Real(0));
                walk([&](std::size_t row, std::size_t p, long at) {
                    if (at >= 0) image[at] += dcols[row * span + p];
                });
            }
        });
    }

    image_shape in_, out_;
    std::size_t k_, stride_, pad_;
    std::vector<Real> w_, gw_, b_, gb_, cols_, dcols_, folded_, grouped_;
    const Real* x_ = nullptr;
};

// Non-overlapping k×k pooling (stride k): average or maximum per channel.
template<class Real>
class pool2d final : public layer<Real> {
public:
    pool2d(image_shape in, std::size_t kernel, bool max)
        : in_(in), out_(pool_output(in, kernel)), k_(kernel), max_(max) {}
    std::string kind() const override { return max_ ? "maxpool" : "avgpool"; }
    std::size_t outputs() const override { return out_.size(); }
    image_shape output_shape() const { return out_; }

    void forward(const Real* x, Real* y, int steps, int batch) override {
        const std::size_t images = static_cast<std::size_t>(steps) * batch;
        winner_.resize(images * out_.size());
        parallel_slices(images, 1, [&](std::size_t from, std::size_t to) {
            for (std::size_t n = from; n < to; ++n)
                for (std::size_t c = 0; c < out_.channels; ++c)
                    for (std::size_t oy = 0; oy < out_.height; ++oy)
                        for (std::size_t ox = 0; ox < out_.width; ++ox) {
                            Real acc = max_ ? -std::numeric_limits<Real>::infinity() : Real(0);
                            std::size_t best = 0;
                            for (std::size_t i = 0; i < k_; ++i)
                                for (std::size_t j = 0; j < k_; ++j) {
                                    const std::size_t at =
                                        n * in_.size() +
                                        (c * in_.height + oy * k_ + i) * in_.width + ox * k_ + j;
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
        });
    }

    void backward(const Real* dy, Real* dx, int steps, int batch) override {
        if (!dx) return;
        const std::size_t images = static_cast<std::size_t>(steps) * batch;
        std::fill(dx, dx + images * in_.size(), Real(0));
        parallel_slices(images, 1, [&](std::size_t from, std::size_t to) {
            for (std::size_t n = from; n < to; ++n)
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
        });
    }

private:
    image_shape in_, out_;
    std::size_t k_;
    bool max_;
    std::vector<std::size_t> winner_;
};

} // namespace nm::train
