#include "train/spike_matrix.hpp"

#include "core/vector_clones.hpp"
#include "train/compact.hpp"
#include "train/parallel.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace nm::train {
namespace {

// The dense operand's rows are taken in blocks of 64 (one word of bits), each block in 16
// groups of four rows; a group's 16 subset sums are 16 rows of a table. An output row adds one
// table row per nonzero group of four bits instead of one operand row per bit.
constexpr std::size_t panel = 32, block = 64, group = 4, subsets = 1 << group;
constexpr std::size_t entries = block / group * subsets; // table rows per block
// Tables of up to 16 blocks (16 × 256 rows × 128 B = 512 KiB) are built at once, in L2: a
// random table row comes from L2 nearly as fast as from L1 here, and each output row then
// sums its whole list in registers.
constexpr std::size_t chunk_blocks = 16;
using lanes = float __attribute__((vector_size(64)));
constexpr std::size_t vectors = panel / 16;

struct chunking {
    std::size_t count, size; // equal chunks of at most chunk_blocks blocks
    explicit chunking(std::size_t blocks)
        : count((blocks + chunk_blocks - 1) / chunk_blocks),
          size(count == 0 ? 1 : (blocks + count - 1) / count) {}
};

// Row r of the columns [c0, c0 + width) of m (row stride `stride`; 0 repeats one row) into
// `out`, zero past `width`.
inline __attribute__((always_inline)) void load_panel_row(const float* m, std::size_t stride,
                                                          std::size_t r, std::size_t c0,
                                                          std::size_t width, lanes* out) {
    if (width == panel) { // a fixed size: vector moves, not a string copy
        std::memcpy(out, m + r * stride + c0, panel * sizeof(float));
        return;
    }
    float row[panel] = {};
    std::memcpy(row, m + r * stride + c0, width * sizeof(float));
    std::memcpy(out, row, sizeof row);
}

// The operand's rows in the order of the bits: rows are [steps × batch], and the bits of the
// weight gradient's product run sample by sample (one sample's steps side by side, where a
// silent input stays silent: more groups of four are all zero).
struct row_order {
    std::size_t steps, batch;
    std::size_t operator()(std::size_t k) const { return k % steps * batch + k / steps; }
};

// The tables of blocks [j0, j1): row (j - j0)·256 + 16·k + s holds the sum of the rows
// 64·j + 4·k + b (in `order`) of m for every bit b set in s (rows past `rows` are zero).
inline __attribute__((always_inline)) void
build_subset_sums(const float* m, std::size_t stride, std::size_t rows, row_order order,
                  std::size_t j0, std::size_t j1, std::size_t c0, std::size_t width, float* table) {
    // The operand's rows are pages apart, out of the hardware prefetchers' reach.
    constexpr std::size_t ahead = 8;
    for (std::size_t k = j0 * block / group; k < j1 * block / group; ++k) {
        lanes row[group][vectors] = {};
        for (std::size_t b = 0; b < group; ++b) {
            const std::size_t r = k * group + b;
            if (r + ahead < rows) {
                const float* next = m + order(r + ahead) * stride + c0;
                __builtin_prefetch(next);
                __builtin_prefetch(next + panel - 1);
            }
            if (r < rows) load_panel_row(m, stride, order(r), c0, width, row[b]);
        }
        float* const t = table + (k - j0 * block / group) * subsets * panel;
        for (std::size_t s = 0; s < subsets; ++s) {
            lanes sum[vectors] = {};
            for (std::size_t b = 0; b < group; ++b)
                if (s >> b & 1)
                    for (std::size_t v = 0; v < vectors; ++v) sum[v] += row[b][v];
            std::memcpy(t + s * panel, sum, sizeof sum);
        }
    }
}

// acc += the table rows list[first .. last), in four chains of additions so that the loads'
// latency from L2 overlaps (named chains: an indexed array of them was kept in memory).
inline __attribute__((always_inline)) void sum_rows(const std::uint16_t* list, std::uint32_t first,
                                                    std::uint32_t last, const float* rows,
                                                    lanes* acc) {
    lanes a[vectors] = {}, b[vectors] = {}, c[vectors] = {}, d[vectors] = {};
    const auto add = [rows](lanes* to, std::uint16_t entry) {
        const float* p = rows + std::size_t{entry} * panel;
        for (std::size_t k = 0; k < vectors; ++k) {
            lanes x;
            std::memcpy(&x, p + 16 * k, sizeof x);
            to[k] += x;
        }
    };
    std::uint32_t e = first;
    for (; e + 3 < last; e += 4) {
        add(a, list[e]);
        add(b, list[e + 1]);
        add(c, list[e + 2]);
        add(d, list[e + 3]);
    }
    for (; e < last; ++e) add(a, list[e]);
    for (std::size_t k = 0; k < vectors; ++k) acc[k] += (a[k] + b[k]) + (c[k] + d[k]);
}

// This thread's scratch of n floats aligned to cache lines, one buffer per use (0: the tables
// of a chunk, 1: the sums of a panel between chunks). Aligned, a table row is whole lines.
float* scratch(int use, std::size_t n) {
    struct alignas(64) line {
        float values[16];
    };
    thread_local std::vector<line> buffers[2];
    std::vector<line>& b = buffers[use];
    if (b.size() * 16 < n) b.resize((n + 15) / 16);
    return b.front().values;
}

// out [out_rows × outputs] = init + for each output row, the operand rows picked by its bits,
// one word of bits per block of 64 operand rows. The events list, per (output row o, chunk c)
// from starts[o·chunks + c], the table rows of the nonzero groups of four bits. `init` is a
// row for all (init_stride 0: the bias), the output itself, or null for zeros.
struct subset_product {
    const std::uint16_t* events;
    const std::uint32_t* starts;
    const float* operand;
    std::size_t operand_rows;
    row_order order;
    const float* init;
    std::size_t init_stride;
    float* out;
    std::size_t out_rows, outputs;
};

// Panels [p0, p1) of the product, one chunk of tables at a time.
NM_WIDE_VECTOR_CLONES void sum_panels(const subset_product& e, std::size_t p0, std::size_t p1) {
    const std::size_t blocks = (e.operand_rows + block - 1) / block;
    const chunking chunks(blocks);
    float* const table = scratch(0, chunks.size * entries * panel);
    float* const sums = chunks.count > 1 ? scratch(1, e.out_rows * panel) : nullptr;
    for (std::size_t p = p0; p < p1; ++p) {
        const std::size_t c0 = p * panel, width = std::min(panel, e.outputs - c0);
        for (std::size_t c = 0; c < chunks.count; ++c) {
            const std::size_t j0 = c * chunks.size, j1 = std::min(blocks, j0 + chunks.size);
            build_subset_sums(e.operand, e.outputs, e.operand_rows, e.order, j0, j1, c0, width,
                              table);
            for (std::size_t o = 0; o < e.out_rows; ++o) {
                lanes acc[vectors] = {};
                if (c > 0)
                    std::memcpy(acc, sums + o * panel, sizeof acc);
                else if (e.init)
                    load_panel_row(e.init, e.init_stride, o, c0, width, acc);
                const std::size_t g = o * chunks.count + c;
                sum_rows(e.events, e.starts[g], e.starts[g + 1], table, acc);
                if (c + 1 < chunks.count)
                    std::memcpy(sums + o * panel, acc, sizeof acc);
                else if (width == panel)
                    std::memcpy(e.out + o * e.outputs + c0, acc, sizeof acc);
                else
                    std::memcpy(e.out + o * e.outputs + c0, acc, width * sizeof(float));
            }
        }
    }
}

// a[k] bit i ↔ a[i] bit k: halves, quarters, ... of the 64 × 64 block swapped in six rounds.
void transpose_bits(std::uint64_t* a) {
    std::uint64_t mask = 0x00000000FFFFFFFFull;
    for (std::size_t j = 32; j != 0; j >>= 1, mask ^= mask << j)
        for (std::size_t k = 0; k < 64; k = ((k | j) + 1) & ~j) {
            const std::uint64_t t = ((a[k] >> j) ^ a[k + j]) & mask;
            a[k + j] ^= t;
            a[k] ^= t << j;
        }
}

// Narrow outputs (at most 16 columns: a readout) are one vector per row. Each spike then adds
// its weight row, or its gradient row, straight from the bits: the tables, lists and transposed
// bits cost more to set up than these sums (1,024 hidden neurons into 10 outputs: 3% of the
// training step).
constexpr std::size_t narrow = 16;
using row_vector = float __attribute__((vector_size(narrow * sizeof(float))));

// rows × width values of m as rows of 16 floats, zero past width.
std::vector<float> padded_rows(const float* m, std::size_t rows, std::size_t width) {
    std::vector<float> out(rows * narrow, 0.0f);
    for (std::size_t r = 0; r < rows; ++r)
        std::memcpy(&out[r * narrow], m + r * width, width * sizeof(float));
    return out;
}

// y [rows × outputs] = X·w + start, each row's sum in a register; weight and start padded to 16
// floats (unaligned loads: a vector of 64-byte vectors was not 64-byte aligned).
NM_WIDE_VECTOR_CLONES void narrow_times(const std::uint64_t* bits, std::size_t rows,
                                        std::size_t words, const float* weight, const float* start,
                                        std::size_t outputs, float* y) {
    for (std::size_t r = 0; r < rows; ++r) {
        row_vector acc;
        std::memcpy(&acc, start, sizeof acc);
        for (std::size_t j = 0; j < words; ++j)
            for (std::uint64_t word = bits[r * words + j]; word != 0; word &= word - 1) {
                row_vector row;
                std::memcpy(&row, weight + (j * 64 + std::countr_zero(word)) * narrow, sizeof row);
                acc += row;
            }
        float out[narrow];
        std::memcpy(out, &acc, sizeof out);
        std::memcpy(y + r * outputs, out, outputs * sizeof(float));
    }
}

// Rows [64·j0, 64·j1) of gw [inputs × outputs] += Xᵀ·g, every input's sum over the rows in row
// order.
NM_WIDE_VECTOR_CLONES void narrow_transposed_times(const std::uint64_t* bits, std::size_t rows,
                                                   std::size_t words, std::size_t j0,
                                                   std::size_t j1, std::size_t inputs,
                                                   const float* g, std::size_t outputs, float* gw) {
    const std::size_t first = j0 * 64, last = std::min(inputs, j1 * 64);
    std::vector<float> sums = padded_rows(gw + first * outputs, last - first, outputs);
    for (std::size_t r = 0; r < rows; ++r) {
        float padded[narrow] = {};
        std::memcpy(padded, g + r * outputs, outputs * sizeof(float));
        row_vector grad;
        std::memcpy(&grad, padded, sizeof grad);
        for (std::size_t j = j0; j < j1; ++j)
            for (std::uint64_t word = bits[r * words + j]; word != 0; word &= word - 1) {
                float* sum = &sums[((j - j0) * 64 + std::countr_zero(word)) * narrow];
                row_vector v;
                std::memcpy(&v, sum, sizeof v);
                v += grad;
                std::memcpy(sum, &v, sizeof v);
            }
    }
    for (std::size_t i = first; i < last; ++i)
        std::memcpy(gw + i * outputs, &sums[(i - first) * narrow], outputs * sizeof(float));
}

} // namespace

bool spike_matrix::keep(const float* x, std::size_t rows, std::size_t inputs, std::size_t steps) {
    rows_ = rows;
    steps_ = steps;
    inputs_ = inputs;
    words_ = (inputs + 63) / 64;
    bits_.resize(rows * words_);
    std::vector<char> binary(rows);
    parallel_slices(rows, 1, [&](std::size_t r0, std::size_t r1) {
        for (std::size_t r = r0; r < r1; ++r)
            binary[r] = pack_bits(x + r * inputs, inputs, bits_.data() + r * words_);
    });
    if (std::find(binary.begin(), binary.end(), 0) != binary.end()) {
        rows_ = inputs_ = 0;
        bits_.clear();
        return false;
    }
    return true;
}

// The lists in two passes over slices of rows: the nonzero groups counted per row, then each
// row's list written from its offset (the same lists for any thread count).
void spike_matrix::list_subsets(const std::vector<std::uint64_t>& words, std::size_t per_row) {
    const std::size_t rows = words.size() / per_row;
    const chunking chunks(per_row);
    std::vector<std::uint32_t> offset(rows + 1, 0);
    parallel_slices(rows, 1, [&](std::size_t r0, std::size_t r1) {
        for (std::size_t r = r0; r < r1; ++r) {
            std::uint32_t n = 0;
            for (std::size_t j = 0; j < per_row; ++j) {
                std::uint64_t w = words[r * per_row + j];
                w |= w >> 1;
                w |= w >> 2; // bit 4k: group k is nonzero
                n += static_cast<std::uint32_t>(std::popcount(w & 0x1111111111111111ull));
            }
            offset[r + 1] = n;
        }
    });
    for (std::size_t r = 0; r < rows; ++r) offset[r + 1] += offset[r];
    events_.resize(offset[rows]);
    starts_.resize(rows * chunks.count + 1);
    starts_.back() = offset[rows];
    parallel_slices(rows, 1, [&](std::size_t r0, std::size_t r1) {
        for (std::size_t r = r0; r < r1; ++r) {
            std::uint32_t n = offset[r];
            for (std::size_t j = 0; j < per_row; ++j) {
                if (j % chunks.size == 0) starts_[r * chunks.count + j / chunks.size] = n;
                const std::uint64_t w = words[r * per_row + j];
                if (w == 0) continue;
                // Branch-free: every group written, the count moved past the nonzero ones (a
                // loop over the nonzero groups mispredicted its exit once per word). Straight
                // into the list while the writes stay inside the row's; near its end through a
                // buffer (past it is another row's, maybe another thread's).
                std::uint16_t buffer[block / group];
                const bool inside = n + block / group <= offset[r + 1];
                std::uint16_t* list = inside ? events_.data() + n : buffer;
                unsigned count = 0;
                const auto base = static_cast<std::uint32_t>(j % chunks.size * entries);
                for (unsigned k = 0; k < block / group; ++k) {
                    const auto s = static_cast<std::uint32_t>(w >> (k * group)) & (subsets - 1);
                    list[count] = static_cast<std::uint16_t>(base + k * subsets + s);
                    count += s != 0;
                }
                if (!inside) std::memcpy(events_.data() + n, buffer, count * sizeof buffer[0]);
                n += count;
            }
        }
    });
}

void spike_matrix::transpose() {
    const std::size_t row_words = (rows_ + 63) / 64;
    const row_order order{steps_, rows_ / steps_};
    transposed_.resize(inputs_ * row_words);
    parallel_slices(row_words, 1, [&](std::size_t w0, std::size_t w1) {
        std::uint64_t a[64];
        for (std::size_t rw = w0; rw < w1; ++rw)
            for (std::size_t w = 0; w < words_; ++w) {
                for (std::size_t k = 0; k < 64; ++k) {
                    const std::size_t r = rw * 64 + k;
                    a[k] = r < rows_ ? bits_[order(r) * words_ + w] : 0;
                }
                transpose_bits(a);
                for (std::size_t k = 0; k < 64 && w * 64 + k < inputs_; ++k)
                    transposed_[(w * 64 + k) * row_words + rw] = a[k];
            }
    });
}

void spike_matrix::times(const float* w, const float* bias, std::size_t outputs, float* y) {
    if (outputs <= narrow) {
        const std::vector<float> weight = padded_rows(w, inputs_, outputs),
                                 start = bias ? padded_rows(bias, 1, outputs)
                                              : std::vector<float>(narrow, 0.0f);
        return parallel_slices(rows_, 1, [&](std::size_t r0, std::size_t r1) {
            narrow_times(bits_.data() + r0 * words_, r1 - r0, words_, weight.data(), start.data(),
                         outputs, y + r0 * outputs);
        });
    }
    list_subsets(bits_, words_);
    const subset_product e{events_.data(), starts_.data(), w, inputs_, {1, inputs_}, bias, 0, y,
                           rows_,          outputs};
    parallel_slices((outputs + panel - 1) / panel, 1,
                    [&](std::size_t p0, std::size_t p1) { sum_panels(e, p0, p1); });
}

void spike_matrix::add_transposed_times(const float* g, std::size_t outputs, float* gw) {
    if (outputs <= narrow) // by words of inputs: each input's sum over the rows in row order
        return parallel_slices(words_, 1, [&](std::size_t j0, std::size_t j1) {
            narrow_transposed_times(bits_.data(), rows_, words_, j0, j1, inputs_, g, outputs, gw);
        });
    transpose();
    list_subsets(transposed_, (rows_ + 63) / 64);
    const subset_product e{
        events_.data(), starts_.data(), g, rows_, {steps_, rows_ / steps_}, gw, outputs, gw,
        inputs_,        outputs};
    parallel_slices((outputs + panel - 1) / panel, 1,
                    [&](std::size_t p0, std::size_t p1) { sum_panels(e, p0, p1); });
}

} // namespace nm::train
