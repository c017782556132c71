// Pair-based spike-timing-dependent plasticity with exponential windows (Bi & Poo 1998's
// shape; Song, Miller & Abbott 2000; Morrison, Diesmann & Gerstner 2008 for the variants):
//   a pre spike at t_pre and a post spike at t_post, Δt = t_post - t_pre, change the weight by
//   Δw = +A+·exp(-Δt/τ+) for Δt > 0 (potentiation),  -A-·exp(Δt/τ-) for Δt < 0 (depression),
//   nothing for Δt = 0.
// Traces carry the sums: x (per source, τ+) and y (per target, τ-) decay by exp(-dt/τ) every
// step and jump at each spike, by 1 ("all": every pre-post pair counts) or to 1 ("nearest":
// only the nearest pair on each side).
// At a post spike w += A+·(x − x_tar)·f+(w) (x_tar, default 0: Diehl & Cook 2015's presynaptic
// target, which depresses inputs that were silent before the post spike); at a pre spike
// w -= A-·y·f-(w), then w is clamped to
// [w_min, w_max]. Weight dependence: additive f± = 1, multiplicative (soft bounds)
// f+ = w_max - w, f- = w - w_min (then A± are rates per unit of weight).
// Triplet terms (Pfister & Gerstner 2006, J. Neurosci. 26:9673): slower traces r2 (pre, τx) and
// o2 (post, τy) make potentiation grow with the post rate and depression with the pre rate:
//   post spike: w += r1·(A2+ + A3+·o2),   pre spike: w -= o1·(A2- + A3-·r2)
// (o2, r2 taken before the spike's own jump). A3± = 0 is the pair rule. Published sets (all-to-all,
// minimal models of their Table 4): visual cortex A2+ = 5e-10, A3+ = 6.2e-3, A2- = 7e-3,
// A3- = 2.3e-4, τ+ = 16.8, τ- = 33.7, τx = 101, τy = 125 ms (the `triplet` rule's defaults);
// hippocampal culture A2+ = 6.1e-3, A3+ = 6.7e-3, A2- = 1.6e-3, A3- = 1.4e-3, τ+ = 16.8,
// τ- = 33.7, τx = 946, τy = 27 ms.
// Reward-modulated STDP (the `rstdp` rule; Izhikevich 2007, Cereb. Cortex 17:2443; Frémaux &
// Gerstner 2016 for three-factor rules): the changes above go into a per-synapse eligibility
// trace e (decaying with τ_e) instead of the weight, and a reward or neuromodulator event of
// amount R changes the weight by η·R·e.
// Timing: spikes count at the step they are emitted; the transmission delay does not enter Δt
// (the delay is taken as dendritic and the back-propagating spike as instantaneous).
#pragma once

#include "core/fields.hpp"
#include "core/hd.hpp"
#include "nm/errors.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

namespace nm::plasticity {

enum pairing_kind : int { pairing_all = 0, pairing_nearest = 1 };
enum dependence_kind : int { dependence_additive = 0, dependence_multiplicative = 1 };
inline constexpr std::array<std::string_view, max_choices> pairing_names{"all", "nearest"};
inline constexpr std::array<std::string_view, max_choices> dependence_names{"additive",
                                                                            "multiplicative"};

struct stdp {
    static constexpr std::string_view name = "stdp";

    struct params {
        double a_plus = 0.01, a_minus = 0.012, tau_plus = 20.0, tau_minus = 20.0;
        double a3_plus = 0.0, a3_minus = 0.0, tau_x = 101.0, tau_y = 125.0;
        double w_min = 0.0, w_max = 1.0;
        double tau_elig = 1000.0, eta = 1.0; // rstdp; eta also hebb and oja
        double x_tar = 0.0;
        int pairing = pairing_all, dependence = dependence_additive;
    };
    // The `triplet` rule: the same kernel with the visual-cortex set as defaults.
    static params triplet_defaults() {
        params p;
        p.a_plus = 5e-10;
        p.a3_plus = 6.2e-3;
        p.a_minus = 7e-3;
        p.a3_minus = 2.3e-4;
        p.tau_plus = 16.8;
        p.tau_minus = 33.7;
        p.tau_x = 101.0;
        p.tau_y = 125.0;
        return p;
    }
    struct coeffs {
        double a_plus, a_minus, decay_plus, decay_minus; // decays: per step, exp(-dt/τ)
        double a3_plus, a3_minus, decay_x, decay_y, w_min, w_max;
        double decay_elig, eta, x_tar;
        bool nearest, multiplicative, triplet, eligibility;
    };

    static constexpr std::array fields{
        number<params>("a_plus", &params::a_plus, "", rule::nonnegative,
                       "potentiation amplitude A+"),
        number<params>("a_minus", &params::a_minus, "", rule::nonnegative,
                       "depression amplitude A-"),
        number<params>("tau_plus", &params::tau_plus, "ms", rule::positive,
                       "potentiation window (pre trace)"),
        number<params>("tau_minus", &params::tau_minus, "ms", rule::positive,
                       "depression window (post trace)"),
        number<params>("a3_plus", &params::a3_plus, "", rule::nonnegative,
                       "triplet potentiation amplitude A3+ (0: pair rule)"),
        number<params>("a3_minus", &params::a3_minus, "", rule::nonnegative,
                       "triplet depression amplitude A3- (0: pair rule)"),
        number<params>("tau_x", &params::tau_x, "ms", rule::positive, "slow pre trace (triplet)"),
        number<params>("tau_y", &params::tau_y, "ms", rule::positive, "slow post trace (triplet)"),
        number<params>("tau_elig", &params::tau_elig, "ms", rule::positive,
                       "eligibility trace time constant (rstdp)"),
        number<params>("eta", &params::eta, "", rule::finite,
                       "learning rate (rstdp: per reward; hebb, oja: per Hz^2 s)"),
        number<params>("x_tar", &params::x_tar, "", rule::nonnegative,
                       "presynaptic target: potentiation ∝ (pre trace − x_tar)"),
        number<params>("w_min", &params::w_min, "", rule::finite, "lower weight bound"),
        number<params>("w_max", &params::w_max, "", rule::finite, "upper weight bound"),
        choice<params>("pairing", &params::pairing, pairing_names,
                       "all: every pair; nearest: nearest pre-post pairs only"),
        choice<params>("dependence", &params::dependence, dependence_names,
                       "additive: dw = A; multiplicative: soft bounds, dw = A·(distance to bound)"),
    };

    static coeffs derive(const params& p, double dt, bool eligibility) {
        if (!(p.w_min <= p.w_max))
            throw bad_parameter("w_min = " + format_number(p.w_min) +
                                " must be <= w_max = " + format_number(p.w_max));
        return {p.a_plus,
                p.a_minus,
                std::exp(-dt / p.tau_plus),
                std::exp(-dt / p.tau_minus),
                p.a3_plus,
                p.a3_minus,
                std::exp(-dt / p.tau_x),
                std::exp(-dt / p.tau_y),
                p.w_min,
                p.w_max,
                std::exp(-dt / p.tau_elig),
                p.eta,
                p.x_tar,
                p.pairing == pairing_nearest,
                p.dependence == dependence_multiplicative,
                p.a3_plus > 0 || p.a3_minus > 0,
                eligibility};
    }

    NM_HD static double after_spike(const coeffs& c, double value) {
        return c.nearest ? 1.0 : value + 1.0;
    }

    // The change at a post spike: r1 (pre trace, τ+) and o2 (slow post trace, before this spike).
    // (Products through product(): a GPU then rounds as the CPU does, unfused.)
    NM_HD static double potentiation(const coeffs& c, double w, double r1, double o2) {
        return product(product(r1 - c.x_tar, c.a_plus + product(c.a3_plus, o2)),
                       c.multiplicative ? c.w_max - w : 1.0);
    }
    // The change at a pre spike: o1 (post trace, τ-) and r2 (slow pre trace, before this spike).
    NM_HD static double depression(const coeffs& c, double w, double o1, double r2) {
        return product(product(-o1, c.a_minus + product(c.a3_minus, r2)),
                       c.multiplicative ? w - c.w_min : 1.0);
    }
    NM_HD static double bounded(const coeffs& c, double w) {
        return std::clamp(w, c.w_min, c.w_max);
    }
};

} // namespace nm::plasticity
