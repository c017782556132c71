// Spelling hints for error messages about unknown names.
#include <nm/errors.hpp>

#include <algorithm>

namespace nm {

namespace {

// Edit distance counting a swap of neighbours as one edit (optimal string alignment), so
// "lfi" is as close to "lif" as a missing letter would be.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    const std::size_t w = b.size() + 1;
    std::vector<std::size_t> d((a.size() + 1) * w);
    for (std::size_t i = 0; i <= a.size(); ++i) d[i * w] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            std::size_t best = std::min(
                {d[(i - 1) * w + j] + 1, d[i * w + j - 1] + 1, d[(i - 1) * w + j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                best = std::min(best, d[(i - 2) * w + j - 2] + 1);
            d[i * w + j] = best;
        }
    return d[a.size() * w + b.size()];
}

} // namespace

std::string nearest_name(std::string_view word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_distance = std::string::npos;
    for (const auto& c : candidates) {
        const std::size_t d = edit_distance(word, c);
        if (d < best_distance) {
            best_distance = d;
            best = c;
        }
    }
    // Beyond a third of the word's length the match is a guess, not a typo.
    const std::size_t allowed = std::max<std::size_t>(2, word.size() / 3);
    return best_distance <= allowed ? best : std::string{};
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    const std::string near = nearest_name(word, candidates);
    if (!near.empty()) return "; did you mean \"" + near + "\"?";
    std::string list;
    for (const auto& c : candidates) list += (list.empty() ? "" : ", ") + c;
    return "; valid names: " + list;
}

} // namespace nm
