// Command-line flags of the macro benchmarks: `--name value` pairs, read in order; an unknown
// flag or a missing value prints the usage and exits (0 for --help, 2 otherwise).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

// Calls take(flag, value) for each pair; take returns false for a flag it does not know.
inline void read_flags(int argc, char** argv, const char* usage,
                       const std::function<bool(const std::string&, const std::string&)>& take) {
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        const bool help = flag == "--help" || flag == "-h";
        if (help || i + 1 >= argc || !take(flag, argv[i + 1])) {
            std::puts(usage);
            std::exit(help ? 0 : 2);
        }
        ++i;
    }
}
