// SVG helpers: appends, colours, line charts.
#include "io/svg.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

namespace nm::svg {

void put(std::string& out, const char* format, ...) {
    char buf[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(buf, sizeof buf, format, args);
    va_end(args);
    out += buf;
}

const char* colour(std::size_t index) {
    static constexpr const char* cycle[] = {"#1f77b4", "#d62728", "#2ca02c",
                                            "#9467bd", "#ff7f0e", "#8c564b"};
    return cycle[index % 6];
}

std::string line_chart(double x0, double y0, double width, double height, const std::string& title,
                       const std::string& x_label, const std::vector<series>& lines, double y_max) {
    double xmin = 1e300, xmax = -1e300, ymin = 0, ymax = y_max > 0 ? y_max : -1e300;
    for (const auto& s : lines)
        for (std::size_t i = 0; i < s.x.size(); ++i) {
            xmin = std::min(xmin, s.x[i]);
            xmax = std::max(xmax, s.x[i]);
            ymin = std::min(ymin, s.y[i]);
            if (y_max <= 0) ymax = std::max(ymax, s.y[i]);
        }
    if (xmax <= xmin) xmax = xmin + 1;
    if (ymax <= ymin) ymax = ymin + 1;
    const double left = 55, top = 25, bottom = 35, w = width - left - 15, h = height - top - bottom;
    std::string g;
    put(g, "<g transform=\"translate(%.0f,%.0f)\" font-family=\"sans-serif\" font-size=\"12\">\n",
        x0, y0);
    put(g, "<text x=\"%.0f\" y=\"16\">%s</text>\n", left, title.c_str());
    put(g,
        "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" "
        "stroke=\"black\"/>\n",
        left, top, w, h);
    put(g, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.3g</text>\n", left - 4, top + 10,
        ymax);
    put(g, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.3g</text>\n", left - 4, top + h,
        ymin);
    put(g, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%.3g</text>\n", left, top + h + 15,
        xmin);
    put(g, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%.3g</text>\n", left + w,
        top + h + 15, xmax);
    put(g, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n", left + w / 2,
        top + h + 30, x_label.c_str());
    for (std::size_t k = 0; k < lines.size(); ++k) {
        const series& s = lines[k];
        put(g, "<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"%s\" points=\"", colour(k));
        for (std::size_t i = 0; i < s.x.size(); ++i)
            put(g, "%.1f,%.1f ", left + (s.x[i] - xmin) / (xmax - xmin) * w,
                top + h - (s.y[i] - ymin) / (ymax - ymin) * h);
        put(g, "\"/>\n<text x=\"%.0f\" y=\"%.0f\" fill=\"%s\">%s</text>\n", left + w - 150,
            top + 16.0 * (k + 1), colour(k), s.name.c_str());
    }
    g += "</g>\n";
    return g;
}

std::string document(double width, double height, const std::string& body) {
    std::string out;
    put(out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\">\n"
        "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
        width, height);
    return out + body + "</svg>\n";
}

} // namespace nm::svg
