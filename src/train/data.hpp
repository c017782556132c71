// Training data: a dataset split into train / validation / test, normalised with the training
// split's ranges, and batches encoded into [T][B][channels] inputs by any spike code.
#pragma once

#include "coding/codec.hpp"
#include "nm/data.hpp"
#include "nm/train.hpp"
#include "train/augmentation.hpp"
#include "train/image_shape.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace nm::train {

struct data_split {
    dataset train, validation, test;
    int classes = 0;
};

data_split load_split(const data_spec& spec, std::uint64_t seed);

// A seeded shuffle of 0..n-1: indices sorted by their Philox block (i, round) of `rng`, the same
// for any platform or thread count. Splits use round 0; training epochs use the epoch number.
std::vector<std::uint32_t> seeded_order(std::uint32_t n, const rng_stream& rng,
                                        std::uint32_t round);

// The input code of a run: scheme, parameters (dt defaults to 1 ms), channels per sample.
struct input_code {
    coding::scheme scheme = coding::scheme::direct;
    coding::code_params params;
    std::uint32_t channels = 0, steps = 0;
    rng_stream rng;
};

input_code make_input_code(const train_spec& spec, std::uint32_t features);

// The input as images (C, H, W): [data] shape, else the dataset's own image shape when the code
// keeps one channel per feature, else a flat vector.
image_shape input_shape(const train_spec& s, const dataset& d, const input_code& code);

// The [data] flip and shift of a run on `d`; a clear error when they ask for images and the
// samples are not images (no image shape in the dataset or [data] shape).
augmentation make_augmentation(const data_spec& spec, const dataset& d, std::uint64_t seed);

// Writes the transformed `image` of sample `key` into `out` (same size).
void augment_image(const augmentation& a, std::span<const double> image, std::uint32_t key,
                   std::span<double> out);

// Encodes samples rows[0..B) of `d` into x [T][B][channels]; `key` makes the code's randomness
// differ between epochs (it is added to the row index as the sample key), and so do the
// transforms of `aug` when given. Rows are encoded on the training pool (parallel.hpp).
template<class Real>
void encode_batch(const input_code& code, const dataset& d, const std::vector<std::uint32_t>& rows,
                  std::uint64_t key, std::vector<Real>& x, const augmentation* aug = nullptr);

} // namespace nm::train
