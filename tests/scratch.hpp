// Scratch files for tests. CTest runs every test in its own process, several at once, so each
// process writes under its own folder (named by its process id) and removes it on exit: two
// tests never race on one path, and nothing is left behind in the temp folder.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace nm::test {

class scratch_root {
public:
    scratch_root()
        : dir_(std::filesystem::temp_directory_path() / ("nm_test_" + std::to_string(::getpid()))) {
        std::filesystem::create_directories(dir_);
    }
    ~scratch_root() {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    scratch_root(const scratch_root&) = delete;
    scratch_root& operator=(const scratch_root&) = delete;
    const std::filesystem::path& dir() const { return dir_; }

private:
    std::filesystem::path dir_;
};

// A path for `name` inside this process's scratch folder; nothing is created at that path.
inline std::filesystem::path scratch_path(const std::string& name) {
    static const scratch_root root;
    return root.dir() / name;
}

} // namespace nm::test
