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

// Rows [first, last) of the columns [c0, c0 + width) of m (row stride `stride`; 0 repeats one
// row) into a contiguous copy, zero past `width`.
inline __attribute__((always_inline)) void copy_panel(const float* m, std::size_t stride,
                                                      std::size_t first, std::size_t last,
                                                      std::size_t c0, std::size_t width,
                                                      float* out) {
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

// This thread's scratch of n floats aligned to cache lines, one buffer per use (0: the copy of
// a block of the operand, 1: the sums of a panel). Aligned, a panel row is exactly two lines;
// unaligned, every 64-byte load straddled two and the loops ran 1.3x slower.
float* scratch(int use, std::size_t n) {
    struct alignas(64) line {
        float values[16];
    };
    thread_local std::vector<line> buffers[2];
    std::vector<line>& b = buffers[use];
    if (b.size() * 16 < n) b.resize((n + 15) / 16);
    return b.front().values;
}

// out [out_rows × outputs] = init + the sums of the operand's rows picked by each output row's
// events, in groups by block of 256 operand rows: group (o, j) = o·by_row + j·by_block. `init`
// is a row for all (init_stride 0: the bias), the output itself, or null for zeros.
struct event_product {
    const std::uint8_t* events;
    const std::uint32_t* starts;
    std::size_t by_row, by_block;
    const float* operand;
    std::size_t operand_rows;
    const float* init;
    std::size_t init_stride;
    float* out;
    std::size_t out_rows, outputs;
};

// Panels [p0, p1) of the product: each panel's sums stay in an aligned contiguous buffer (the
// output's own rows, 4 KiB apart, would fall into the same few cache sets) while the blocks
// of the operand pass through L1.
NM_WIDE_VECTOR_CLONES void sum_panels(const event_product& e, std::size_t p0, std::size_t p1) {
    float* const copy = scratch(0, max_block * panel);
    float* const sums = scratch(1, e.out_rows * panel);
    const blocking blocks(e.operand_rows);
    for (std::size_t p = p0; p < p1; ++p) {
        const std::size_t c0 = p * panel, width = std::min(panel, e.outputs - c0);
        if (e.init)
            copy_panel(e.init, e.init_stride, 0, e.out_rows, c0, width, sums);
        else
            std::fill(sums, sums + e.out_rows * panel, 0.0f);
        for (std::size_t j = 0; j < blocks.count; ++j) {
            copy_panel(e.operand, e.outputs, j * blocks.size,
                       std::min(e.operand_rows, (j + 1) * blocks.size), c0, width, copy);
            for (std::size_t o = 0; o < e.out_rows; ++o) {
                lanes acc[vectors];
                std::memcpy(acc, sums + o * panel, sizeof acc);
                const std::size_t g = o * e.by_row + j * e.by_block;
                sum_rows(e.events, e.starts[g], e.starts[g + 1], copy, acc);
                std::memcpy(sums + o * panel, acc, sizeof acc);
            }
        }
        for (std::size_t o = 0; o < e.out_rows; ++o)
            std::memcpy(e.out + o * e.outputs + c0, sums + o * panel, width * sizeof(float));
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
            x[r * inputs_ + i] = static_cast<float>((bits_[r * words_ + i / 64] >> (i % 64)) & 1);
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

// Ones among bits [first, last) of a row.
std::size_t count_ones(const std::uint64_t* row, std::size_t first, std::size_t last) {
    std::size_t n = 0;
    for (std::size_t w = first / 64; w * 64 < last; ++w) {
        std::uint64_t word = row[w];
        if (w * 64 < first) word &= ~std::uint64_t{0} << (first % 64);
        if (last < (w + 1) * 64) word &= ~(~std::uint64_t{0} << (last % 64));
        n += static_cast<std::size_t>(std::popcount(word));
    }
    return n;
}

void spike_matrix::list_inputs_by_row() {
    const blocking blocks(inputs_);
    events_.resize(ones_);
    starts_.resize(rows_ * blocks.count + 1);
    // Group starts from counts per block (a counter bumped per event made every event wait for
    // the previous one's store), the events as each input's index in its block.
    std::size_t n = 0;
    for (std::size_t r = 0; r < rows_; ++r)
        for (std::size_t j = 0; j < blocks.count; ++j) {
            starts_[r * blocks.count + j] = static_cast<std::uint32_t>(n);
            n += count_ones(bits_.data() + r * words_, j * blocks.size,
                            std::min(inputs_, (j + 1) * blocks.size));
        }
    starts_.back() = static_cast<std::uint32_t>(n);
    place_.resize(inputs_);
    for (std::size_t i = 0; i < inputs_; ++i)
        place_[i] = static_cast<std::uint32_t>(i % blocks.size);
    n = 0;
    for_each_one(bits_, rows_, words_, [&](std::size_t, std::size_t i) {
        events_[n++] = static_cast<std::uint8_t>(place_[i]);
    });
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
    const event_product e{
        events_.data(), starts_.data(), blocking(inputs_).count, 1, w, inputs_, bias, 0, y,
        rows_,          outputs};
    parallel_slices((outputs + panel - 1) / panel, 1,
                    [&](std::size_t p0, std::size_t p1) { sum_panels(e, p0, p1); });
}

void spike_matrix::add_transposed_times(const float* g, std::size_t outputs, float* gw) {
    list_rows_by_input();
    const event_product e{events_.data(), starts_.data(), 1, inputs_, g, rows_, gw, outputs, gw,
                          inputs_,        outputs};
    parallel_slices((outputs + panel - 1) / panel, 1,
                    [&](std::size_t p0, std::size_t p1) { sum_panels(e, p0, p1); });
}

} // namespace nm::train
