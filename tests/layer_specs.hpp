// Layer specs of training networks built in code, for the training tests (CPU and GPU).
#pragma once

#include <nm/train.hpp>

#include <cstdint>
#include <string>

namespace nm::test {

inline layer_spec conv_layer(std::uint64_t channels, std::uint64_t kernel, std::uint64_t stride = 1,
                             std::uint64_t padding = 0, double init_gain = 2.0) {
    layer_spec s;
    s.kind = "conv2d";
    s.channels = channels;
    s.kernel = kernel;
    s.stride = stride;
    s.padding = padding;
    s.init_gain = init_gain;
    return s;
}

inline layer_spec pool_layer(const std::string& kind, std::uint64_t kernel) {
    layer_spec s;
    s.kind = kind;
    s.kernel = kernel;
    return s;
}

// A layer of `kind` with one number set: a neuron layer (none), dropout (p), scale (factor) or
// a residual add (from).
inline layer_spec layer_of(const std::string& kind, double number = 0) {
    layer_spec s;
    s.kind = kind;
    if (kind == "dropout") s.p = number;
    if (kind == "scale") s.factor = number;
    if (kind == "add") s.from = static_cast<std::uint64_t>(number);
    return s;
}

inline layer_spec dense_layer(std::uint64_t size, bool bias = true) {
    layer_spec s;
    s.kind = bias ? "dense" : "linear";
    s.size = size;
    s.init_gain = 2.0;
    return s;
}

} // namespace nm::test
