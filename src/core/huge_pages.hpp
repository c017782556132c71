// Large arrays filled in random order (the CSR synapse arrays during the build) or read in
// pieces a row apart (the training step's [T·B × n] arrays in the spike products) touch a new
// 4 KiB page at nearly every access: asking the kernel for transparent huge pages first cuts
// the TLB misses (and page faults). A hint only: without THP nothing changes.
#pragma once

#include <cstdint>
#include <vector>

#include <sys/mman.h>

namespace nm {

// Resizes `v` to n value-initialised elements, its storage advised as huge pages.
template<class T>
void resize_on_huge_pages(std::vector<T>& v, std::size_t n) {
    constexpr std::uintptr_t huge = std::uintptr_t{1} << 21;
    v.clear();
    v.reserve(n);
    const auto begin = reinterpret_cast<std::uintptr_t>(v.data());
    const std::uintptr_t first = (begin + huge - 1) & ~(huge - 1);
    const std::uintptr_t last = (begin + n * sizeof(T)) & ~(huge - 1);
    if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
    v.resize(n);
}

} // namespace nm
