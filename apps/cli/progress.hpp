// A progress bar on stderr for runs longer than ~2 s (only when stderr is a terminal).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

#include <unistd.h>

namespace nm::cli {

class progress_bar {
public:
    explicit progress_bar(double total_units, const char* unit)
        : total_(total_units), unit_(unit), tty_(::isatty(2) != 0),
          t0_(std::chrono::steady_clock::now()) {}

    void operator()(std::uint64_t done, std::uint64_t total) {
        if (!tty_ || total == 0) return;
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
        if (elapsed < 2.0 && done < total) return;
        const double f = static_cast<double>(done) / static_cast<double>(total);
        constexpr int width = 30;
        char bar[width + 1];
        for (int i = 0; i < width; ++i) bar[i] = i < static_cast<int>(f * width) ? '#' : '.';
        bar[width] = 0;
        const double eta = f > 0 ? elapsed * (1 - f) / f : 0.0;
        std::fprintf(stderr, "\r  [%s] %3.0f%%  %.3g / %.3g %s  elapsed %.1f s  ETA %.1f s ", bar,
                     100 * f, f * total_, total_, unit_, elapsed, eta);
        shown_ = true;
        if (done >= total) finish();
    }

    void finish() {
        if (shown_) std::fprintf(stderr, "\r%*s\r", 100, "");
        shown_ = false;
    }

private:
    double total_;
    const char* unit_;
    bool tty_;
    bool shown_ = false;
    std::chrono::steady_clock::time_point t0_;
};

} // namespace nm::cli
