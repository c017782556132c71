// The images convolution and pooling layers read and write, and the shapes those layers give:
// shared by the CPU layers (conv.hpp) and the device plan, so both see the same geometry.
#pragma once

#include <cstddef>

namespace nm::train {

struct image_shape {
    std::size_t channels = 1, height = 1, width = 1;
    std::size_t size() const { return channels * height * width; }
};

// A k×k convolution with this stride and zero padding (the kernel fits the padded input).
inline image_shape conv_output(image_shape in, std::size_t channels, std::size_t kernel,
                               std::size_t stride, std::size_t padding) {
    return {channels, (in.height + 2 * padding - kernel) / stride + 1,
            (in.width + 2 * padding - kernel) / stride + 1};
}

// Non-overlapping k×k pooling: the rows and columns past the last whole window are dropped.
inline image_shape pool_output(image_shape in, std::size_t kernel) {
    return {in.channels, in.height / kernel, in.width / kernel};
}

} // namespace nm::train
