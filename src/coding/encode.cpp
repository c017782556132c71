// The encoders: one function per scheme, each with its formula.
#include "coding/codec.hpp"

#include "nm/errors.hpp"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <numeric>
#include <type_traits>

namespace nm::coding {

std::uint32_t steps_of(double ms, double dt) {
    return static_cast<std::uint32_t>(std::lround(ms / dt));
}

namespace {

// Events as the encoders emit them; `pack` orders them by (step, channel) into a raster.
struct event {
    std::uint32_t step, channel;
    std::uint16_t count;
};

struct events_builder {
    std::uint32_t steps, channels;
    std::vector<event> list;
    void add(std::uint32_t step, std::uint32_t channel, std::uint16_t n = 1) {
        if (step < steps && n > 0) list.push_back({step, channel, n});
    }
};

// Groups the events by step with a stable counting sort: every encoder emits a channel's
// events before the next channel's (or steps in order with channels ascending), so within a
// step channels come out ascending and repeats of one (step, channel) sit side by side to merge.
void pack(const events_builder& b, spike_raster& r) {
    std::vector<std::uint64_t> start(std::size_t{r.steps} + 1, 0);
    for (const event& e : b.list) ++start[e.step + 1];
    for (std::uint32_t t = 0; t < r.steps; ++t) start[t + 1] += start[t];
    std::vector<event> sorted(b.list.size());
    for (const event& e : b.list) sorted[start[e.step]++] = e;
    r.offsets.assign(std::size_t{r.steps} + 1, 0);
    r.channel.reserve(sorted.size());
    r.count.reserve(sorted.size());
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        const event& e = sorted[i];
        if (i > 0 && sorted[i - 1].step == e.step && sorted[i - 1].channel == e.channel) {
            r.count.back() = static_cast<std::uint16_t>(r.count.back() + e.count);
            continue;
        }
        r.channel.push_back(e.channel);
        r.count.push_back(e.count);
        ++r.offsets[e.step + 1];
    }
    for (std::uint32_t t = 0; t < r.steps; ++t) r.offsets[t + 1] += r.offsets[t];
}

// Rate: Bernoulli per step with p = x·max_rate·dt (Poisson in the limit), or the deterministic
// regular train with the same rate; an optional dead time t_ref after each spike. Channel c at
// step t uses word c & 3 of block (c >> 2, t, sample), the blocks drawn eight at a time.
void rate(events_builder& b, const code_params& p, std::span<const double> x, const rng_stream& rng,
          std::uint32_t sample) {
    const std::uint32_t dead = steps_of(p.t_ref, p.dt);
    const std::uint32_t n = b.channels;
    std::vector<double> prob(n), phase(n, 0.0);
    std::vector<std::uint32_t> quiet(n, 0);
    for (std::uint32_t c = 0; c < n; ++c) prob[c] = x[c] * p.max_rate * p.dt * 1e-3;
    constexpr int lanes = 8;
    std::uint32_t words[4 * lanes];
    for (std::uint32_t t = 0; t < b.steps; ++t)
        for (std::uint32_t first = 0; first < n; first += 4 * lanes) {
            if (p.mode == rate_poisson)
                philox4x32_lanes<lanes>(first >> 2, t, rng.stream(), sample, rng.key0(), rng.key1(),
                                        words);
            for (std::uint32_t c = first; c < std::min(n, first + 4 * lanes); ++c) {
                if (quiet[c] > 0) {
                    --quiet[c];
                    continue;
                }
                bool spike;
                if (p.mode == rate_poisson) {
                    spike = to_unit(words[c - first]) < prob[c];
                } else {
                    phase[c] += prob[c];
                    spike = phase[c] >= 1.0 - 1e-12;
                    if (spike) phase[c] -= 1.0;
                }
                if (spike) {
                    b.add(t, c);
                    quiet[c] = dead;
                }
            }
        }
}

// Latency (time to first spike): linear t = (1 − x)(T − 1), or logarithmic t = τ·ln(1/x);
// one spike per input, none below `threshold` or beyond the window.
double latency_steps(const code_params& p, double x) {
    if (p.mode == latency_linear) return std::round((1.0 - x) * (p.steps - 1));
    return std::round(p.tau / p.dt * std::log(1.0 / x));
}

void latency(events_builder& b, const code_params& p, std::span<const double> x,
             const std::vector<bool>* active = nullptr) {
    for (std::uint32_t c = 0; c < b.channels; ++c) {
        if (x[c] <= 0.0 || x[c] < p.threshold || (active && !(*active)[c])) continue;
        const double t = latency_steps(p, x[c]);
        if (t < b.steps) b.add(static_cast<std::uint32_t>(t), c);
    }
}

// Inter-spike interval: a regular train with interval isi_max − x·(isi_max − isi_min).
void isi(events_builder& b, const code_params& p, std::span<const double> x) {
    for (std::uint32_t c = 0; c < b.channels; ++c) {
        const double interval = (p.isi_max - x[c] * (p.isi_max - p.isi_min)) / p.dt;
        for (double t = 0; t < b.steps; t += interval)
            b.add(static_cast<std::uint32_t>(std::lround(t)), c);
    }
}

// Phase: one spike per cycle of a reference oscillation, (1 − x) of the way into the cycle.
void phase(events_builder& b, const code_params& p, std::span<const double> x) {
    const double cycle = p.period / p.dt;
    for (std::uint32_t c = 0; c < b.channels; ++c) {
        const double offset = std::round((1.0 - x[c]) * (cycle - 1));
        for (double start = 0; start + offset < b.steps; start += cycle)
            b.add(static_cast<std::uint32_t>(std::lround(start + offset)), c);
    }
}

// Burst: round(x·n_max) spikes from step 0, burst_isi apart, or one graded spike of that size.
void burst(events_builder& b, const code_params& p, std::span<const double> x) {
    const std::uint32_t gap = std::max<std::uint32_t>(1, steps_of(p.burst_isi, p.dt));
    for (std::uint32_t c = 0; c < b.channels; ++c) {
        const auto n = static_cast<std::uint16_t>(std::lround(x[c] * p.n_max));
        if (p.graded != 0) {
            b.add(0, c, n);
            continue;
        }
        for (std::uint16_t k = 0; k < n; ++k) b.add(k * gap, c);
    }
}

// Sparse temporal: the latency code of the ceil(fraction·N) largest inputs; the rest are silent.
void sparse(events_builder& b, const code_params& p, std::span<const double> x) {
    const auto k = static_cast<std::size_t>(std::ceil(p.fraction * static_cast<double>(x.size())));
    std::vector<std::uint32_t> order(x.size());
    std::iota(order.begin(), order.end(), 0u);
    std::partial_sort(
        order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
        [&](std::uint32_t a, std::uint32_t b) { return x[a] > x[b] || (x[a] == x[b] && a < b); });
    std::vector<bool> active(x.size(), false);
    for (std::size_t i = 0; i < k; ++i) active[order[i]] = true;
    latency(b, p, x, &active);
}

// Delta modulation of a time series (one value per step): an ON event each time the signal
// rises `delta` above the tracked reference, OFF each time it falls `delta` below; the
// reference starts at 0 and moves by delta per event (channels 0 = ON, 1 = OFF).
void delta(events_builder& b, const code_params& p, std::span<const double> x) {
    double ref = 0.0;
    for (std::uint32_t t = 0; t < b.steps && t < x.size(); ++t) {
        while (x[t] - ref >= p.delta - 1e-12) {
            b.add(t, 0);
            ref += p.delta;
        }
        while (ref - x[t] >= p.delta - 1e-12) {
            b.add(t, 1);
            ref -= p.delta;
        }
    }
}

// Gaussian receptive fields (Bohte et al. 2002): m fields per feature with centres
// μ_i = (2i − 3) / (2(m − 2)), i = 1..m, width σ = 1/(β(m − 2)); response → latency.
void population(events_builder& b, const code_params& p, std::span<const double> x) {
    const auto m = static_cast<std::uint32_t>(p.fields);
    const double sigma = 1.0 / (p.beta * (m - 2));
    for (std::uint32_t f = 0; f < x.size(); ++f)
        for (std::uint32_t i = 1; i <= m; ++i) {
            const double mu = (2.0 * i - 3.0) / (2.0 * (m - 2));
            const double response = std::exp(-(x[f] - mu) * (x[f] - mu) / (2 * sigma * sigma));
            if (response < std::max(p.threshold, 1e-9)) continue;
            b.add(static_cast<std::uint32_t>(std::round((1.0 - response) * (p.steps - 1))),
                  f * m + i - 1);
        }
}

} // namespace

void check(scheme s, const code_params& p, const std::string& context) {
    auto fail = [&](const std::string& msg) { throw bad_parameter(context + ": " + msg); };
    if (p.steps < 1 || p.steps != std::floor(p.steps) || p.steps > 1e7)
        fail("steps = " + format_number(p.steps) + " must be an integer in [1, 1e7]");
    if (!(p.dt > 0)) fail("dt = " + format_number(p.dt) + " ms must be > 0");
    if (s == scheme::rate && p.max_rate * p.dt * 1e-3 > 1.0)
        fail("max_rate = " + format_number(p.max_rate) + " Hz with dt = " + format_number(p.dt) +
             " ms asks for more than one spike per step; use max_rate <= " +
             format_number(1e3 / p.dt));
    if (s == scheme::isi && !(p.isi_min < p.isi_max && p.isi_min >= p.dt))
        fail("isi needs dt <= isi_min < isi_max (got " + format_number(p.isi_min) + ", " +
             format_number(p.isi_max) + ")");
    if (s == scheme::phase && !(p.period >= 2 * p.dt))
        fail("period = " + format_number(p.period) + " ms must be at least two steps");
    if (s == scheme::population && p.fields < 3)
        fail("fields = " + format_number(p.fields) + " must be >= 3");
    if (s == scheme::burst && p.n_max > 60000)
        fail("n_max = " + format_number(p.n_max) + " must be <= 60000");
    if (s == scheme::delta && !(p.delta > 0))
        fail("delta = " + format_number(p.delta) + " must be > 0");
    if (s == scheme::sparse && !(p.fraction > 0 && p.fraction <= 1))
        fail("fraction = " + format_number(p.fraction) + " must be in (0, 1]");
}

bool rate_is_dense(scheme s, const code_params& p) {
    return s == scheme::rate && p.mode == rate_poisson && steps_of(p.t_ref, p.dt) == 0;
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define NM_RATE_AVX512 1
#define NM_AVX512 __attribute__((target("avx512f"), always_inline)) inline
// GCC 12's own AVX-512 shifts start from _mm512_undefined_epi32(), which it then reports.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// The high and low halves of the sixteen 32x32-bit products x·m: even lanes, then odd ones.
NM_AVX512 void mul_hi_lo(__m512i x, __m512i m, __m512i& hi, __m512i& lo) {
    const __m512i even = _mm512_mul_epu32(x, m);
    const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(x, 32), m);
    lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
    hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
}

// rate_dense's rows 64 channels at a time where the CPU has AVX-512: the 16 Philox blocks of a
// group in one register per word (the same blocks as philox4x32_lanes), transposed into
// channel order and compared with the thresholds. Returns where the groups end.
__attribute__((target("avx512f"))) std::uint32_t
rate_groups_avx512(std::uint32_t n, std::uint32_t t, std::uint32_t stream, std::uint32_t sample,
                   std::uint32_t k0, std::uint32_t k1, const std::uint32_t* threshold, float* row) {
    const __m512i m0 = _mm512_set1_epi32(static_cast<int>(0xD2511F53u));
    const __m512i m1 = _mm512_set1_epi32(static_cast<int>(0xCD9E8D57u));
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512 one = _mm512_set1_ps(1.0f);
    std::uint32_t first = 0;
    for (; first + 64 <= n; first += 64) {
        __m512i x0 = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(first >> 2)), lane);
        __m512i x1 = _mm512_set1_epi32(static_cast<int>(t));
        __m512i x2 = _mm512_set1_epi32(static_cast<int>(stream));
        __m512i x3 = _mm512_set1_epi32(static_cast<int>(sample));
        std::uint32_t a = k0, b = k1;
        for (int round = 0; round < 10; ++round) {
            __m512i hi0, lo0, hi1, lo1;
            mul_hi_lo(x0, m0, hi0, lo0);
            mul_hi_lo(x2, m1, hi1, lo1);
            x0 =
                _mm512_xor_si512(_mm512_xor_si512(hi1, x1), _mm512_set1_epi32(static_cast<int>(a)));
            x1 = lo1;
            x2 =
                _mm512_xor_si512(_mm512_xor_si512(hi0, x3), _mm512_set1_epi32(static_cast<int>(b)));
            x3 = lo0;
            a += 0x9E3779B9u;
            b += 0xBB67AE85u;
        }
        // Words by lane into blocks: r_i holds blocks i, i + 4, i + 8, i + 12 (128 bits each),
        // then a 4x4 transpose of those 128-bit parts puts blocks 4q .. 4q + 3 in q_q.
        const __m512i t0 = _mm512_unpacklo_epi32(x0, x1), t1 = _mm512_unpacklo_epi32(x2, x3);
        const __m512i t2 = _mm512_unpackhi_epi32(x0, x1), t3 = _mm512_unpackhi_epi32(x2, x3);
        const __m512i r0 = _mm512_unpacklo_epi64(t0, t1), r1 = _mm512_unpackhi_epi64(t0, t1);
        const __m512i r2 = _mm512_unpacklo_epi64(t2, t3), r3 = _mm512_unpackhi_epi64(t2, t3);
        const __m512i s0 = _mm512_shuffle_i32x4(r0, r1, 0x44),
                      s1 = _mm512_shuffle_i32x4(r2, r3, 0x44);
        const __m512i s2 = _mm512_shuffle_i32x4(r0, r1, 0xEE),
                      s3 = _mm512_shuffle_i32x4(r2, r3, 0xEE);
        const __m512i q[4] = {
            _mm512_shuffle_i32x4(s0, s1, 0x88), _mm512_shuffle_i32x4(s0, s1, 0xDD),
            _mm512_shuffle_i32x4(s2, s3, 0x88), _mm512_shuffle_i32x4(s2, s3, 0xDD)};
        for (std::uint32_t k = 0; k < 4; ++k) {
            const __m512i limit = _mm512_loadu_si512(threshold + first + 16 * k);
            const __mmask16 fire = _mm512_cmplt_epu32_mask(_mm512_srli_epi32(q[k], 8), limit);
            _mm512_storeu_ps(row + first + 16 * k, _mm512_maskz_mov_ps(fire, one));
        }
    }
    return first;
}
#pragma GCC diagnostic pop
#endif

// rate()'s Bernoulli draws without the dead time, so without state between steps: word c & 3
// of block (c >> 2, t, sample) against p·2^24 as integers ((w >> 8)·2^-24 < p exactly when
// (w >> 8) < ⌈p·2^24⌉), a loop the compiler vectorises.
template<class Real>
void rate_dense(const code_params& p, std::span<const double> x, const rng_stream& rng,
                std::uint32_t sample, Real* out, std::size_t stride) {
    const auto n = static_cast<std::uint32_t>(x.size());
    std::vector<std::uint32_t> threshold(n);
    for (std::uint32_t c = 0; c < n; ++c) {
        const double prob = x[c] * p.max_rate * p.dt * 1e-3;
        threshold[c] =
            static_cast<std::uint32_t>(std::clamp(std::ceil(prob * 16777216.0), 0.0, 16777216.0));
    }
#ifdef NM_RATE_AVX512
    static const bool avx512 = __builtin_cpu_supports("avx512f");
#endif
    constexpr int lanes = 8;
    std::uint32_t words[4 * lanes];
    for (std::uint32_t t = 0; t < static_cast<std::uint32_t>(p.steps); ++t) {
        Real* row = out + std::size_t{t} * stride;
        std::uint32_t start = 0;
#ifdef NM_RATE_AVX512
        if constexpr (std::is_same_v<Real, float>)
            if (avx512)
                start = rate_groups_avx512(n, t, rng.stream(), sample, rng.key0(), rng.key1(),
                                           threshold.data(), row);
#endif
        for (std::uint32_t first = start; first < n; first += 4 * lanes) {
            philox4x32_lanes<lanes>(first >> 2, t, rng.stream(), sample, rng.key0(), rng.key1(),
                                    words);
            const std::uint32_t m = std::min(n - first, 4u * lanes);
            for (std::uint32_t k = 0; k < m; ++k)
                row[first + k] = static_cast<Real>((words[k] >> 8) < threshold[first + k]);
        }
    }
}

template void rate_dense<float>(const code_params&, std::span<const double>, const rng_stream&,
                                std::uint32_t, float*, std::size_t);
template void rate_dense<double>(const code_params&, std::span<const double>, const rng_stream&,
                                 std::uint32_t, double*, std::size_t);

spike_raster encode(scheme s, const code_params& p, std::span<const double> x,
                    const rng_stream& rng, std::uint32_t sample) {
    spike_raster r;
    r.steps = static_cast<std::uint32_t>(p.steps);
    r.channels = channels_for(s, p, static_cast<std::uint32_t>(x.size()));
    if (s == scheme::direct) {
        r.offsets.assign(std::size_t{r.steps} + 1, 0);
        r.values.resize(std::size_t{r.steps} * r.channels);
        for (std::uint32_t t = 0; t < r.steps; ++t)
            std::copy(x.begin(), x.end(), r.values.begin() + std::size_t{t} * r.channels);
        return r;
    }
    events_builder b{r.steps, r.channels, {}};
    switch (s) {
    case scheme::rate:
        rate(b, p, x, rng, sample);
        break;
    case scheme::latency:
        latency(b, p, x);
        break;
    case scheme::isi:
        isi(b, p, x);
        break;
    case scheme::phase:
        phase(b, p, x);
        break;
    case scheme::burst:
        burst(b, p, x);
        break;
    case scheme::sparse:
        sparse(b, p, x);
        break;
    case scheme::delta:
        delta(b, p, x);
        break;
    case scheme::population:
        population(b, p, x);
        break;
    case scheme::direct:
        break;
    }
    pack(b, r);
    return r;
}

} // namespace nm::coding

namespace nm {

std::uint16_t spike_raster::at(std::uint32_t step, std::uint32_t c) const {
    if (step >= steps || offsets.empty()) return 0;
    const auto first = channel.begin() + static_cast<std::ptrdiff_t>(offsets[step]);
    const auto last = channel.begin() + static_cast<std::ptrdiff_t>(offsets[step + 1]);
    const auto it = std::lower_bound(first, last, c);
    return it != last && *it == c ? count[static_cast<std::size_t>(it - channel.begin())] : 0;
}

} // namespace nm

namespace nm::coding {

std::uint32_t channels_for(scheme s, const code_params& p, std::uint32_t features) {
    if (s == scheme::population) return features * static_cast<std::uint32_t>(p.fields);
    if (s == scheme::delta) return 2;
    return features;
}

} // namespace nm::coding
