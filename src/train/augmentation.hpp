// Random transforms of training images, as torchvision's RandomHorizontalFlip and RandomCrop
// with zero padding: a mirror image with probability 1/2 and a translation by up to `shift`
// pixels each way, drawn per sample key from a Philox stream (the same for any thread count).
// NM_HD: the CUDA trainer transforms its resident samples with the same draws.
#pragma once

#include "core/hd.hpp"
#include "core/philox.hpp"

#include <cstdint>

namespace nm::train {

struct augmentation {
    bool flip = false;
    std::uint32_t shift = 0;
    std::uint32_t channels = 1, height = 0, width = 0; // of the samples' features
    rng_stream rng;
    NM_HD bool active() const { return flip || shift > 0; }
};

// The transform sample `key` draws: mirrored or not, and its translation.
struct image_transform {
    bool mirror = false;
    std::int64_t dy = 0, dx = 0;
};

NM_HD image_transform transform_of(const augmentation& a, std::uint32_t key) {
    const philox_block b = a.rng.block(key, 0);
    const std::int64_t span = 2 * std::int64_t{a.shift} + 1;
    image_transform t;
    t.mirror = a.flip && (b.w[0] & 1u);
    t.dy = a.shift ? std::int64_t{b.w[1] % span} - a.shift : 0;
    t.dx = a.shift ? std::int64_t{b.w[2] % span} - a.shift : 0;
    return t;
}

// Where feature e of the transformed image comes from in the original: its index, or −1 where
// the translation brings in padding.
NM_HD std::int64_t source_of(const augmentation& a, const image_transform& t, std::int64_t e) {
    const std::int64_t h = a.height, w = a.width;
    const std::int64_t c = e / (h * w), y = e / w % h, x = e % w;
    const std::int64_t sy = y - t.dy, sx0 = x - t.dx, sx = t.mirror ? w - 1 - sx0 : sx0;
    const bool inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
    return inside ? (c * h + sy) * w + sx : -1;
}

} // namespace nm::train
