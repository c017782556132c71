// Standard normal values by the ziggurat method: Marsaglia & Tsang, J. Stat. Softw. 5(8) (2000),
// in Doornik's form (ZIGNOR, 2005) with 128 layers and independent words for the layer and the
// position in it. About 99% of draws take two random words and one comparison (no logarithm,
// no trigonometry); the rest test the wedge or sample the tail beyond R (Marsaglia 1964).
// Used where millions of values are drawn at build time (synapse weights and delays).
#pragma once

#include "core/philox.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <utility>

namespace nm {

struct ziggurat_tables {
    static constexpr int layers = 128;
    static constexpr double r = 3.442619855899;      // start of the tail
    static constexpr double v = 9.91256303526217e-3; // area of each layer
    std::array<double, layers + 1> x{};              // layer edges, x[1] = r, x[layers] = 0
    std::array<double, layers> ratio{};              // x[i + 1] / x[i]: the accept-at-once part

    ziggurat_tables() {
        double f = std::exp(-0.5 * r * r);
        x[0] = v / f;
        x[1] = r;
        for (int i = 2; i < layers; ++i) {
            x[i] = std::sqrt(-2.0 * std::log(v / x[i - 1] + f));
            f = std::exp(-0.5 * x[i] * x[i]);
        }
        x[layers] = 0.0;
        for (int i = 0; i < layers; ++i) ratio[i] = x[i + 1] / x[i];
    }
};

inline const ziggurat_tables& ziggurat() {
    static const ziggurat_tables tables;
    return tables;
}

// A standard normal from the words (position, layer) and tables `t`; `more()` gives further words
// for the rare draws that need them.
template<class Words>
double ziggurat_normal(const ziggurat_tables& t, std::uint32_t position, std::uint32_t layer,
                       Words&& more) {
    for (;;) {
        const int i = static_cast<int>(layer & (ziggurat_tables::layers - 1));
        const double u = (static_cast<std::int32_t>(position) + 0.5) * 0x1p-31; // in (-1, 1)
        if (std::abs(u) < t.ratio[i]) return u * t.x[i];
        if (i == 0) { // the tail beyond r
            double a, b;
            do {
                a = std::log(to_open_unit(more())) / ziggurat_tables::r;
                b = std::log(to_open_unit(more()));
            } while (-2.0 * b < a * a);
            return u < 0 ? a - ziggurat_tables::r : ziggurat_tables::r - a;
        }
        const double z = u * t.x[i];
        const double f0 = std::exp(-0.5 * (t.x[i] * t.x[i] - z * z));
        const double f1 = std::exp(-0.5 * (t.x[i + 1] * t.x[i + 1] - z * z));
        if (f1 + to_unit(more()) * (f0 - f1) < 1.0) return z;
        position = more();
        layer = more();
    }
}

// Two independent standard normals keyed (index, step, slot) of `rng`: one Philox block for
// both in the common case, further blocks (slots with the top bit set) when a draw needs them.
inline std::pair<double, double> ziggurat_pair(const rng_stream& rng, std::uint32_t index,
                                               std::uint32_t step, std::uint32_t slot) {
    const philox_block b = rng.block(index, step, slot);
    std::uint32_t extra = 0, used = 4;
    philox_block more_block{};
    auto more = [&] {
        if (used == 4) {
            more_block = rng.block(index, step, slot ^ (0x80000000u | ++extra));
            used = 0;
        }
        return more_block.w[used++];
    };
    const ziggurat_tables& t = ziggurat();
    const double first = ziggurat_normal(t, b.w[0], b.w[1], more);
    return {first, ziggurat_normal(t, b.w[2], b.w[3], more)};
}

} // namespace nm
