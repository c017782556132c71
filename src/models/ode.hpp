// Integration over one simulation step for models without an exact propagator: classic RK4 on
// a fixed substep, or Dormand–Prince 5(4) with an adaptive substep that each neuron carries
// from one step to the next and a per-neuron error tolerance (NEST integrates its aeif and hh
// models the same way with GSL's adaptive Runge–Kutta).
//
// Spikes are upward crossings of threshold by the first state component (the membrane
// potential), found inside the step: between the two accepted substeps around a crossing the
// solution is a cubic Hermite polynomial (values and derivatives at both ends), and the
// crossing time is its root. A resetting system is reset at that time and integration goes on
// from there, so the trajectory after a spike does not depend on where the step boundary fell,
// and the crossing time is the spike's off-grid time.
#pragma once

#include "core/fields.hpp"
#include "core/hd.hpp"
#include "models/model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>

namespace nm::models {

enum ode_method : int { method_rk4 = 0, method_rk45 = 1 };
inline constexpr std::array<std::string_view, max_choices> method_names{"rk4", "rk45"};

// Members a params struct needs: method, atol, rtol.
template<class P>
constexpr auto ode_fields() {
    return std::array{
        choice<P>("method", &P::method, method_names,
                  "integrator: rk4 (fixed step dt) or rk45 (adaptive Dormand-Prince)"),
        number<P>("atol", &P::atol, "", rule::positive, "rk45: absolute error tolerance per step"),
        number<P>("rtol", &P::rtol, "", rule::nonnegative,
                  "rk45: relative error tolerance per step"),
    };
}

// The row for the `substep` member every ODE model's state carries (the rk45 substep kept for
// the next step).
template<class S>
constexpr auto substep_field() {
    return number<S>("substep", &S::substep, "ms", rule::nonnegative,
                     "adaptive integration substep (rk45)");
}

struct ode_settings {
    int method = method_rk45;
    double dt = 0.1, atol = 1e-6, rtol = 1e-6;
    double threshold = 0.0; // a spike: component 0 crosses it upward
    bool resets = true;     // reset at the crossing (integrate-and-fire) or not (HH, FHN, HR)

    template<class P>
    static ode_settings derive(const P& p, double dt, double threshold, bool resets) {
        return {p.method, dt, p.atol, p.rtol, threshold, resets};
    }
};

template<std::size_t N>
using ode_state = std::array<double, N>;

namespace detail {

// Cubic Hermite interpolation at fraction s of a substep of length h.
template<std::size_t N>
NM_HD ode_state<N> hermite(const ode_state<N>& ya, const ode_state<N>& da, const ode_state<N>& yb,
                           const ode_state<N>& db, double h, double s) {
    const double s2 = s * s, s3 = s2 * s;
    const double h00 = 2 * s3 - 3 * s2 + 1, h10 = s3 - 2 * s2 + s, h01 = -2 * s3 + 3 * s2,
                 h11 = s3 - s2;
    ode_state<N> y;
    for (std::size_t k = 0; k < N; ++k)
        y[k] = h00 * ya[k] + h10 * h * da[k] + h01 * yb[k] + h11 * h * db[k];
    return y;
}

// Fraction of the substep where the interpolated component 0 reaches `level` (it is below at
// s = 0 and at or above at s = 1): bisection, 40 halvings = 1e-12 of the substep.
template<std::size_t N>
NM_HD double crossing_fraction(const ode_state<N>& ya, const ode_state<N>& da,
                               const ode_state<N>& yb, const ode_state<N>& db, double h,
                               double level) {
    double lo = 0.0, hi = 1.0;
    for (int it = 0; it < 40; ++it) {
        const double mid = 0.5 * (lo + hi), s2 = mid * mid, s3 = s2 * mid;
        const double v = (2 * s3 - 3 * s2 + 1) * ya[0] + (s3 - 2 * s2 + mid) * h * da[0] +
                         (-2 * s3 + 3 * s2) * yb[0] + (s3 - s2) * h * db[0];
        (v < level ? lo : hi) = mid;
    }
    return hi;
}

template<std::size_t N>
NM_HD ode_state<N> axpy(const ode_state<N>& y, double h, std::initializer_list<double> coef,
                        std::initializer_list<const ode_state<N>*> k) {
    ode_state<N> out = y;
    auto c = coef.begin();
    for (const ode_state<N>* ki : k) {
        const double w = h * *c++;
        if (w != 0.0)
            for (std::size_t j = 0; j < N; ++j) out[j] += w * (*ki)[j];
    }
    return out;
}

// One RK4 substep from (t, y) with derivative d0 already known.
template<class S, std::size_t N = S::size>
NM_HD ode_state<N> rk4_substep(const S& sys, double t, const ode_state<N>& y,
                               const ode_state<N>& d0, double h) {
    ode_state<N> k2, k3, k4;
    sys.rhs(t + 0.5 * h, axpy(y, h, {0.5}, {&d0}), k2);
    sys.rhs(t + 0.5 * h, axpy(y, h, {0.5}, {&k2}), k3);
    sys.rhs(t + h, axpy(y, h, {1.0}, {&k3}), k4);
    return axpy(y, h, {1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6}, {&d0, &k2, &k3, &k4});
}

// One Dormand–Prince substep (Dormand & Prince 1980): the 5th-order solution, its derivative
// at the end (FSAL), and the error estimate against the embedded 4th-order one, as a ratio to
// the tolerance (≤ 1: accept).
template<class S, std::size_t N = S::size>
NM_HD double dopri_substep(const S& sys, double t, const ode_state<N>& y, const ode_state<N>& k1,
                           double h, const ode_settings& o, ode_state<N>& y5, ode_state<N>& k7) {
    ode_state<N> k2, k3, k4, k5, k6;
    sys.rhs(t + h / 5, axpy(y, h, {1.0 / 5}, {&k1}), k2);
    sys.rhs(t + 3 * h / 10, axpy(y, h, {3.0 / 40, 9.0 / 40}, {&k1, &k2}), k3);
    sys.rhs(t + 4 * h / 5, axpy(y, h, {44.0 / 45, -56.0 / 15, 32.0 / 9}, {&k1, &k2, &k3}), k4);
    sys.rhs(t + 8 * h / 9,
            axpy(y, h, {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
                 {&k1, &k2, &k3, &k4}),
            k5);
    sys.rhs(t + h,
            axpy(y, h, {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
                 {&k1, &k2, &k3, &k4, &k5}),
            k6);
    y5 = axpy(y, h, {35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84},
              {&k1, &k2, &k3, &k4, &k5, &k6});
    sys.rhs(t + h, y5, k7);
    constexpr double e1 = 71.0 / 57600, e3 = -71.0 / 16695, e4 = 71.0 / 1920,
                     e5 = -17253.0 / 339200, e6 = 22.0 / 525, e7 = -1.0 / 40;
    double ratio = 0.0;
    for (std::size_t j = 0; j < N; ++j) {
        const double err =
            h * (e1 * k1[j] + e3 * k3[j] + e4 * k4[j] + e5 * k5[j] + e6 * k6[j] + e7 * k7[j]);
        const double scale = o.atol + o.rtol * std::max(std::fabs(y[j]), std::fabs(y5[j]));
        const double r = std::fabs(err) / scale;
        ratio = r > ratio || r != r ? r : ratio; // NaN rejects the substep
    }
    return ratio;
}

} // namespace detail

// Advances y over one step of o.dt. `h` is the neuron's adaptive substep (rk45), carried between
// steps (≤ 0: start from dt). The system S provides: size, rhs(t, y, dy) with t in ms since the
// step start, and reset(y). Returns the spikes and the time of the first one in the step.
template<class S, std::size_t N = S::size>
NM_HD crossing integrate_step(const S& sys, ode_state<N>& y, const ode_settings& o, double& h) {
    constexpr int max_spikes = 1000; // a reset that lands above threshold would loop forever
    crossing out;
    const double end = o.dt;
    double t = 0.0;
    if (!(h > 0.0) || h > end) h = end;
    ode_state<N> da, yb, db;
    sys.rhs(0.0, y, da);
    while (end - t > 1e-12 * end) {
        const double step = std::min(o.method == method_rk4 ? end : h, end - t);
        if (o.method == method_rk4) {
            yb = detail::rk4_substep(sys, t, y, da, step);
            sys.rhs(t + step, yb, db);
        } else {
            const double ratio = detail::dopri_substep(sys, t, y, da, step, o, yb, db);
            const bool accept = ratio <= 1.0 || step <= 1e-9 * end;
            const double factor =
                ratio == 0.0 ? 5.0 : std::clamp(0.9 * std::pow(ratio, -0.2), 0.2, 5.0);
            h = ratio == ratio ? step * factor : 0.2 * step;
            if (!accept) continue;
            h = std::min(h, end);
        }
        if (y[0] < o.threshold && yb[0] >= o.threshold && out.n < max_spikes) {
            const double s = detail::crossing_fraction(y, da, yb, db, step, o.threshold);
            if (out.n++ == 0) out.offset = t + s * step;
            if (o.resets) {
                y = detail::hermite(y, da, yb, db, step, s);
                sys.reset(y);
                t += s * step;
                sys.rhs(t, y, da);
                continue;
            }
        }
        y = yb;
        da = db;
        t += step;
    }
    return out;
}

// Delta-synapse input arrives at the end of the step, as for lif: a jump over threshold is a
// spike at the step's end (reset if the system resets).
template<class S, std::size_t N = S::size>
NM_HD void add_jump(const S& sys, ode_state<N>& y, double jump, const ode_settings& o,
                    crossing& out) {
    if (jump == 0.0) return;
    const bool below = y[0] < o.threshold;
    y[0] += jump;
    if (!below || y[0] < o.threshold) return;
    if (out.n++ == 0) out.offset = o.dt;
    if (o.resets) sys.reset(y);
}

} // namespace nm::models
