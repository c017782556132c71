// Writing a file so that it exists complete or not at all: write a temporary beside it, then
// rename over the final name (atomic on POSIX file systems).
#pragma once

#include "nm/errors.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include <unistd.h>

namespace nm {

inline void write_atomically(const std::filesystem::path& path,
                             const std::function<void(std::ofstream&)>& write) {
    const std::filesystem::path tmp =
        path.string() + ".tmp." + std::to_string(static_cast<long>(::getpid()));
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw io_error(path.string() + ": cannot create (" + tmp.string() + ")");
        try {
            write(out);
            out.flush();
        } catch (...) {
            out.close();
            std::filesystem::remove(tmp);
            throw;
        }
        if (!out) {
            out.close();
            std::filesystem::remove(tmp);
            throw io_error(path.string() + ": write failed (disk full?)");
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp);
        throw io_error(path.string() + ": cannot rename into place: " + ec.message());
    }
}

} // namespace nm
