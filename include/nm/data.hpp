// Datasets: numeric CSV files, the embedded sets in data/, and IDX files (MNIST, Fashion-MNIST;
// gzipped or not). One reader for the simulator, the encoders and training.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nm {

struct dataset {
    std::string name;
    std::uint32_t samples = 0, features = 0;
    std::vector<double> x;            // samples × features, row-major
    std::vector<std::int32_t> labels; // one per sample, or empty
    std::vector<std::string> feature_names;
    std::vector<std::uint32_t> image; // (height, width) when the samples are images, else empty

    double at(std::uint32_t sample, std::uint32_t feature) const {
        return x[std::size_t{sample} * features + feature];
    }
};

// A numeric CSV; an optional first line of names; `label_column` names the column holding
// integer class labels ("" = none, "last" = the last column). Errors name file, line, column.
dataset read_csv(const std::string& path, const std::string& label_column = "");

// iris, wdbc or digits from the data/ folder (NM_DATA_DIR overrides where it is).
dataset load_embedded(const std::string& name);
std::vector<std::string> embedded_names();

// IDX images (uint8, any rank >= 1 after the count) with an optional IDX label file.
dataset read_idx(const std::string& images, const std::string& labels = "");

// Rescales each feature to [0, 1] by its minimum and maximum over the samples (a constant
// feature becomes 0). Returns the (min, max) pairs used.
std::vector<std::pair<double, double>> normalize(dataset& d);

} // namespace nm
