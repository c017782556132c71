// Loading, splitting, normalising and encoding training data.
#include "train/data.hpp"

#include "core/bind.hpp"
#include "nm/errors.hpp"
#include "train/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numeric>

namespace nm::train {

namespace {

dataset take(const dataset& d, const std::vector<std::uint32_t>& rows) {
    dataset out;
    out.name = d.name;
    out.features = d.features;
    out.feature_names = d.feature_names;
    out.image = d.image;
    out.samples = static_cast<std::uint32_t>(rows.size());
    out.x.reserve(rows.size() * d.features);
    for (std::uint32_t r : rows) {
        out.x.insert(out.x.end(), d.x.begin() + std::size_t{r} * d.features,
                     d.x.begin() + std::size_t{r + 1} * d.features);
        out.labels.push_back(d.labels[r]);
    }
    return out;
}

// The stream of the train/test split (and Fashion-MNIST's training-set order).
rng_stream split_rng(std::uint64_t seed) {
    return rng_stream(seed, stream_id(purpose::params, 0x5A00u));
}

void truncate(dataset& d, std::uint32_t limit) {
    if (limit == 0 || limit >= d.samples) return;
    d.samples = limit;
    d.x.resize(std::size_t{limit} * d.features);
    d.labels.resize(limit);
}

} // namespace

std::vector<std::uint32_t> seeded_order(std::uint32_t n, const rng_stream& rng,
                                        std::uint32_t round) {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        const philox_block b = rng.block(i, round);
        keyed[i] = {(std::uint64_t{b.w[0]} << 32) | b.w[1], i};
    }
    std::sort(keyed.begin(), keyed.end());
    std::vector<std::uint32_t> order(n);
    for (std::uint32_t i = 0; i < n; ++i) order[i] = keyed[i].second;
    return order;
}

data_split load_split(const data_spec& spec, std::uint64_t seed) {
    auto fail = [&](const std::string& msg) {
        throw bad_config(located(spec.where, "[data]: " + msg));
    };
    if (!(spec.test_fraction > 0 && spec.test_fraction < 1))
        fail("test_fraction = " + format_number(spec.test_fraction) + " must be in (0, 1)");
    if (!(spec.validation_fraction >= 0 && spec.validation_fraction < 1))
        fail("validation_fraction = " + format_number(spec.validation_fraction) +
             " must be in [0, 1)");
    data_split s;
    if (spec.dataset == "fashion_mnist") {
        const char* env = std::getenv("NM_FASHION_MNIST_DIR");
        const std::string dir =
            std::string(env && *env ? env : "/usr/share/datasets/fashion-mnist") + "/";
        if (!std::filesystem::exists(dir + "train-images-idx3-ubyte.gz"))
            fail("Fashion-MNIST not found in " + dir +
                 "; install it with scripts/install-deps.sh "
                 "(Debian's dataset-fashion-mnist) or set NM_FASHION_MNIST_DIR");
        s.train = read_idx(dir + "train-images-idx3-ubyte.gz", dir + "train-labels-idx1-ubyte.gz");
        s.test = read_idx(dir + "t10k-images-idx3-ubyte.gz", dir + "t10k-labels-idx1-ubyte.gz");
        const std::vector<std::uint32_t> order = seeded_order(s.train.samples, split_rng(seed), 0);
        s.train = take(s.train, order);
    } else {
        const auto names = embedded_names();
        const bool embedded = std::find(names.begin(), names.end(), spec.dataset) != names.end();
        if (!embedded && !std::filesystem::exists(spec.dataset))
            fail("dataset \"" + spec.dataset +
                 "\" is neither fashion_mnist, an embedded set (iris, wdbc, digits) "
                 "nor an existing CSV file");
        const dataset all =
            embedded ? load_embedded(spec.dataset) : read_csv(spec.dataset, spec.label);
        if (all.labels.empty())
            fail("\"" + spec.dataset + "\" has no label column (set label = \"NAME\" or \"last\")");
        const std::vector<std::uint32_t> order = seeded_order(all.samples, split_rng(seed), 0);
        const auto n_test =
            static_cast<std::uint32_t>(std::lround(spec.test_fraction * all.samples));
        if (n_test == 0 || n_test >= all.samples)
            fail("test_fraction leaves no training or no test samples");
        s.test = take(all, std::vector<std::uint32_t>(order.begin(), order.begin() + n_test));
        s.train = take(all, std::vector<std::uint32_t>(order.begin() + n_test, order.end()));
    }
    if (spec.validation_fraction > 0) {
        const auto n_val =
            static_cast<std::uint32_t>(std::lround(spec.validation_fraction * s.train.samples));
        std::vector<std::uint32_t> val(n_val), rest(s.train.samples - n_val);
        std::iota(val.begin(), val.end(), 0u);
        std::iota(rest.begin(), rest.end(), n_val);
        s.validation = take(s.train, val);
        s.train = take(s.train, rest);
    }
    truncate(s.train, spec.limit_train);
    truncate(s.test, spec.limit_test);
    // Normalise every split with the training split's ranges (test values are clamped).
    const auto range = normalize(s.train);
    for (dataset* d : {&s.validation, &s.test})
        for (std::uint32_t i = 0; i < d->samples; ++i)
            for (std::uint32_t f = 0; f < d->features; ++f) {
                double& x = d->x[std::size_t{i} * d->features + f];
                const auto [lo, hi] = range[f];
                x = hi > lo ? std::clamp((x - lo) / (hi - lo), 0.0, 1.0) : 0.0;
            }
    for (const dataset* d : {&s.train, &s.validation, &s.test})
        for (auto l : d->labels) s.classes = std::max(s.classes, l + 1);
    return s;
}

input_code make_input_code(const train_spec& spec, std::uint32_t features) {
    const coding::scheme_info* info = coding::find_scheme(spec.scheme);
    if (!info) {
        std::vector<std::string> names;
        for (const auto& s : coding::schemes()) names.emplace_back(s.name);
        throw bad_config(located(spec.source, "[input] scheme \"" + spec.scheme + "\"" +
                                                  did_you_mean(spec.scheme, names)));
    }
    if (info->id == coding::scheme::delta)
        throw bad_config(located(
            spec.source, "[input] scheme \"delta\" codes time series, not feature vectors"));
    input_code c;
    c.scheme = info->id;
    const std::string context = located(spec.source, "[input] scheme \"" + spec.scheme + "\"");
    c.params = bind_fields(info->fields, spec.code, std::vector<coding::code_params>{{}}, 1,
                           rng_stream{}, context)
                   .front();
    coding::check(c.scheme, c.params, context);
    c.channels = coding::channels_for(c.scheme, c.params, features);
    c.steps = static_cast<std::uint32_t>(c.params.steps);
    c.rng = rng_stream(
        spec.seed, stream_id(purpose::stimulus, 0x7E00u + static_cast<std::uint32_t>(c.scheme)));
    return c;
}

augmentation make_augmentation(const data_spec& spec, const dataset& d, std::uint64_t seed) {
    augmentation a;
    a.flip = spec.flip;
    a.shift = spec.shift;
    if (!a.active()) return a;
    if (spec.shape.size() == 3) {
        a.channels = static_cast<std::uint32_t>(spec.shape[0]);
        a.height = static_cast<std::uint32_t>(spec.shape[1]);
        a.width = static_cast<std::uint32_t>(spec.shape[2]);
    } else if (d.image.size() == 2) {
        a.height = d.image[0];
        a.width = d.image[1];
        a.channels = d.features / std::max(1u, a.height * a.width);
    }
    if (std::uint64_t{a.channels} * a.height * a.width != d.features || a.height == 0)
        throw bad_config(located(
            spec.where, "[data] flip and shift transform images; \"" + spec.dataset +
                            "\" has no image shape matching its " + std::to_string(d.features) +
                            " features (give [data] shape = [C, H, W])"));
    if (a.shift >= std::min(a.height, a.width))
        throw bad_parameter(located(spec.where, "[data] shift = " + std::to_string(a.shift) +
                                                    " must be smaller than the image (" +
                                                    std::to_string(a.height) + "x" +
                                                    std::to_string(a.width) + ")"));
    a.rng = rng_stream(seed, stream_id(purpose::params, 0x5C00u));
    return a;
}

void augment_image(const augmentation& a, std::span<const double> image, std::uint32_t key,
                   std::span<double> out) {
    const image_transform t = transform_of(a, key);
    for (std::size_t e = 0; e < out.size(); ++e) {
        const std::int64_t from = source_of(a, t, static_cast<std::int64_t>(e));
        out[e] = from >= 0 ? image[static_cast<std::size_t>(from)] : 0.0;
    }
}

image_shape input_shape(const train_spec& s, const dataset& d, const input_code& code) {
    if (!s.data.shape.empty()) {
        std::uint64_t n = 1;
        for (auto x : s.data.shape) n *= x;
        if (s.data.shape.size() != 3 || n != code.channels)
            throw bad_config(
                located(s.data.where, "[data] shape must be [channels, height, width] with " +
                                          std::to_string(code.channels) + " values in all"));
        return {s.data.shape[0], s.data.shape[1], s.data.shape[2]};
    }
    if (d.image.size() == 2 && code.channels == d.features) return {1, d.image[0], d.image[1]};
    return {code.channels, 1, 1};
}

template<class Real>
void encode_batch(const input_code& code, const dataset& d, const std::vector<std::uint32_t>& rows,
                  std::uint64_t key, std::vector<Real>& x, const augmentation* aug) {
    const std::size_t batch = rows.size(), width = batch * code.channels;
    const bool dense_rate = coding::rate_is_dense(code.scheme, code.params);
    // The dense rate code writes every entry itself.
    if (dense_rate)
        x.resize(std::size_t{code.steps} * width);
    else
        x.assign(std::size_t{code.steps} * width, Real(0));
    const bool augmented = aug && aug->active();
    auto encode_rows = [&](std::size_t first, std::size_t last) {
        std::vector<double> transformed(augmented ? d.features : 0);
        for (std::size_t b = first; b < last; ++b) {
            std::span<const double> values(d.x.data() + std::size_t{rows[b]} * d.features,
                                           d.features);
            if (augmented) {
                augment_image(*aug, values, static_cast<std::uint32_t>(rows[b] + key), transformed);
                values = transformed;
            }
            if (code.scheme == coding::scheme::direct) { // the values as currents at every step
                for (std::uint32_t t = 0; t < code.steps; ++t)
                    for (std::uint32_t c = 0; c < code.channels; ++c)
                        x[t * width + b * code.channels + c] = static_cast<Real>(values[c]);
                continue;
            }
            const auto sample = static_cast<std::uint32_t>(rows[b] + key);
            if (dense_rate) {
                coding::rate_dense(code.params, values, code.rng, sample,
                                   x.data() + b * code.channels, width);
                continue;
            }
            const spike_raster r =
                coding::encode(code.scheme, code.params, values, code.rng, sample);
            for (std::uint32_t t = 0; t < r.steps; ++t)
                for (std::uint64_t e = r.offsets[t]; e < r.offsets[t + 1]; ++e)
                    x[t * width + b * code.channels + r.channel[e]] = static_cast<Real>(r.count[e]);
        }
    };
    // Copying direct currents is cheaper than waking the pool.
    if (code.scheme == coding::scheme::direct && !augmented)
        encode_rows(0, batch);
    else
        parallel_slices(batch, 1, encode_rows);
}

template void encode_batch<float>(const input_code&, const dataset&,
                                  const std::vector<std::uint32_t>&, std::uint64_t,
                                  std::vector<float>&, const augmentation*);
template void encode_batch<double>(const input_code&, const dataset&,
                                   const std::vector<std::uint32_t>&, std::uint64_t,
                                   std::vector<double>&, const augmentation*);

} // namespace nm::train
