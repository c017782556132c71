#include "train/spike_matrix.hpp"

#include "core/vector_clones.hpp"
#include "train/compact.hpp"
#include "train/parallel.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace nm::train {
namespace {

// 32 columns are two AVX-512 registers of sums per output row; 256 rows of them are 32 KiB, a
// block of the dense operand that stays in L1 while every event of the block reads it. Wider
// panels (64 columns) measured two times slower: their copy no longer fits in L1.
constexpr std::size_t panel = 32, max_block = 256;

// n rows of the dense operand in equal blocks of at most 256 (an event's index in its block is
// one byte); equal, so that no block is left with a handful of events per row.
struct blocking {
    std::size_t count, size;
    explicit blocking(std::size_t n)
        : count((n + max_block - 1) / max_block), size(count == 0 ? 1 : (n + count - 1) / count) {}
};
using lanes = float __attribute__((vector_size(64)));
constexpr std::size_t vectors = panel / 16;

// acc += the rows list[first .. last) of a panel copy, in two chains of additions so that each
// addition's latency hides behind the other chain's loads.
inline __attribute__((always_inline)) void sum_rows(const std::uint8_t* list, std::uint32_t first,
                                                    std::uint32_t last, const float* rows,
                                                    lanes* acc) {
    lanes a[vectors] = {}, b[vectors] = {};
    std::uint32_t e = first;
    for (; e + 1 < last; e += 2) {
        const float* p = rows + std::size_t{list[e]} * panel;
        const float* q = rows + std::size_t{list[e + 1]} * panel;
        for (std::size_t k = 0; k < vectors; ++k) {
            lanes x, y;
            std::memcpy(&x, p + 16 * k, sizeof x);
            std::memcpy(&y, q + 16 * k, sizeof y);
            a[k] += x;
            b[k] += y;
        }
    }
    if (e < last)
        for (std::size_t k = 0; k < vectors; ++k) {
            lanes x;
            std::memcpy(&x, rows + std::size_t{list[e]} * panel + 16 * k, sizeof x);
            a[k] += x;
        }
    for (std::size_t k = 0; k < vectors; ++k) acc[k] += a[k] + b[k];
}

// Rows [first, last) of the columns [c0, c0 + width) of m (row stride `stride`) into a
// contiguous copy, zero past `width`.
inline __attribute__((always_inline)) void copy_panel(const float* m, std::size_t stride, std::size_t first, std::size_t last,
                std::size_t c0, std::size_t width, float* out) {
    if (width == panel) // a fixed size: two vector moves, not a string copy
        for (std::size_t r = first; r < last; ++r)
            std::memcpy(out + (r - first) * panel, m + r * stride + c0, panel * sizeof(float));
    else
        for (std::size_t r = first; r < last; ++r) {
            float* row = out + (r - first) * panel;
            std::memcpy(row, m + r * stride + c0, width * sizeof(float));
            std::fill(row + width, row + panel, 0.0f);
        }
}

// The sums of an output row segment; the last panel may be narrower.
inline __attribute__((always_inline)) void load(const float* from, std::size_t width, lanes* acc) {
    if (width == panel) return std::memcpy(acc, from, panel * sizeof(float)), void();
    float row[panel] = {};
    std::memcpy(row, from, width * sizeof(float));
    std::memcpy(acc, row, sizeof row);
}
inline __attribute__((always_inline)) void store(const lanes* acc, std::size_t width, float* to) {
    if (width == panel) return std::memcpy(to, acc, panel * sizeof(float)), void();
    float row[panel];
    std::memcpy(row, acc, sizeof row);
    std::memcpy(to, row, width * sizeof(float));
}

struct shape {
    std::size_t rows, inputs, outputs;
};

// Panels [p0, p1) of y = X·w + bias; starts[r·blocks + j] opens row r's events in input block j.
NM_WIDE_VECTOR_CLONES void times_panels(const std::uint8_t* events, const std::uint32_t* starts,
                                        shape s, const float* w, const float* bias, float* y,
                                        std::size_t p0, std::size_t p1) {
    thread_local std::vector<float> copy;
    copy.resize(max_block * panel);
    const blocking blocks(s.inputs);
    for (std::size_t p = p0; p < p1; ++p) {
        const std::size_t c0 = p * panel, width = std::min(panel, s.outputs - c0);
        for (std::size_t j = 0; j < blocks.count; ++j) {
            copy_panel(w, s.outputs, j * blocks.size, std::min(s.inputs, (j + 1) * blocks.size),
                       c0, width, copy.data());
            for (std::size_t r = 0; r < s.rows; ++r) {
                lanes acc[vectors] = {};
                float* out = y + r * s.outputs + c0;
                if (j > 0)
                    load(out, width, acc);
                else if (bias)
                    load(bias + c0, width, acc);
                const std::size_t g = r * blocks.count + j;
                sum_rows(events, starts[g], starts[g + 1], copy.data(), acc);
                store(acc, width, out);
            }
        }
    }
}

// Panels [p0, p1) of gw += Xᵀ·g; starts[j·inputs + i] opens input i's events in row block j.
NM_WIDE_VECTOR_CLONES void transposed_panels(const std::uint8_t* events,
                                             const std::uint32_t* starts, shape s, const float* g,
                                             float* gw, std::size_t p0, std::size_t p1) {
    thread_local std::vector<float> copy;
    copy.resize(max_block * panel);
    const blocking blocks(s.rows);
    for (std::size_t p = p0; p < p1; ++p) {
        const std::size_t c0 = p * panel, width = std::min(panel, s.outputs - c0);
        for (std::size_t j = 0; j < blocks.count; ++j) {
            copy_panel(g, s.outputs, j * blocks.size, std::min(s.rows, (j + 1) * blocks.size), c0,
                       width, copy.data());
            for (std::size_t i = 0; i < s.inputs; ++i) {
                lanes acc[vectors];
                float* out = gw + i * s.outputs + c0;
                load(out, width, acc);
                const std::size_t k = j * s.inputs + i;
                sum_rows(events, starts[k], starts[k + 1], copy.data(), acc);
                store(acc, width, out);
            }
        }
    }
}

} // namespace

bool spike_matrix::keep(const float* x, std::size_t rows, std::size_t inputs) {
    rows_ = rows;
    inputs_ = inputs;
    words_ = (inputs + 63) / 64;
    bits_.resize(rows * words_);
    ones_ = 0;
    bool binary = true;
    for (std::size_t r = 0; r < rows; ++r)
        binary &= pack_bits(x + r * inputs, inputs, bits_.data() + r * words_);
    for (const std::uint64_t word : bits_) ones_ += static_cast<std::size_t>(std::popcount(word));
    if (!binary) {
        rows_ = inputs_ = ones_ = 0;
        bits_.clear();
    }
    return binary;
}

double spike_matrix::density() const {
    return rows_ * inputs_ == 0 ? 0.0
                                : static_cast<double>(ones_) / static_cast<double>(rows_ * inputs_);
}

void spike_matrix::unpack(float* x) const {
    for (std::size_t r = 0; r < rows_; ++r)
        for (std::size_t i = 0; i < inputs_; ++i)
            x[r * inputs_ + i] =
                static_cast<float>((bits_[r * words_ + i / 64] >> (i % 64)) & 1);
}

// Calls f(row, input) for every one, row by row, inputs ascending.
template<class F>
void for_each_one(const std::vector<std::uint64_t>& bits, std::size_t rows, std::size_t words,
                  F&& f) {
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t w = 0; w < words; ++w)
            for (std::uint64_t word = bits[r * words + w]; word != 0; word &= word - 1)
                f(r, w * 64 + static_cast<std::size_t>(std::countr_zero(word)));
}

void spike_matrix::list_inputs_by_row() {
    const blocking blocks(inputs_);
    events_.resize(ones_);
    starts_.assign(rows_ * blocks.count + 1, 0);
    place_.resize(inputs_); // input i's block and its index there, without a division per event
    for (std::size_t i = 0; i < inputs_; ++i)
        place_[i] = static_cast<std::uint32_t>(i / blocks.size << 8 | i % blocks.size);
    std::size_t n = 0;
    for_each_one(bits_, rows_, words_, [&](std::size_t r, std::size_t i) {
        ++starts_[r * blocks.count + (place_[i] >> 8) + 1];
        events_[n++] = static_cast<std::uint8_t>(place_[i] & 0xFF);
    });
    for (std::size_t g = 1; g < starts_.size(); ++g) starts_[g] += starts_[g - 1];
}

void spike_matrix::list_rows_by_input() {
    const blocking blocks(rows_);
    events_.resize(ones_);
    starts_.assign(blocks.count * inputs_ + 1, 0);
    for_each_one(bits_, rows_, words_, [&](std::size_t r, std::size_t i) {
        ++starts_[r / blocks.size * inputs_ + i + 1];
    });
    for (std::size_t g = 1; g < starts_.size(); ++g) starts_[g] += starts_[g - 1];
    cursor_.assign(starts_.begin(), starts_.end() - 1);
    for_each_one(bits_, rows_, words_, [&](std::size_t r, std::size_t i) {
        events_[cursor_[r / blocks.size * inputs_ + i]++] =
            static_cast<std::uint8_t>(r % blocks.size);
    });
}

void spike_matrix::times(const float* w, const float* bias, std::size_t outputs, float* y) {
    list_inputs_by_row();
    const shape s{rows_, inputs_, outputs};
    parallel_slices((outputs + panel - 1) / panel, 1, [&](std::size_t p0, std::size_t p1) {
        times_panels(events_.data(), starts_.data(), s, w, bias, y, p0, p1);
    });
}

void spike_matrix::add_transposed_times(const float* g, std::size_t outputs, float* gw) {
    list_rows_by_input();
    const shape s{rows_, inputs_, outputs};
    parallel_slices((outputs + panel - 1) / panel, 1, [&](std::size_t p0, std::size_t p1) {
        transposed_panels(events_.data(), starts_.data(), s, g, gw, p0, p1);
    });
}

} // namespace nm::train
