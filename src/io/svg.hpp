// A few SVG drawing helpers shared by the plots neuromorph writes into run folders (raster,
// training curves): printf-style appends, the colour cycle, and a line chart.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace nm::svg {

[[gnu::format(printf, 2, 3)]] void put(std::string& out, const char* format, ...);

const char* colour(std::size_t index);

struct series {
    std::string name;
    std::vector<double> x, y;
};

// A line chart as an SVG group at (x0, y0), width × height, y from 0 (or the data minimum if
// negative) to the data maximum (or `y_max` when > 0).
std::string line_chart(double x0, double y0, double width, double height, const std::string& title,
                       const std::string& x_label, const std::vector<series>& lines,
                       double y_max = 0);

// Wraps groups into a standalone document.
std::string document(double width, double height, const std::string& body);

} // namespace nm::svg
