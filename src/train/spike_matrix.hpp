// A [rows × inputs] matrix of 0/1 spikes kept as bits, and the two products a dense layer
// needs with it, without a multiplication:
//   forward            Y = X·W + b     each output row sums the weight rows of its active inputs;
//   weight gradient    ∂W += Xᵀ·G      each weight row sums the gradient rows where it fired.
// The bits are read four at a time. For every four rows of the dense operand, the sums of all
// 16 subsets of them are tabled once per 32-column panel; an output row then adds one table
// row per nonzero group of four bits. Rate-coded Fashion-MNIST (28% ones) needs 2.4 times fewer
// additions than one per spike, and all-zero groups (the background) cost nothing. The tables
// of up to 16 words of bits (512 KiB) stay in L2 while each output row sums its list in
// registers. Outputs of at most 16 columns (a readout) add the spikes' rows directly instead.
// Every output element is summed by one thread in a fixed order, so the result does not depend
// on the thread count. Figures: bench/RESULTS.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nm::train {

class spike_matrix {
public:
    // Keeps x [rows × inputs] as bits, the rows [steps × samples]; false (nothing kept) when a
    // value is neither 0 nor 1.
    bool keep(const float* x, std::size_t rows, std::size_t inputs, std::size_t steps = 1);
    std::size_t bytes() const { return bits_.size() * sizeof(std::uint64_t); }

    // y [rows × outputs] = X·w (+ bias), w [inputs × outputs].
    void times(const float* w, const float* bias, std::size_t outputs, float* y);
    // gw [inputs × outputs] += Xᵀ·g, g [rows × outputs].
    void add_transposed_times(const float* g, std::size_t outputs, float* gw);

private:
    void list_subsets(const std::vector<std::uint64_t>& words, std::size_t per_row);
    void transpose();

    std::size_t rows_ = 0, inputs_ = 0, words_ = 0, steps_ = 1;
    std::vector<std::uint64_t> bits_; // row-major, each row padded to whole words
    // Scratch rebuilt by each product: the bits by input (for the gradient), and for each word
    // of bits where its list starts and the table entries of its nonzero groups of four.
    std::vector<std::uint64_t> transposed_;
    std::vector<std::uint16_t> events_;
    std::vector<std::uint32_t> starts_;
};

} // namespace nm::train
