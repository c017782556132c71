// Filling a struct from user parameters through its field table: unknown names, wrong kinds and
// out-of-range values become errors that quote the file position, the value and the allowed
// range. A per-neuron list or a distribution makes the result one struct per neuron.
#pragma once

#include "core/distribution.hpp"
#include "core/fields.hpp"
#include "nm/errors.hpp"
#include "nm/experiment.hpp"

#include <array>
#include <cstdio>
#include <iterator>
#include <string>
#include <vector>

namespace nm {

inline std::string located(const std::string& where, const std::string& message) {
    return where.empty() ? message : where + ": " + message;
}

// `Fields` is any contiguous range of field<S> (a model's std::array, a stimulus kind's span).
template<class Fields>
std::vector<std::string> field_names(const Fields& fields) {
    std::vector<std::string> names;
    for (const auto& f : fields) names.emplace_back(f.name);
    return names;
}

template<class Fields>
auto find_field(const Fields& fields, std::string_view name) -> decltype(&*std::begin(fields)) {
    for (const auto& f : fields)
        if (f.name == name) return &f;
    return nullptr;
}

// Throws unless `name` is a field of the table (with a did-you-mean hint).
template<class Fields>
const auto& require_field(const Fields& fields, const param& p, const std::string& context,
                          std::string_view what) {
    const auto* f = find_field(fields, p.name);
    if (!f)
        throw bad_parameter(located(p.where, context + ": unknown " + std::string(what) + " \"" +
                                                 p.name + "\"" +
                                                 did_you_mean(p.name, field_names(fields))));
    return *f;
}

namespace detail {

template<class S>
void check_number(const field<S>& f, double x, const param& p, const std::string& context,
                  std::uint64_t neuron, bool per_neuron) {
    if (allows(f.allowed, x)) return;
    std::string at, unit;
    if (per_neuron) at.append(" (neuron ").append(std::to_string(neuron)).append(")");
    if (!f.unit.empty()) unit.append(" ").append(f.unit);
    throw bad_parameter(located(p.where, context + ": " + p.name + at + " = " + format_number(x) +
                                             unit + " must be " +
                                             std::string(describe(f.allowed))));
}

template<class S>
void set_choice(const field<S>& f, S& s, const param& p, const std::string& context) {
    const auto* name = std::get_if<std::string>(&p.value);
    const int index = name ? choice_index(f, *name) : -1;
    if (index >= 0) {
        s.*f.choice = index;
        return;
    }
    std::string options;
    for (auto c : f.choices)
        if (!c.empty()) options += (options.empty() ? "\"" : ", \"") + std::string(c) + "\"";
    std::string got = name ? "\"" + *name + "\"" : "a number";
    throw bad_parameter(
        located(p.where, context + ": " + p.name + " = " + got + " must be one of " + options));
}

} // namespace detail

// Applies `given` on top of `base` (one struct, or one per neuron). Per-neuron lists and
// distributions expand a single struct to `size` copies; `rng` draws distributions (value i of
// the stream slot = field index, so adding a field does not reshuffle the others).
template<class Fields, class S>
std::vector<S> bind_fields(const Fields& fields, const std::vector<param>& given,
                           std::vector<S> base, std::uint64_t size, const rng_stream& rng,
                           const std::string& context, std::string_view what = "parameter") {
    auto expand = [&] {
        if (base.size() == 1 && size > 1) base.assign(size, base.front());
    };
    for (const param& p : given) {
        const field<S>& f = require_field(fields, p, context, what);
        const auto slot = static_cast<std::uint32_t>(&f - &*std::begin(fields));
        if (f.choice) {
            for (S& s : base) detail::set_choice(f, s, p, context);
            continue;
        }
        if (const auto* x = std::get_if<double>(&p.value)) {
            detail::check_number(f, *x, p, context, 0, false);
            for (S& s : base) s.*f.number = *x;
        } else if (const auto* list = std::get_if<std::vector<double>>(&p.value)) {
            if (list->size() != size)
                throw bad_parameter(located(
                    p.where, context + ": " + p.name + " has " + std::to_string(list->size()) +
                                 " values; a per-neuron list needs exactly " +
                                 std::to_string(size) + " (the population size)"));
            expand();
            for (std::uint64_t i = 0; i < size; ++i) {
                detail::check_number(f, (*list)[i], p, context, i, true);
                base[i].*f.number = (*list)[i];
            }
        } else if (const auto* d = std::get_if<distribution>(&p.value)) {
            check_distribution(*d, located(p.where, context + ": " + p.name));
            expand();
            for (std::uint64_t i = 0; i < base.size(); ++i) {
                const double x = draw(*d, rng, static_cast<std::uint32_t>(i), slot, 0);
                detail::check_number(f, x, p, context, i, true);
                base[i].*f.number = x;
            }
        } else {
            throw bad_parameter(located(p.where, context + ": " + p.name + " = \"" +
                                                     std::get<std::string>(p.value) +
                                                     "\" must be a number"));
        }
    }
    return base;
}

} // namespace nm
