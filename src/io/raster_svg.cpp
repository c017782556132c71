// Raster + rate SVG: one colour per population, time on the x axis in ms.
#include "io/raster_svg.hpp"
#include "io/svg.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <vector>

namespace nm {

namespace {

constexpr double width = 900, left = 60, right = 20, top = 30, raster_h = 360, gap = 40,
                 rate_h = 130, bottom = 40;
constexpr std::size_t bins = 200;
using svg::colour;
using svg::put;

} // namespace

std::string raster_svg(const run_result& r, std::size_t max_neurons) {
    const double plot_w = width - left - right, height = top + raster_h + gap + rate_h + bottom;
    const double t_end = r.duration_ms > 0 ? r.duration_ms : 1.0;
    // Per population: every neuron that spiked, and spike counts per time bin.
    std::map<std::uint32_t, std::set<std::uint32_t>> spiking;
    std::map<std::uint32_t, std::vector<double>> counts;
    for (const auto& s : r.spikes) {
        spiking[s.population].insert(s.neuron);
        auto& c = counts[s.population];
        c.resize(bins, 0.0);
        c[std::min(bins - 1, static_cast<std::size_t>(s.time_ms(r.dt) / t_end * bins))] += 1;
    }
    // Raster rows: the lowest `max_neurons` spiking neurons of each population, stacked.
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::size_t> row_of;
    for (const auto& [pop, neurons] : spiking) {
        std::size_t taken = 0;
        for (auto it = neurons.begin(); it != neurons.end() && taken < max_neurons; ++it, ++taken)
            row_of.emplace(std::make_pair(pop, *it), row_of.size());
    }
    const double row_h = row_of.empty() ? raster_h : raster_h / static_cast<double>(row_of.size());

    std::string svg;
    put(svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
        "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" "
        "fill=\"white\"/>\n",
        width, height);
    put(svg,
        "<text x=\"%.0f\" y=\"18\">recorded spikes (up to %zu neurons per population) and "
        "population rate</text>\n",
        left, max_neurons);
    for (const auto& s : r.spikes) {
        const auto row = row_of.find({s.population, s.neuron});
        if (row == row_of.end()) continue;
        put(svg, "<rect x=\"%.2f\" y=\"%.2f\" width=\"1.2\" height=\"%.2f\" fill=\"%s\"/>\n",
            left + s.time_ms(r.dt) / t_end * plot_w, top + static_cast<double>(row->second) * row_h,
            std::max(row_h * 0.8, 0.5), colour(s.population));
    }
    // Rate in Hz per spiking neuron of the population, per bin.
    const double rate_top = top + raster_h + gap, bin_s = t_end / bins * 1e-3;
    double max_rate = 1e-9;
    for (const auto& [pop, c] : counts)
        for (double x : c)
            max_rate = std::max(max_rate, x / static_cast<double>(spiking[pop].size()) / bin_s);
    int legend = 0;
    for (const auto& [pop, c] : counts) {
        put(svg, "<polyline fill=\"none\" stroke-width=\"1.2\" stroke=\"%s\" points=\"",
            colour(pop));
        for (std::size_t b = 0; b < bins; ++b)
            put(svg, "%.1f,%.1f ", left + (b + 0.5) / bins * plot_w,
                rate_top + rate_h * (1 - c[b] / static_cast<double>(spiking[pop].size()) / bin_s /
                                             max_rate));
        put(svg, "\"/>\n<text x=\"%.0f\" y=\"%.0f\" fill=\"%s\">%s</text>\n", width - right - 120,
            rate_top + 14.0 * ++legend, colour(pop),
            pop < r.population_names.size() ? r.population_names[pop].c_str() : "?");
    }
    for (double y : {top, rate_top})
        put(svg,
            "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" "
            "stroke=\"black\"/>\n",
            left, y, plot_w, y == top ? raster_h : rate_h);
    put(svg, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">time (ms)</text>\n",
        left + plot_w / 2, height - 8);
    put(svg, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">0</text>\n", left, height - 24);
    put(svg, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%g</text>\n", left + plot_w,
        height - 24, t_end);
    put(svg, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.0f Hz</text>\n", left - 4,
        rate_top + 10, max_rate);
    put(svg, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">0 Hz</text>\n", left - 4,
        rate_top + rate_h);
    put(svg, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">neurons</text>\n", left - 4,
        top + 12);
    svg += "</svg>\n";
    return svg;
}

} // namespace nm
