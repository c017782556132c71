#include "train/compact.hpp"

#include "core/vector_clones.hpp"

namespace nm::train {

// Eight bits at a time: GCC turns each byte's loop into vector compares, not the 64-bit one.
NM_WIDE_VECTOR_CLONES bool pack_bits(const float* x, std::size_t n, std::uint64_t* words) {
    unsigned other = 0;
    std::size_t w = 0;
    for (; (w + 1) * 64 <= n; ++w) {
        const float* v = x + w * 64;
        std::uint64_t word = 0;
        for (std::size_t c = 0; c < 8; ++c) {
            std::uint32_t byte = 0;
            for (std::size_t b = 0; b < 8; ++b) {
                const float f = v[c * 8 + b];
                byte |= static_cast<std::uint32_t>(f != 0) << b;
                other |= static_cast<unsigned>(f != 0 && f != 1);
            }
            word |= static_cast<std::uint64_t>(byte) << (8 * c);
        }
        words[w] = word;
    }
    if (w * 64 < n) {
        std::uint64_t word = 0;
        for (std::size_t b = 0; w * 64 + b < n; ++b) {
            const float f = x[w * 64 + b];
            word |= static_cast<std::uint64_t>(f != 0) << b;
            other |= static_cast<unsigned>(f != 0 && f != 1);
        }
        words[w] = word;
    }
    return other == 0;
}

} // namespace nm::train
