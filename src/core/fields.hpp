// Field tables: one row per user-visible member of a struct (name, unit, allowed range, doc).
// They drive TOML/Python names, validation messages, SoA storage and recorders from one place.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace nm {

// A number as a user would write it in a file or read it in a message: 20, 0.1, -65, inf.
inline std::string format_number(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", x);
    return buf;
}

enum class rule {
    any,
    positive,
    positive_or_inf,
    nonnegative,
    unit_interval,
    at_least_one,
    finite
};

// What `rule` allows, as it reads in an error message.
constexpr std::string_view describe(rule r) {
    switch (r) {
    case rule::any:
        return "any number";
    case rule::positive:
        return "> 0";
    case rule::positive_or_inf:
        return "> 0 (or inf)";
    case rule::nonnegative:
        return ">= 0";
    case rule::unit_interval:
        return "in [0, 1]";
    case rule::at_least_one:
        return "an integer >= 1";
    case rule::finite:
        return "a finite number";
    }
    return "?";
}

inline bool allows(rule r, double x) {
    if (std::isnan(x)) return false;
    switch (r) {
    case rule::any:
        return true;
    case rule::positive:
        return std::isfinite(x) && x > 0;
    case rule::positive_or_inf:
        return x > 0;
    case rule::nonnegative:
        return std::isfinite(x) && x >= 0;
    case rule::unit_interval:
        return x >= 0 && x <= 1;
    case rule::at_least_one:
        return std::isfinite(x) && x >= 1 && x == std::floor(x);
    case rule::finite:
        return std::isfinite(x);
    }
    return false;
}

inline constexpr std::size_t max_choices = 4;

// A numeric member (double) or a named choice stored as an int (the index into `choices`).
template<class S>
struct field {
    std::string_view name;
    std::string_view unit;
    rule allowed;
    std::string_view doc;
    double S::*number = nullptr;
    int S::*choice = nullptr;
    std::array<std::string_view, max_choices> choices{};
};

template<class S>
constexpr field<S> number(std::string_view name, double S::*m, std::string_view unit, rule r,
                          std::string_view doc) {
    return field<S>{name, unit, r, doc, m, nullptr, {}};
}

template<class S>
constexpr field<S> choice(std::string_view name, int S::*m,
                          std::array<std::string_view, max_choices> choices, std::string_view doc) {
    return field<S>{name, "", rule::any, doc, nullptr, m, choices};
}

// The index of `name` among a field's choices, or -1.
template<class S>
int choice_index(const field<S>& f, std::string_view name) {
    for (std::size_t i = 0; i < max_choices; ++i)
        if (!f.choices[i].empty() && f.choices[i] == name) return static_cast<int>(i);
    return -1;
}

// Joins two field tables (a model's own rows and shared ones).
template<class T, std::size_t N, std::size_t M>
constexpr std::array<T, N + M> concat(const std::array<T, N>& a, const std::array<T, M>& b) {
    std::array<T, N + M> out{};
    std::copy(a.begin(), a.end(), out.begin());
    std::copy(b.begin(), b.end(), out.begin() + N);
    return out;
}

} // namespace nm
