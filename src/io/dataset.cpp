// Dataset readers: CSV (with located errors), the embedded data/ sets, IDX (through zlib, which
// reads gzipped and plain files alike).
#include "nm/data.hpp"

#include "core/fields.hpp"
#include "nm/errors.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <zlib.h>

namespace nm {

namespace {

std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> out;
    std::string cell;
    std::istringstream in(line);
    while (std::getline(in, cell, ',')) {
        const auto b = cell.find_first_not_of(" \t\r"), e = cell.find_last_not_of(" \t\r");
        out.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
    }
    if (!line.empty() && line.back() == ',') out.emplace_back();
    return out;
}

bool parse_number(const std::string& s, double& x) {
    if (s.empty()) return false;
    char* end = nullptr;
    x = std::strtod(s.c_str(), &end);
    return end == s.c_str() + s.size();
}

} // namespace

dataset read_csv(const std::string& path, const std::string& label_column) {
    std::ifstream in(path);
    if (!in) throw io_error(path + ": cannot open");
    dataset d;
    d.name = path;
    std::string line;
    std::size_t line_no = 0, columns = 0;
    int label = -1;
    bool first = true;
    std::vector<std::string> header;
    while (std::getline(in, line)) {
        ++line_no;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const std::vector<std::string> cells = split(line);
        double x = 0;
        if (first) {
            first = false;
            columns = cells.size();
            if (!std::all_of(cells.begin(), cells.end(),
                             [&](const std::string& c) { return parse_number(c, x); }))
                header = cells;
            d.feature_names = header;
            if (label_column == "last")
                label = static_cast<int>(columns) - 1;
            else if (!label_column.empty()) {
                const auto it = std::find(cells.begin(), cells.end(), label_column);
                if (header.empty() || it == cells.end())
                    throw bad_config(path + ":1: no column named \"" + label_column +
                                     "\" for the labels" +
                                     (header.empty() ? " (the file has no header)"
                                                     : did_you_mean(label_column, cells)));
                label = static_cast<int>(it - cells.begin());
            }
            if (!header.empty()) {
                if (label >= 0) d.feature_names.erase(d.feature_names.begin() + label);
                continue;
            }
        }
        if (cells.size() != columns)
            throw bad_config(path + ":" + std::to_string(line_no) + ": " +
                             std::to_string(cells.size()) + " columns; the file's first line has " +
                             std::to_string(columns));
        for (std::size_t c = 0; c < cells.size(); ++c) {
            const std::string where = path + ":" + std::to_string(line_no) + ": column " +
                                      std::to_string(c + 1) +
                                      (c < header.size() ? " (\"" + header[c] + "\")" : "");
            if (!parse_number(cells[c], x))
                throw bad_config(where + ": \"" + cells[c] + "\" is not a number");
            if (!std::isfinite(x))
                throw bad_config(where + ": " + cells[c] + " (NaN or infinite) is not allowed");
            if (static_cast<int>(c) == label) {
                if (x != std::floor(x) || x < 0)
                    throw bad_config(where + ": label " + cells[c] +
                                     " must be a non-negative integer");
                d.labels.push_back(static_cast<std::int32_t>(x));
            } else {
                d.x.push_back(x);
            }
        }
        ++d.samples;
    }
    if (d.samples == 0) throw bad_config(path + ": no data rows");
    d.features = static_cast<std::uint32_t>(columns - (label >= 0 ? 1 : 0));
    if (d.features == 0) throw bad_config(path + ": no feature columns besides the labels");
    return d;
}

std::vector<std::string> embedded_names() {
    return {"iris", "wdbc", "digits"};
}

dataset load_embedded(const std::string& name) {
    const auto names = embedded_names();
    if (std::find(names.begin(), names.end(), name) == names.end())
        throw bad_config("unknown embedded dataset \"" + name + "\"" + did_you_mean(name, names));
    const char* env = std::getenv("NM_DATA_DIR");
    const std::string dir = env && *env ? env : NM_DATA_DIR;
    dataset d = read_csv(dir + "/" + name + ".csv", "label");
    d.name = name;
    if (name == "digits") d.image = {8, 8};
    return d;
}

namespace {

class gz_file {
public:
    explicit gz_file(const std::string& path) : path_(path), f_(gzopen(path.c_str(), "rb")) {
        if (!f_) throw io_error(path + ": cannot open");
    }
    ~gz_file() { gzclose(f_); }
    gz_file(const gz_file&) = delete;
    gz_file& operator=(const gz_file&) = delete;

    void read(void* into, std::size_t bytes, const char* what) {
        auto* p = static_cast<char*>(into);
        while (bytes > 0) {
            const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(bytes, 1u << 30));
            const int got = gzread(f_, p, chunk);
            if (got <= 0) throw io_error(path_ + ": truncated while reading " + what);
            p += got;
            bytes -= static_cast<std::size_t>(got);
        }
    }
    std::uint32_t big_endian_u32(const char* what) {
        unsigned char b[4];
        read(b, 4, what);
        return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
               (std::uint32_t{b[2]} << 8) | b[3];
    }

private:
    std::string path_;
    gzFile f_;
};

// The dimensions of an IDX file of unsigned bytes (type 0x08).
std::vector<std::uint32_t> idx_header(gz_file& f, const std::string& path) {
    const std::uint32_t magic = f.big_endian_u32("the IDX magic number");
    if ((magic >> 16) != 0 || ((magic >> 8) & 0xFF) != 0x08 || (magic & 0xFF) == 0)
        throw io_error(path + ": not an IDX file of unsigned bytes (magic 0x" + [&] {
            char b[16];
            std::snprintf(b, sizeof b, "%08x", magic);
            return std::string(b);
        }() + ")");
    std::vector<std::uint32_t> dims(magic & 0xFF);
    for (auto& d : dims) d = f.big_endian_u32("the IDX dimensions");
    return dims;
}

} // namespace

dataset read_idx(const std::string& images, const std::string& labels) {
    dataset d;
    d.name = images;
    gz_file f(images);
    const std::vector<std::uint32_t> dims = idx_header(f, images);
    d.samples = dims[0];
    if (dims.size() == 3) d.image = {dims[1], dims[2]};
    d.features = 1;
    for (std::size_t i = 1; i < dims.size(); ++i) d.features *= dims[i];
    std::vector<unsigned char> bytes(std::size_t{d.samples} * d.features);
    f.read(bytes.data(), bytes.size(), "the images");
    d.x.assign(bytes.begin(), bytes.end());
    if (!labels.empty()) {
        gz_file g(labels);
        const std::vector<std::uint32_t> ldims = idx_header(g, labels);
        if (ldims.size() != 1 || ldims[0] != d.samples)
            throw io_error(labels + ": " + std::to_string(ldims.empty() ? 0 : ldims[0]) +
                           " labels for " + std::to_string(d.samples) + " images in " + images);
        std::vector<unsigned char> l(d.samples);
        g.read(l.data(), l.size(), "the labels");
        d.labels.assign(l.begin(), l.end());
    }
    return d;
}

std::vector<std::pair<double, double>> normalize(dataset& d) {
    std::vector<std::pair<double, double>> range(d.features, {INFINITY, -INFINITY});
    for (std::uint32_t i = 0; i < d.samples; ++i)
        for (std::uint32_t f = 0; f < d.features; ++f) {
            const double x = d.at(i, f);
            range[f].first = std::min(range[f].first, x);
            range[f].second = std::max(range[f].second, x);
        }
    for (std::uint32_t i = 0; i < d.samples; ++i)
        for (std::uint32_t f = 0; f < d.features; ++f) {
            double& x = d.x[std::size_t{i} * d.features + f];
            const auto [lo, hi] = range[f];
            x = hi > lo ? (x - lo) / (hi - lo) : 0.0;
        }
    return range;
}

} // namespace nm
