// A [rows × inputs] matrix of 0/1 spikes kept as bits, and the two products a dense layer
// needs with it, computed from the spikes' events instead of a GEMM:
//   forward            Y = X·W + b     each output row sums the weight rows of its active inputs;
//   weight gradient    ∂W += Xᵀ·G      each weight row sums the gradient rows where it fired.
// Only additions, no multiplications by zero: at rate-coded Fashion-MNIST's ~30% density both
// run about twice as fast as OpenBLAS's GEMM on the same CPU (bench/RESULTS.md), and below 10%
// several times faster. Both loops work on a 32-column panel of the dense operand copied to a
// contiguous block small enough for the L1 cache (the operand's own row stride of 4 KiB would
// map every row to the same few cache sets), and every output element is summed by one thread
// in a fixed order, so the result does not depend on the thread count.
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
    // The share of ones; the event products pay off below about one half.
    double density() const;
    std::size_t bytes() const { return bits_.size() * sizeof(std::uint64_t); }
    void unpack(float* x) const;

    // y [rows × outputs] = X·w (+ bias), w [inputs × outputs].
    void times(const float* w, const float* bias, std::size_t outputs, float* y);
    // gw [inputs × outputs] += Xᵀ·g, g [rows × outputs].
    void add_transposed_times(const float* g, std::size_t outputs, float* gw);

private:
    void list_subsets(const std::vector<std::uint64_t>& words, std::size_t per_row);
    void transpose();

    std::size_t rows_ = 0, inputs_ = 0, words_ = 0, ones_ = 0, steps_ = 1;
    std::vector<std::uint64_t> bits_; // row-major, each row padded to whole words
    // Scratch rebuilt by each product: the bits by input (for the gradient), and for each word
    // of bits where its list starts and the table entries of its nonzero groups of four.
    std::vector<std::uint64_t> transposed_;
    std::vector<std::uint16_t> events_;
    std::vector<std::uint32_t> starts_;
};

} // namespace nm::train
