// Field tables as documentation rows (name, unit, allowed, doc, default) for catalogues.
#pragma once

#include "core/fields.hpp"
#include "nm/simulation.hpp"

#include <vector>

namespace nm {

template<class Fields, class S>
std::vector<field_doc> describe_fields(const Fields& fields, const S& defaults) {
    std::vector<field_doc> out;
    for (const auto& f : fields) {
        field_doc d{std::string(f.name), std::string(f.unit), std::string(describe(f.allowed)),
                    std::string(f.doc), ""};
        if (f.choice) {
            d.default_value = std::string(f.choices[defaults.*f.choice]);
            d.allowed.clear();
            for (auto c : f.choices)
                if (!c.empty()) d.allowed.append(d.allowed.empty() ? "" : "|").append(c);
        } else {
            d.default_value = format_number(defaults.*f.number);
        }
        out.push_back(std::move(d));
    }
    return out;
}

} // namespace nm
