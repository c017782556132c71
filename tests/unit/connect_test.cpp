// Connection rules: exact counts where the rule fixes them, binomial bounds where it draws them,
// the autapse/multapse switches, drawn weights and delays, and independence from thread count.
#include "core/network.hpp"
#include "helpers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

namespace nm::test {
namespace {

struct synapse {
    std::uint64_t pre, post;
    float weight;
    std::uint32_t delay;
    auto operator<=>(const synapse&) const = default;
};

std::vector<synapse> synapses_of(const network& net, std::size_t index = 0) {
    const projection& p = net.projections.at(index);
    std::vector<synapse> out;
    for (const csr_shard& s : p.shards)
        for (std::uint64_t i = 0; i + 1 < s.offsets.size(); ++i)
            for (std::uint64_t x = s.offsets[i]; x < s.offsets[i + 1]; ++x) {
                const std::uint32_t packed = s.targets[x];
                out.push_back({i, p.varying_delay ? (packed & p.target_mask) : packed,
                               p.varying_weight ? s.weights[x] : p.weight,
                               p.varying_delay ? packed >> p.delay_shift : p.delay});
            }
    std::sort(out.begin(), out.end());
    return out;
}

experiment two_populations(std::uint64_t n_pre, std::uint64_t n_post, int threads = 1) {
    experiment e = make_experiment(0.1, 1.0, 5, threads);
    add_population(e, "a", n_pre, "lif");
    add_population(e, "b", n_post, "lif");
    return e;
}

TEST(connect, fixed_indegree_gives_exactly_k_per_target) {
    experiment e = two_populations(300, 200);
    connection_rule r = rule("fixed_indegree");
    r.k = 37;
    add_projection(e, "a", "b", r);
    const network net = build_network(e);
    std::vector<int> in(200, 0);
    for (const auto& s : synapses_of(net)) ++in[s.post];
    for (int k : in) EXPECT_EQ(k, 37);
}

TEST(connect, fixed_outdegree_gives_exactly_k_per_source) {
    experiment e = two_populations(150, 400, 2);
    connection_rule r = rule("fixed_outdegree");
    r.k = 25;
    add_projection(e, "a", "b", r);
    const network net = build_network(e);
    std::vector<int> out(150, 0);
    for (const auto& s : synapses_of(net)) ++out[s.pre];
    for (int k : out) EXPECT_EQ(k, 25);
}

TEST(connect, fixed_probability_count_within_4_sigma) {
    const double p = 0.1;
    experiment e = two_populations(1000, 800);
    connection_rule r = rule("fixed_probability");
    r.p = p;
    add_projection(e, "a", "b", r);
    const network net = build_network(e);
    const double n = 1000.0 * 800.0, expected = p * n, sd = std::sqrt(n * p * (1 - p));
    EXPECT_NEAR(static_cast<double>(net.synapses()), expected, 4 * sd);
    // No pair twice: fixed_probability draws each pair at most once.
    const auto syn = synapses_of(net);
    std::set<std::pair<std::uint64_t, std::uint64_t>> pairs;
    for (const auto& s : syn) pairs.insert({s.pre, s.post});
    EXPECT_EQ(pairs.size(), syn.size());
}

TEST(connect, fixed_total_number_all_to_all_and_one_to_one_counts) {
    experiment e = two_populations(40, 40, 3);
    connection_rule total = rule("fixed_total_number");
    total.n = 777;
    add_projection(e, "a", "b", total);
    add_projection(e, "a", "b", rule("all_to_all"));
    add_projection(e, "a", "b", rule("one_to_one"));
    const network net = build_network(e);
    EXPECT_EQ(net.projections[0].synapses, 777u);
    EXPECT_EQ(net.projections[1].synapses, 1600u);
    const auto diag = synapses_of(net, 2);
    ASSERT_EQ(diag.size(), 40u);
    for (const auto& s : diag) EXPECT_EQ(s.pre, s.post);
}

TEST(connect, autapse_and_multapse_switches_are_honoured) {
    experiment e = make_experiment(0.1, 1.0);
    add_population(e, "a", 30, "lif");
    connection_rule r = rule("fixed_indegree");
    r.k = 29; // every other neuron, once each
    r.allow_autapses = false;
    r.allow_multapses = false;
    add_projection(e, "a", "a", r);
    connection_rule all = rule("all_to_all");
    all.allow_autapses = false;
    add_projection(e, "a", "a", all);
    const network net = build_network(e);
    for (std::size_t p = 0; p < 2; ++p) {
        const auto syn = synapses_of(net, p);
        EXPECT_EQ(syn.size(), 30u * 29u);
        std::set<std::pair<std::uint64_t, std::uint64_t>> pairs;
        for (const auto& s : syn) {
            EXPECT_NE(s.pre, s.post);
            pairs.insert({s.pre, s.post});
        }
        EXPECT_EQ(pairs.size(), syn.size());
    }
}

TEST(connect, explicit_lists_are_taken_literally) {
    experiment e = two_populations(5, 5);
    connection_rule r = rule("explicit");
    r.pre = {4, 0, 2};
    r.post = {1, 3, 3};
    r.weights = {0.5, -1.0, 2.0};
    r.delays = {0.2, 1.0, 0.3};
    add_projection(e, "a", "b", r);
    const auto syn = synapses_of(build_network(e));
    const std::vector<synapse> expected{{0, 3, -1.0f, 10}, {2, 3, 2.0f, 3}, {4, 1, 0.5f, 2}};
    EXPECT_EQ(syn, expected);
}

TEST(connect, drawn_weights_and_delays_follow_their_distributions) {
    experiment e = two_populations(200, 200);
    connection_rule r = rule("fixed_indegree");
    r.k = 100;
    distribution w{"normal", 0, 0, 0.5, 0.1, 0, 0};
    distribution d{"normal_clipped", 0.1, 3.0, 1.5, 0.75, 0, 0};
    add_projection(e, "a", "b", r, w, d);
    const auto syn = synapses_of(build_network(e));
    double sum = 0, sq = 0;
    for (const auto& s : syn) {
        sum += s.weight;
        sq += s.weight * s.weight;
        EXPECT_GE(s.delay, 1u);
        EXPECT_LE(s.delay, 30u);
    }
    const double n = static_cast<double>(syn.size()), mean = sum / n;
    EXPECT_NEAR(mean, 0.5, 4 * 0.1 / std::sqrt(n));
    EXPECT_NEAR(std::sqrt(sq / n - mean * mean), 0.1, 0.005);
}

TEST(connect, synapses_do_not_depend_on_thread_count) {
    auto build = [](int threads) {
        experiment e = two_populations(500, 300, threads);
        connection_rule r = rule("fixed_probability");
        r.p = 0.05;
        add_projection(e, "a", "b", r, distribution{"uniform", -1.0, 1.0},
                       distribution{"uniform", 0.1, 5.0});
        connection_rule out = rule("fixed_outdegree");
        out.k = 10;
        out.allow_multapses = false;
        add_projection(e, "a", "b", out);
        const network net = build_network(e);
        return std::make_pair(synapses_of(net, 0), synapses_of(net, 1));
    };
    const auto one = build(1);
    EXPECT_EQ(one, build(2));
    EXPECT_EQ(one, build(3));
}

TEST(connect, storage_is_4_bytes_per_synapse_with_constants_and_8_with_drawn_values) {
    experiment e = two_populations(1000, 1000);
    connection_rule r = rule("fixed_indegree");
    r.k = 500;
    add_projection(e, "a", "b", r, 0.1, 1.5);
    add_projection(e, "a", "b", r, distribution{"uniform", 0.0, 1.0},
                   distribution{"uniform", 0.1, 5.0});
    const network net = build_network(e);
    const double n = 500'000.0;
    EXPECT_LE(static_cast<double>(net.projections[0].memory_bytes()) / n, 4.02);
    EXPECT_LE(static_cast<double>(net.projections[1].memory_bytes()) / n, 8.02);
}

} // namespace
} // namespace nm::test
