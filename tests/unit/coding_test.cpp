// Spike codes: each encoder's round trip within the error the scheme promises, Poisson
// statistics (counts and an exponential ISI law by a KS test), delta modulation of a sine,
// determinism, readouts, and the error paths.
#include "coding/codec.hpp"
#include "helpers.hpp"

#include <nm/coding.hpp>
#include <nm/errors.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace nm::test {
namespace {

// 101 evenly spaced values in [0, 1], one sample each of one feature.
std::vector<double> ramp() {
    std::vector<double> x(101);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = i / 100.0;
    return x;
}

encoded_data encode_ramp(const std::string& scheme, std::vector<param> p) {
    const std::vector<double> x = ramp();
    return encode_values(scheme, p, x, static_cast<std::uint32_t>(x.size()), 1, 7);
}

double max_error(const encoded_data& e, double above = -1.0) {
    const std::vector<double> x = ramp();
    double worst = 0;
    for (std::size_t i = 0; i < x.size(); ++i)
        if (x[i] > above) worst = std::max(worst, std::abs(e.decoded[i][0] - x[i]));
    return worst;
}

TEST(coding, latency_is_exact_to_one_step) {
    const double steps = 25;
    const auto e = encode_ramp("latency", params({{"steps", steps}}));
    EXPECT_LE(max_error(e, 0.0), 0.5 / (steps - 1) + 1e-12);
    EXPECT_EQ(e.decoded[0][0], 0.0); // silent input decodes to 0
    for (const auto& r : e.rasters) EXPECT_LE(r.events(), 1u);
    const auto log = encode_ramp(
        "latency", params({{"steps", 200.0}, {"mode", std::string("log")}, {"tau", 20.0}}));
    for (std::size_t i = 20; i <= 100; ++i) { // t = τ ln(1/x) rounded: relative error <= dt/(2τ)
        const double x = i / 100.0;
        EXPECT_NEAR(log.decoded[i][0] / x, 1.0, 0.5 / 20.0 + 1e-9) << x;
    }
}

TEST(coding, regular_rate_code_counts_exactly) {
    // p = x·200 Hz·1 ms; the regular train emits floor(p·T) spikes (± 1 at the phase edge).
    const double steps = 500;
    const auto e =
        encode_ramp("rate", params({{"steps", steps}, {"mode", std::string("regular")}}));
    EXPECT_LE(max_error(e), 1.0 / (0.2 * steps) + 1e-9);
}

TEST(coding, poisson_rate_code_is_unbiased_with_binomial_spread) {
    const double x = 0.3, steps = 100, max_rate = 400, p = x * max_rate * 1e-3;
    const std::uint32_t samples = 4000;
    const std::vector<double> values(samples, x);
    const auto e = encode_values("rate", params({{"steps", steps}, {"max_rate", max_rate}}), values,
                                 samples, 1, 3);
    double mean = 0, sq = 0;
    for (const auto& d : e.decoded) {
        mean += d[0];
        sq += d[0] * d[0];
    }
    mean /= samples;
    const double sd = std::sqrt(sq / samples - mean * mean);
    const double expected_sd = std::sqrt(p * (1 - p) / steps) / (max_rate * 1e-3); // value units
    EXPECT_NEAR(mean, x, 4 * expected_sd / std::sqrt(samples));
    EXPECT_NEAR(sd / expected_sd, 1.0, 0.06);
}

TEST(coding, dense_rate_code_draws_the_rasters_spikes) {
    // Values through 0 and 1, channel counts that are not multiples of the 32 drawn per call,
    // max_rate · dt = 1 so that p spans [0, 1]; dead time would need the raster (not dense).
    coding::code_params p;
    p.steps = 13;
    p.max_rate = 1000;
    const rng_stream rng(5, 77);
    ASSERT_TRUE(coding::rate_is_dense(coding::scheme::rate, p));
    // 37 channels: under one group of 64 (the AVX-512 path's); 150: two groups and a tail.
    for (const std::size_t channels : {37, 150})
        for (std::uint32_t sample : {0u, 1u, 123456u}) {
            std::vector<double> x(channels);
            for (std::size_t c = 0; c < x.size(); ++c) x[c] = static_cast<double>(c % 10) / 9.0;
            const std::size_t stride = channels + 3;
            const spike_raster r = coding::encode(coding::scheme::rate, p, x, rng, sample);
            std::vector<float> expected(13 * stride, -1.0f), dense(13 * stride, -1.0f);
            for (std::uint32_t t = 0; t < 13; ++t)
                for (std::size_t c = 0; c < x.size(); ++c) expected[t * stride + c] = 0.0f;
            for (std::uint32_t t = 0; t < r.steps; ++t)
                for (std::uint64_t e = r.offsets[t]; e < r.offsets[t + 1]; ++e)
                    expected[t * stride + r.channel[e]] = r.count[e];
            coding::rate_dense(p, x, rng, sample, dense.data(), stride);
            EXPECT_EQ(dense, expected); // every spike, nothing written past the channels
            EXPECT_GT(r.channel.size(), 100u);
        }
    p.t_ref = 2.0;
    EXPECT_FALSE(coding::rate_is_dense(coding::scheme::rate, p));
}

TEST(coding, poisson_counts_and_exponential_intervals) {
    const double rate = 50, steps = 20000, p = rate * 1e-3; // dt = 1 ms
    const std::vector<double> one{1.0};
    const auto e =
        encode_values("rate", params({{"steps", steps}, {"max_rate", rate}}), one, 1, 1, 11);
    std::vector<double> isi;
    double count = 0, last = -1;
    for (std::uint32_t t = 0; t < e.rasters[0].steps; ++t)
        if (e.rasters[0].at(t, 0)) {
            count += 1;
            if (last >= 0) isi.push_back(t - last);
            last = t;
        }
    EXPECT_NEAR(count, p * steps, 4 * std::sqrt(steps * p * (1 - p)));
    // Kolmogorov-Smirnov against the geometric law P(ISI <= k) = 1 - (1 - p)^k (the exponential
    // ISI law sampled on the step grid); 1.63/sqrt(n) is the 1% critical value.
    std::sort(isi.begin(), isi.end());
    double d = 0;
    const double n = static_cast<double>(isi.size());
    for (std::size_t i = 0; i < isi.size(); ++i) {
        if (i + 1 < isi.size() && isi[i + 1] == isi[i]) continue;
        const double cdf = 1 - std::pow(1 - p, isi[i]), below = 1 - std::pow(1 - p, isi[i] - 1);
        d = std::max(
            {d, std::abs((i + 1) / n - cdf),
             std::abs(std::lower_bound(isi.begin(), isi.end(), isi[i]) - isi.begin()) / n - below});
    }
    EXPECT_LT(d, 1.63 / std::sqrt(n));
}

TEST(coding, refractory_period_caps_the_rate_near_100_hz) {
    const std::vector<double> one{1.0};
    const auto e = encode_values(
        "rate", params({{"steps", 10000.0}, {"max_rate", 1000.0}, {"t_ref", 10.0}}), one, 1, 1);
    const double hz = e.report.spikes_per_sample / 10.0; // 10 s
    EXPECT_NEAR(hz, 1000.0 / 11.0, 0.5);                 // one spike, then 10 dead steps
    EXPECT_NEAR(e.decoded[0][0], 1.0, 1e-6);             // the decoder undoes the dead time
}

TEST(coding, isi_phase_and_burst_round_trips) {
    EXPECT_LE(max_error(encode_ramp("isi", params({{"steps", 100.0}}))), 1.0 / 18.0);
    const double cycle = 10;
    EXPECT_LE(max_error(encode_ramp("phase", params({{"steps", 50.0}, {"period", cycle}}))),
              0.5 / (cycle - 1) + 1e-9);
    const double n_max = 8;
    EXPECT_LE(max_error(encode_ramp("burst", params({{"n_max", n_max}}))), 0.5 / n_max + 1e-9);
    const auto graded = encode_ramp("burst", params({{"n_max", n_max}, {"graded", 1.0}}));
    EXPECT_LE(max_error(graded), 0.5 / n_max + 1e-9);
    EXPECT_EQ(graded.rasters[100].at(0, 0), 8); // one graded spike of size n_max
}

TEST(coding, population_code_recovers_value_within_field_spacing) {
    const double fields = 8;
    const auto e = encode_ramp("population", params({{"fields", fields}, {"steps", 50.0}}));
    EXPECT_EQ(e.report.channels, 8u);
    EXPECT_LE(max_error(e), 1.0 / (fields - 2));
    EXPECT_LT(e.report.rmse, 0.25 / (fields - 2));
}

TEST(coding, sparse_code_keeps_only_the_largest_inputs) {
    std::vector<double> x(20);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = (i * 7 % 20) / 19.0;
    const auto e = encode_values("sparse", params({{"fraction", 0.25}, {"steps", 20.0}}), x, 1, 20);
    EXPECT_DOUBLE_EQ(e.report.spikes_per_sample, 5.0);
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (x[i] >= 15 / 19.0 - 1e-12)
            EXPECT_NEAR(e.decoded[0][i], x[i], 0.5 / 19 + 1e-12);
        else
            EXPECT_EQ(e.decoded[0][i], 0.0);
    }
}

TEST(coding, delta_modulation_reconstructs_a_sine_within_the_threshold) {
    const double delta = 0.05;
    std::vector<double> series(500);
    for (std::size_t t = 0; t < series.size(); ++t)
        series[t] = 0.5 + 0.45 * std::sin(2 * std::numbers::pi * t / 125.0);
    const auto e = encode_values("delta", params({{"delta", delta}}), series, 1, 500);
    ASSERT_EQ(e.report.channels, 2u);
    for (std::size_t t = 0; t < series.size(); ++t)
        EXPECT_LT(std::abs(e.decoded[0][t] - series[t]), delta) << t;
    EXPECT_GT(e.rasters[0].at(0, 0), 0); // the first step climbs from 0 with ON events
}

TEST(coding, direct_is_exact_to_float_precision) {
    const auto e = encode_ramp("direct", {});
    EXPECT_LE(max_error(e), 1e-7); // currents are stored as float
    EXPECT_EQ(e.report.spikes_per_sample, 0.0);
}

TEST(coding, same_seed_same_spikes_for_any_thread_count) {
    std::vector<double> x(200 * 16);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = (i % 97) / 96.0;
    const auto one = encode_values("rate", {}, x, 200, 16, 5, 1);
    const auto two = encode_values("rate", {}, x, 200, 16, 5, 2);
    const auto other = encode_values("rate", {}, x, 200, 16, 6, 2);
    bool differs = false;
    for (std::size_t i = 0; i < 200; ++i) {
        EXPECT_EQ(one.rasters[i].channel, two.rasters[i].channel);
        EXPECT_EQ(one.rasters[i].offsets, two.rasters[i].offsets);
        differs = differs || one.rasters[i].offsets != other.rasters[i].offsets;
    }
    EXPECT_TRUE(differs);
}

TEST(coding, decoding_window_is_the_shortest_reaching_the_target) {
    const auto e =
        encode_values("rate", params({{"steps", 400.0}, {"mode", std::string("regular")}}), ramp(),
                      101, 1, 1, 2, 0.05);
    ASSERT_GT(e.report.window_steps, 0u);
    const std::vector<double> x = ramp();
    coding::code_params p;
    p.steps = 400;
    p.mode = coding::rate_regular;
    auto rmse = [&](std::uint32_t w) {
        double sq = 0;
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double d = coding::decode(coding::scheme::rate, p, e.rasters[i], 1, w)[0] - x[i];
            sq += d * d;
        }
        return std::sqrt(sq / x.size());
    };
    EXPECT_LE(rmse(e.report.window_steps), 0.05);
    EXPECT_GT(rmse(e.report.window_steps - 1), 0.05);
}

TEST(coding, readouts) {
    spike_raster r; // step 1: channels 1 (1) and 2 (graded 2); steps 2 and 3: channel 0
    r.steps = 4;
    r.channels = 3;
    r.offsets = {0, 0, 2, 3, 4};
    r.channel = {1, 2, 0, 0};
    r.count = {1, 2, 1, 1};
    EXPECT_EQ(coding::first_to_spike(r), 2); // step 1: channel 2 (graded 2) beats channel 1
    EXPECT_EQ(coding::most_spikes(r), 0);    // 2 vs 1 vs 2: ties go to the lowest index
    const auto li = coding::li_readout(r, 10.0, 1.0);
    const double lambda = std::exp(-0.1);
    EXPECT_NEAR(li.max[0], 1 + lambda, 1e-12);
    EXPECT_NEAR(li.mean[1], (0 + 1 + lambda + lambda * lambda) / 4, 1e-12);
}

TEST(coding, bad_input_gives_clear_errors) {
    const std::vector<double> x{0.5};
    auto message = [&](const std::string& scheme, std::vector<param> p, std::span<const double> v,
                       std::uint32_t samples) {
        try {
            encode_values(scheme, p, v, samples,
                          samples ? static_cast<std::uint32_t>(v.size() / samples) : 0);
        } catch (const nm::error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_NE(
        message("rate", params({{"max_rate", -5.0}}), x, 1).find("max_rate = -5 Hz must be >= 0"),
        std::string::npos);
    EXPECT_NE(message("rate", params({{"steps", 0.0}}), x, 1).find("steps = 0"), std::string::npos);
    EXPECT_NE(message("rate", {}, {}, 0).find("empty"), std::string::npos);
    EXPECT_NE(
        message("rate", params({{"max_rate", 5000.0}}), x, 1).find("more than one spike per step"),
        std::string::npos);
    EXPECT_NE(message("latncy", {}, x, 1).find("did you mean \"latency\""), std::string::npos);
    EXPECT_NE(message("rate", params({{"tau", 1.0}}), x, 1).find("unknown parameter \"tau\""),
              std::string::npos);
    const std::vector<double> nan{std::nan("")};
    EXPECT_NE(message("rate", {}, nan, 1).find("must be in [0, 1]"), std::string::npos);
}

} // namespace
} // namespace nm::test
