// Exception families: nm::error for what a user can fix (bad file, bad value, I/O),
// nm::internal_error for bugs in neuromorph itself. The CLI maps the first to exit code 2.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace nm {

// A user error: the message says what, where, the bad value, what is allowed, and a hint.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class bad_parameter : public error {
public:
    using error::error;
};

class bad_config : public error {
public:
    using error::error;
};

class io_error : public error {
public:
    using error::error;
};

class device_error : public error {
public:
    using error::error;
};

// A broken invariant inside neuromorph: never the user's fault.
class internal_error : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

// The candidate closest to `word` by edit distance, or "" when none is plausibly meant.
std::string nearest_name(std::string_view word, const std::vector<std::string>& candidates);

// "; did you mean \"x\"?" when a near candidate exists, otherwise the list of valid names.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

} // namespace nm
