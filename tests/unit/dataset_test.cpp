// Dataset readers: the embedded sets, CSV errors located by line and column, IDX files (plain
// and gzipped), and min-max normalisation.
#include "scratch.hpp"
#include <nm/data.hpp>
#include <nm/errors.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <zlib.h>

namespace nm {
namespace {

namespace fs = std::filesystem;

fs::path scratch_file(const std::string& name, const std::string& text) {
    const fs::path p = test::scratch_path(name);
    std::ofstream(p) << text;
    return p;
}

std::string csv_error(const std::string& text, const std::string& label = "") {
    try {
        read_csv(scratch_file("bad.csv", text).string(), label);
    } catch (const nm::error& e) {
        return e.what();
    }
    return "";
}

TEST(datasets, embedded_sets_have_their_published_shapes) {
    const dataset iris = load_embedded("iris");
    EXPECT_EQ(iris.samples, 150u);
    EXPECT_EQ(iris.features, 4u);
    EXPECT_EQ(*std::max_element(iris.labels.begin(), iris.labels.end()), 2);
    EXPECT_DOUBLE_EQ(iris.at(0, 0), 5.1);
    const dataset wdbc = load_embedded("wdbc");
    EXPECT_EQ(wdbc.samples, 569u);
    EXPECT_EQ(wdbc.features, 30u);
    EXPECT_EQ(std::count(wdbc.labels.begin(), wdbc.labels.end(), 0), 212); // malignant
    const dataset digits = load_embedded("digits");
    EXPECT_EQ(digits.samples, 1797u);
    EXPECT_EQ(digits.features, 64u);
    EXPECT_EQ(digits.feature_names.size(), 64u);
    EXPECT_THROW(load_embedded("mnist"), nm::error);
}

TEST(datasets, csv_errors_name_line_and_column) {
    EXPECT_NE(csv_error("a,b\n1,2\n3\n").find(":3: 1 columns; the file's first line has 2"),
              std::string::npos);
    EXPECT_NE(csv_error("a,b\n1,nan\n").find(":2: column 2 (\"b\"): nan (NaN or infinite)"),
              std::string::npos);
    EXPECT_NE(csv_error("1,2\n1,x\n").find(":2: column 2: \"x\" is not a number"),
              std::string::npos);
    EXPECT_NE(csv_error("a,b\n1,2\n", "lable").find("no column named \"lable\""),
              std::string::npos);
    EXPECT_NE(
        csv_error("a,label\n1,2.5\n", "label").find("label 2.5 must be a non-negative integer"),
        std::string::npos);
    EXPECT_NE(csv_error("a,b\n").find("no data rows"), std::string::npos);
    EXPECT_THROW(read_csv("/nonexistent.csv"), nm::io_error);
}

TEST(datasets, csv_without_header_and_label_last) {
    const dataset d = read_csv(scratch_file("ok.csv", "1,2,0\n3,4,1\n\n5,6,1\n").string(), "last");
    EXPECT_EQ(d.samples, 3u);
    EXPECT_EQ(d.features, 2u);
    EXPECT_EQ(d.labels, (std::vector<std::int32_t>{0, 1, 1}));
    EXPECT_DOUBLE_EQ(d.at(2, 1), 6.0);
}

void write_idx(const fs::path& p, std::uint32_t magic, std::vector<std::uint32_t> dims,
               const std::vector<unsigned char>& data, bool gz) {
    std::string bytes;
    auto u32 = [&](std::uint32_t x) {
        for (int s = 24; s >= 0; s -= 8) bytes.push_back(static_cast<char>((x >> s) & 0xFF));
    };
    u32(magic);
    for (auto d : dims) u32(d);
    bytes.append(data.begin(), data.end());
    if (gz) {
        gzFile f = gzopen(p.c_str(), "wb");
        gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
        gzclose(f);
    } else {
        std::ofstream(p, std::ios::binary) << bytes;
    }
}

TEST(datasets, idx_images_and_labels_plain_and_gzipped) {
    const std::vector<unsigned char> pixels{0, 10, 20, 30, 40, 50, 60, 70, 255, 1, 2, 3};
    for (bool gz : {false, true}) {
        const fs::path images = test::scratch_path(gz ? "i.idx.gz" : "i.idx");
        const fs::path labels = test::scratch_path(gz ? "l.idx.gz" : "l.idx");
        write_idx(images, 0x00000803, {3, 2, 2}, pixels, gz);
        write_idx(labels, 0x00000801, {3}, {7, 1, 9}, gz);
        const dataset d = read_idx(images.string(), labels.string());
        EXPECT_EQ(d.samples, 3u);
        EXPECT_EQ(d.features, 4u);
        EXPECT_DOUBLE_EQ(d.at(2, 0), 255.0);
        EXPECT_EQ(d.labels, (std::vector<std::int32_t>{7, 1, 9}));
        write_idx(labels, 0x00000801, {2}, {7, 1}, gz);
        EXPECT_THROW(read_idx(images.string(), labels.string()), nm::io_error);
        write_idx(images, 0x00000D03, {3, 2, 2}, pixels, gz); // floats, not bytes
        EXPECT_THROW(read_idx(images.string()), nm::io_error);
    }
}

TEST(datasets, normalize_maps_each_feature_to_unit_range) {
    dataset d;
    d.samples = 3;
    d.features = 2;
    d.x = {1, 5, 3, 5, 5, 5};
    const auto range = normalize(d);
    EXPECT_EQ(d.x, (std::vector<double>{0, 0, 0.5, 0, 1, 0}));
    EXPECT_EQ(range[0], (std::pair<double, double>{1, 5}));
}

} // namespace
} // namespace nm

namespace nm {
namespace {

TEST(datasets, fashion_mnist_test_set_when_installed) {
    const std::string dir = "/usr/share/datasets/fashion-mnist/";
    if (!fs::exists(dir + "t10k-images-idx3-ubyte.gz"))
        GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed ("
                        "scripts/install-deps.sh)";
    const dataset d =
        read_idx(dir + "t10k-images-idx3-ubyte.gz", dir + "t10k-labels-idx1-ubyte.gz");
    EXPECT_EQ(d.samples, 10000u);
    EXPECT_EQ(d.features, 784u);
    for (int c = 0; c < 10; ++c)
        EXPECT_EQ(std::count(d.labels.begin(), d.labels.end(), c), 1000) << c;
    EXPECT_EQ(*std::max_element(d.x.begin(), d.x.end()), 255.0);
}

} // namespace
} // namespace nm
