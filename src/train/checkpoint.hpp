// Checkpoints: the training file's text, epochs done, the curve so far, every parameter and the
// optimizer's moments, so that resuming continues the same trajectory. Binary, little-endian:
// "NMCKPT01", then length-prefixed fields (checkpoint.cpp); written atomically.
#pragma once

#include "nm/train.hpp"
#include "train/optimizer.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace nm::train {

struct named_values {
    std::string name;
    std::vector<float> values;
};

struct checkpoint {
    std::string spec_text;
    std::uint32_t epochs_done = 0;
    std::vector<epoch_record> curve;
    std::uint64_t optimizer_steps = 0;
    std::vector<named_values> params, first_moments, second_moments;
};

void write_checkpoint(const std::string& path, const std::string& spec_text,
                      std::uint32_t epochs_done, const std::vector<epoch_record>& curve,
                      std::vector<parameter<float>>& params, optimizer<float>& opt);
checkpoint read_checkpoint(const std::string& path);
// Copies the checkpoint's values into `params` (names and sizes must match) and the optimizer.
void restore(const checkpoint& ck, std::vector<parameter<float>>& params, optimizer<float>& opt);

} // namespace nm::train
