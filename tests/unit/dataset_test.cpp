// Dataset readers: the embedded sets, CSV errors located by line and column, IDX files (plain
// and gzipped), min-max normalisation, and the training images' random flips and shifts.
#include "scratch.hpp"
#include "train/data.hpp"

#include <nm/data.hpp>
#include <nm/errors.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

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

// A 2-channel 5x6 image of distinct values: every transformed image must be the original,
// mirrored or not, translated by some (dy, dx) within the shift with zeros shifted in; over many
// samples both mirrorings and every translation appear.
TEST(augmentation, flips_and_shifts_are_exact_translations_of_the_image) {
    dataset d;
    d.name = "pattern";
    d.features = 2 * 5 * 6;
    d.samples = 1;
    d.image = {5, 6};
    for (std::uint32_t i = 0; i < d.features; ++i) d.x.push_back(1.0 + i);
    data_spec spec;
    spec.flip = true;
    spec.shift = 2;
    const train::augmentation a = train::make_augmentation(spec, d, 7);
    ASSERT_EQ(a.channels, 2u);
    auto transformed = [&](bool mirror, int dy, int dx) {
        std::vector<double> out(d.features);
        for (int c = 0; c < 2; ++c)
            for (int y = 0; y < 5; ++y)
                for (int x = 0; x < 6; ++x) {
                    const int sy = y - dy, sx = mirror ? 5 - (x - dx) : x - dx;
                    out[(c * 5 + y) * 6 + x] =
                        sy >= 0 && sy < 5 && sx >= 0 && sx < 6 ? d.x[(c * 5 + sy) * 6 + sx] : 0;
                }
        return out;
    };
    std::set<std::tuple<bool, int, int>> seen;
    std::vector<double> out(d.features);
    for (std::uint32_t key = 0; key < 2000; ++key) {
        train::augment_image(a, d.x, key, out);
        int matches = 0;
        for (bool mirror : {false, true})
            for (int dy = -2; dy <= 2; ++dy)
                for (int dx = -2; dx <= 2; ++dx)
                    if (transformed(mirror, dy, dx) == out) {
                        ++matches;
                        seen.insert({mirror, dy, dx});
                    }
        ASSERT_EQ(matches, 1) << "sample key " << key;
    }
    EXPECT_EQ(seen.size(), 50u);
    std::vector<double> again(d.features);
    train::augment_image(a, d.x, 1234, out);
    train::augment_image(a, d.x, 1234, again);
    EXPECT_EQ(out, again);
}

TEST(augmentation, needs_images_and_a_shift_smaller_than_them) {
    const dataset iris = load_embedded("iris");
    auto error_of = [](const data_spec& spec, const dataset& d) {
        try {
            train::make_augmentation(spec, d, 1);
        } catch (const nm::error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    data_spec spec;
    spec.dataset = "iris";
    spec.flip = true;
    EXPECT_NE(error_of(spec, iris).find("\"iris\" has no image shape matching its 4 features"),
              std::string::npos);
    spec.shape = {1, 2, 2};
    EXPECT_EQ(error_of(spec, iris), "");
    spec.shift = 2;
    EXPECT_NE(error_of(spec, iris).find("shift = 2 must be smaller than the image (2x2)"),
              std::string::npos);
    spec.flip = false;
    spec.shift = 0;
    spec.shape.clear();
    EXPECT_FALSE(train::make_augmentation(spec, iris, 1).active());
}

} // namespace
} // namespace nm
