// Dense matrix products through CBLAS (OpenBLAS), for float training and double gradient checks.
// Row-major: C[m×n] = alpha·op(A)·op(B) + beta·C. The float product is split into slices of
// C's rows (or columns, whichever dimension is larger) across the training pool (parallel.hpp).
#pragma once

#include "train/parallel.hpp"

#include <cblas.h>

namespace nm::train {

inline void gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda,
                 const float* b, int ldb, float beta, float* c, int ldc) {
    const auto ta_ = ta ? CblasTrans : CblasNoTrans, tb_ = tb ? CblasTrans : CblasNoTrans;
    // Below ~1 M multiply-adds waking the pool costs more than the product.
    if (std::size_t(m) * n * k < (std::size_t{1} << 20))
        return cblas_sgemm(CblasRowMajor, ta_, tb_, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    // Rows r0..r1 of C read rows r0..r1 of op(A); columns of C read columns of op(B).
    if (m >= n)
        return parallel_slices(static_cast<std::size_t>(m), 1, [&](std::size_t r0, std::size_t r1) {
            const auto r = static_cast<int>(r0);
            cblas_sgemm(CblasRowMajor, ta_, tb_, static_cast<int>(r1 - r0), n, k, alpha,
                        ta ? a + r : a + std::size_t(r) * lda, lda, b, ldb, beta,
                        c + std::size_t(r) * ldc, ldc);
        });
    parallel_slices(static_cast<std::size_t>(n), 1, [&](std::size_t c0, std::size_t c1) {
        const auto j = static_cast<int>(c0);
        cblas_sgemm(CblasRowMajor, ta_, tb_, m, static_cast<int>(c1 - c0), k, alpha, a, lda,
                    tb ? b + std::size_t(j) * ldb : b + j, ldb, beta, c + j, ldc);
    });
}

inline void gemm(bool ta, bool tb, int m, int n, int k, double alpha, const double* a, int lda,
                 const double* b, int ldb, double beta, double* c, int ldc) {
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n,
                k, alpha, a, lda, b, ldb, beta, c, ldc);
}

} // namespace nm::train
