// Reading TOML with located errors: every value is checked for its type and every table for
// unknown keys, and messages start with file:line:column. Shared by the experiment and training
// file loaders; the only place besides them that includes toml++.
#pragma once

#include "nm/errors.hpp"
#include "nm/experiment.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <toml++/toml.h>

namespace nm {

class toml_reader {
public:
    explicit toml_reader(std::string source) : source_(std::move(source)) {}

    std::string where(const toml::node& n) const {
        const auto& b = n.source().begin;
        return source_ + ":" + std::to_string(b.line) + ":" + std::to_string(b.column);
    }
    std::string where(const toml::key& k) const {
        const auto& b = k.source().begin;
        return source_ + ":" + std::to_string(b.line) + ":" + std::to_string(b.column);
    }

    [[noreturn]] void fail(const toml::node& n, const std::string& msg) const {
        throw bad_config(where(n) + ": " + msg);
    }

    // Every key of `t` must be in `known`.
    void check_keys(const toml::table& t, const std::vector<std::string>& known,
                    const std::string& context) const {
        for (auto&& [k, v] : t)
            if (std::find(known.begin(), known.end(), k.str()) == known.end())
                throw bad_config(where(k) + ": " + context + ": unknown key \"" +
                                 std::string(k.str()) + "\"" + did_you_mean(k.str(), known));
    }

    const toml::table& table(const toml::node& n, const std::string& what) const {
        if (const auto* t = n.as_table()) return *t;
        fail(n, what + " must be a table");
    }

    double number(const toml::node& n, const std::string& what) const {
        if (const auto* i = n.as_integer()) return static_cast<double>(i->get());
        if (const auto* f = n.as_floating_point()) return f->get();
        fail(n, what + " must be a number");
    }

    std::uint64_t count(const toml::node& n, const std::string& what) const {
        const auto* i = n.as_integer();
        if (!i || i->get() < 0) fail(n, what + " must be a non-negative integer");
        return static_cast<std::uint64_t>(i->get());
    }

    std::string string(const toml::node& n, const std::string& what) const {
        if (const auto* s = n.as_string()) return s->get();
        fail(n, what + " must be a string");
    }

    bool boolean(const toml::node& n, const std::string& what) const {
        if (const auto* b = n.as_boolean()) return b->get();
        fail(n, what + " must be true or false");
    }

    std::vector<double> numbers(const toml::node& n, const std::string& what) const {
        const auto* a = n.as_array();
        if (!a) fail(n, what + " must be an array of numbers");
        std::vector<double> out;
        for (const auto& x : *a) out.push_back(number(x, what + " element"));
        return out;
    }

    std::vector<std::uint64_t> indices(const toml::node& n, const std::string& what) const {
        const auto* a = n.as_array();
        if (!a) fail(n, what + " must be an array of integers");
        std::vector<std::uint64_t> out;
        for (const auto& x : *a) out.push_back(count(x, what + " element"));
        return out;
    }

    distribution dist(const toml::table& t, const std::string& what) const {
        check_keys(t, {"dist", "low", "high", "mean", "std", "mu", "sigma"}, what);
        distribution d;
        const toml::node* kind = t.get("dist");
        if (!kind)
            fail(t, what + ": a distribution table needs \"dist\" (uniform, normal, "
                           "normal_clipped, lognormal)");
        d.kind = string(*kind, what + ".dist");
        auto get = [&](const char* key, double& into) {
            if (const toml::node* x = t.get(key)) into = number(*x, what + "." + key);
        };
        get("low", d.low);
        get("high", d.high);
        get("mean", d.mean);
        get("std", d.std);
        get("mu", d.mu);
        get("sigma", d.sigma);
        return d;
    }

    nm::value value(const toml::node& n, const std::string& what) const {
        if (n.is_number()) return number(n, what);
        if (const auto* s = n.as_string()) return s->get();
        if (n.is_array()) return numbers(n, what);
        if (const auto* t = n.as_table()) return dist(*t, what);
        fail(n, what + " must be a number, a string, an array or a distribution table");
    }

    std::vector<param> params(const toml::node& n, const std::string& what) const {
        std::vector<param> out;
        for (auto&& [k, v] : table(n, what))
            out.push_back(
                {std::string(k.str()), value(v, what + "." + std::string(k.str())), where(k)});
        return out;
    }

    // A required key of `t`.
    const toml::node& required(const toml::table& t, const char* key,
                               const std::string& context) const {
        if (const auto* x = t.get(key)) return *x;
        throw bad_config(where(t) + ": " + context + " needs \"" + key + "\"");
    }

    // An array of tables ([[name]]); a single [name] table is accepted too.
    template<class Fn>
    void each_table(const toml::node& n, const std::string& name, Fn&& fn) const {
        if (const auto* t = n.as_table()) {
            fn(*t);
            return;
        }
        const auto* a = n.as_array();
        if (!a) fail(n, "[[" + name + "]] must be an array of tables");
        for (const auto& x : *a) fn(table(x, "[[" + name + "]]"));
    }

    const std::string& source() const { return source_; }

private:
    std::string source_;
};

// Parses TOML text, turning syntax errors into nm::bad_config at file:line:column.
toml::table parse_toml(std::string_view text, const std::string& source);

// A whole file as text; io_error naming `what` when it cannot be read.
std::string read_text(const std::string& path, const char* what);

} // namespace nm
