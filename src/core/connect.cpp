// Connection rules and the two-pass CSR build (count, then fill) over thread shards.
#include "core/connect.hpp"

#include "core/bind.hpp"
#include "core/distribution.hpp"
#include "core/huge_pages.hpp"
#include "core/parallel.hpp"
#include "core/philox.hpp"
#include "core/ziggurat.hpp"
#include "plasticity/plasticity.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <random>
#include <tuple>
#include <unordered_set>

namespace nm {

const std::vector<std::string>& connection_rules() {
    static const std::vector<std::string> names{
        "all_to_all",      "one_to_one",         "fixed_probability", "fixed_indegree",
        "fixed_outdegree", "fixed_total_number", "explicit"};
    return names;
}

namespace {

// A uniform integer in [0, n) from one random word (n < 2^32).
std::uint64_t below(std::uint32_t word, std::uint64_t n) {
    return (std::uint64_t{word} * n) >> 32;
}

// Random words in sequence from one keyed Philox stream, for the standard library's
// distributions (a UniformRandomBitGenerator).
class philox_words {
public:
    using result_type = std::uint32_t;
    philox_words(const rng_stream& rng, std::uint32_t slot) : rng_(rng), slot_(slot) {}
    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return ~result_type{0}; }
    result_type operator()() {
        if (used_ == 4) {
            block_ = rng_.block(counter_++, 0, slot_);
            used_ = 0;
        }
        return block_.w[used_++];
    }

private:
    rng_stream rng_;
    std::uint32_t slot_, counter_ = 0, used_ = 4;
    philox_block block_{};
};

// Generates the synapses of one rule; emit(pre, post, key_a, key_b) with a key unique per
// synapse that seeds its weight and delay draws (for `explicit`, key_a is the list index).
class generator {
public:
    generator(const connection_rule& rule, std::uint64_t n_pre, std::uint64_t n_post, bool same,
              rng_stream rng)
        : rule_(rule), n_pre_(n_pre), n_post_(n_post), no_self_(same && !rule.allow_autapses),
          rng_(rng) {}

    template<class Emit>
    void run(range targets, Emit&& emit) const {
        const std::string& kind = rule_.kind;
        if (kind == "all_to_all") {
            for (std::uint64_t post = targets.begin; post < targets.end; ++post)
                for (std::uint64_t pre = 0; pre < n_pre_; ++pre)
                    if (!(no_self_ && pre == post)) emit(pre, post, key(post), key(pre));
        } else if (kind == "one_to_one") {
            for (std::uint64_t post = targets.begin; post < targets.end; ++post)
                emit(post, post, key(post), 0u);
        } else if (kind == "fixed_probability") {
            for (std::uint64_t post = targets.begin; post < targets.end; ++post)
                bernoulli_row(post, emit);
        } else if (kind == "fixed_indegree") {
            for (std::uint64_t post = targets.begin; post < targets.end; ++post)
                choose(post, n_pre_, rule_.k,
                       [&](std::uint64_t pre, std::uint32_t j) { emit(pre, post, key(post), j); });
        } else if (kind == "fixed_outdegree") {
            for (std::uint64_t pre = 0; pre < n_pre_; ++pre)
                choose(pre, n_post_, rule_.k, [&](std::uint64_t post, std::uint32_t j) {
                    if (post >= targets.begin && post < targets.end) emit(pre, post, key(pre), j);
                });
        } else if (kind == "fixed_total_number") {
            total_number(targets, emit);
        } else { // explicit
            for (std::size_t m = 0; m < rule_.pre.size(); ++m)
                if (rule_.post[m] >= targets.begin && rule_.post[m] < targets.end)
                    emit(rule_.pre[m], rule_.post[m], key(m), 0u);
        }
    }

private:
    static std::uint32_t key(std::uint64_t x) { return static_cast<std::uint32_t>(x); }

    // Sources of `post` with probability p each, by geometric skips: O(synapses), not O(n_pre).
    template<class Emit>
    void bernoulli_row(std::uint64_t post, Emit& emit) const {
        const double p = rule_.p;
        if (p <= 0.0) return;
        std::uint32_t k = 0, draw = 0;
        if (p >= 1.0) {
            for (std::uint64_t pre = 0; pre < n_pre_; ++pre)
                if (!(no_self_ && pre == post)) emit(pre, post, key(post), k++);
            return;
        }
        const double log_q = std::log1p(-p);
        double pre = -1.0;
        for (;;) {
            const double u = to_open_unit(rng_.block(key(post), draw++).w[0]);
            pre += 1.0 + std::floor(std::log(u) / log_q);
            if (pre >= static_cast<double>(n_pre_)) return;
            const auto src = static_cast<std::uint64_t>(pre);
            if (!(no_self_ && src == post)) emit(src, post, key(post), k++);
        }
    }

    // k partners of neuron `self` among n (skipping itself when autapses are off), uniformly,
    // with repeats when multapses are allowed, else distinct (Floyd's algorithm).
    template<class Take>
    void choose(std::uint64_t self, std::uint64_t n, std::uint64_t k, Take&& take) const {
        const std::uint64_t candidates = no_self_ ? n - 1 : n;
        auto map = [&](std::uint64_t x) { return no_self_ && x >= self ? x + 1 : x; };
        if (rule_.allow_multapses) {
            for (std::uint64_t j = 0; j < k; ++j)
                take(map(below(rng_.block(key(self), key(j)).w[0], candidates)), key(j));
            return;
        }
        std::unordered_set<std::uint64_t> chosen;
        chosen.reserve(k * 2);
        std::uint32_t j = 0;
        for (std::uint64_t top = candidates - k; top < candidates; ++top) {
            std::uint64_t x = below(rng_.block(key(self), key(top), 1).w[0], top + 1);
            if (!chosen.insert(x).second) {
                x = top;
                chosen.insert(x);
            }
            take(map(x), j++);
        }
    }

    // n pairs drawn uniformly over all allowed (pre, post). With multapses, as n independent
    // pairs: they fall into fixed tiles of the (post, pre) plane (the same for any thread count)
    // with multinomial counts, drawn tile by tile as binomials; each tile then draws its own
    // pairs. A shard draws only the tiles of its targets, and a tile's pairs write to few CSR
    // rows at a time (the fill stays in cache). Without multapses, every shard draws all pairs
    // (rejecting repeats needs them all) and keeps its own.
    template<class Emit>
    void total_number(range targets, Emit& emit) const {
        if (!rule_.allow_multapses) return distinct_total_number(targets, emit);
        constexpr std::uint64_t posts_per_tile = 1024, pres_per_tile = 2048;
        auto allowed = [&](range post, range pre) {
            const std::uint64_t overlap =
                no_self_ ? std::max(post.begin, pre.begin) < std::min(post.end, pre.end)
                               ? std::min(post.end, pre.end) - std::max(post.begin, pre.begin)
                               : 0
                         : 0;
            return static_cast<double>((post.end - post.begin) * (pre.end - pre.begin) - overlap);
        };
        philox_words words(rng_, 0xC0u);
        std::uint64_t left = rule_.n, first = 0;
        double left_pairs = allowed({0, n_post_}, {0, n_pre_});
        for (std::uint64_t b = 0; b < n_post_ && left > 0; b += posts_per_tile) {
            const range post{b, std::min(n_post_, b + posts_per_tile)};
            for (std::uint64_t a = 0; a < n_pre_ && left > 0; a += pres_per_tile) {
                const range pre{a, std::min(n_pre_, a + pres_per_tile)};
                const double pairs = allowed(post, pre);
                const bool last = post.end == n_post_ && pre.end == n_pre_;
                const std::uint64_t count =
                    last ? left
                         : std::binomial_distribution<std::uint64_t>(
                               left, std::min(1.0, pairs / left_pairs))(words);
                if (post.end > targets.begin && post.begin < targets.end)
                    tile_pairs(post, pre, first, count, targets, emit);
                left -= count;
                left_pairs -= pairs;
                first += count;
            }
        }
    }

    // Synapses first .. first + count - 1, uniform over the allowed pairs of a tile. Synapse
    // m's first try is block (m, slot 1), four consecutive synapses per SSE2 call; an autapse
    // (when refused) retries from slots 2, 3...
    template<class Emit>
    void tile_pairs(range post_range, range pre_range, std::uint64_t first, std::uint64_t count,
                    range targets, Emit& emit) const {
        const std::uint64_t n_post = post_range.end - post_range.begin,
                            n_pre = pre_range.end - pre_range.begin;
        auto take = [&](std::uint64_t m, std::uint32_t pre_word, std::uint32_t post_word) {
            for (std::uint32_t attempt = 1;; ++attempt) {
                const std::uint64_t pre = pre_range.begin + below(pre_word, n_pre),
                                    post = post_range.begin + below(post_word, n_post);
                if (!(no_self_ && pre == post)) {
                    if (post >= targets.begin && post < targets.end)
                        emit(pre, post, key(m), key(m >> 32));
                    return;
                }
                const philox_block b = rng_.block(key(m), key(m >> 32), attempt + 1);
                pre_word = b.w[0];
                post_word = b.w[1];
            }
        };
        const std::uint64_t end = first + count;
        std::uint64_t m = first;
        std::uint32_t words[16];
        // Four at a time while the group does not wrap the counter's low word.
        for (; m + 4 <= end && key(m) <= 0xFFFFFFFCu; m += 4) {
            rng_.blocks<4>(key(m), key(m >> 32), words, 1);
            for (int l = 0; l < 4; ++l) take(m + l, words[4 * l], words[4 * l + 1]);
        }
        for (; m < end; ++m) {
            const philox_block b = rng_.block(key(m), key(m >> 32), 1);
            take(m, b.w[0], b.w[1]);
        }
    }

    template<class Emit>
    void distinct_total_number(range targets, Emit& emit) const {
        std::unordered_set<std::uint64_t> taken;
        if (!rule_.allow_multapses) taken.reserve(rule_.n * 2);
        philox_block pair_words{};
        for (std::uint64_t m = 0; m < rule_.n; ++m) {
            // A block's four words make the first tries of two consecutive pairs; a rejected
            // pair redraws from its own blocks, numbered by attempt.
            if (m % 2 == 0) pair_words = rng_.block(key(m >> 1), key(m >> 33), 0);
            for (std::uint32_t attempt = 0;; ++attempt) {
                const philox_block b =
                    attempt == 0 ? pair_words : rng_.block(key(m), key(m >> 32), attempt);
                const unsigned w = attempt == 0 ? 2 * (m % 2) : 0;
                const std::uint64_t pre = below(b.w[w], n_pre_), post = below(b.w[w + 1], n_post_);
                if (no_self_ && pre == post) continue;
                if (!rule_.allow_multapses && !taken.insert(pre * n_post_ + post).second) continue;
                if (post >= targets.begin && post < targets.end)
                    emit(pre, post, key(m), key(m >> 32));
                break;
            }
        }
    }

    const connection_rule& rule_;
    std::uint64_t n_pre_, n_post_;
    bool no_self_;
    rng_stream rng_;
};

std::string number_text(std::uint64_t x) {
    return std::to_string(x);
}

void check_rule(const projection_spec& spec, const connect_context& ctx, const std::string& name) {
    const connection_rule& r = spec.rule;
    const std::uint64_t n_pre = ctx.pre->size(), n_post = ctx.post->size();
    auto fail = [&](const std::string& msg) {
        throw bad_config(
            located(r.where.empty() ? spec.where : r.where, "projection " + name + ": " + msg));
    };
    const auto& rules = connection_rules();
    if (std::find(rules.begin(), rules.end(), r.kind) == rules.end())
        fail("unknown connection rule \"" + r.kind + "\"" + did_you_mean(r.kind, rules));
    const bool no_self = ctx.same_population && !r.allow_autapses;
    if (r.kind == "fixed_probability" && !(r.p >= 0.0 && r.p <= 1.0))
        fail("p = " + format_number(r.p) + " must be in [0, 1]");
    if (r.kind == "one_to_one" && n_pre != n_post)
        fail("one_to_one needs equal sizes (pre has " + number_text(n_pre) + ", post has " +
             number_text(n_post) + ")");
    if (r.kind == "fixed_indegree" || r.kind == "fixed_outdegree") {
        const std::uint64_t pool =
            (r.kind == "fixed_indegree" ? n_pre : n_post) - (no_self ? 1 : 0);
        if (r.k > 0 && pool == 0) fail("k = " + number_text(r.k) + " but there is no candidate");
        if (!r.allow_multapses && r.k > pool)
            fail("k = " + number_text(r.k) + " distinct partners requested but only " +
                 number_text(pool) + " exist (allow_multapses = false)");
        if (pool >= (std::uint64_t{1} << 32)) fail("populations beyond 2^32 neurons");
    }
    if (r.kind == "fixed_total_number" && !r.allow_multapses &&
        r.n > n_pre * n_post - (no_self ? n_pre : 0))
        fail("n = " + number_text(r.n) + " distinct synapses requested but only " +
             number_text(n_pre * n_post) + " pairs exist");
    if (r.kind == "explicit") {
        if (r.pre.size() != r.post.size())
            fail("explicit lists pre and post differ in length (" + number_text(r.pre.size()) +
                 " vs " + number_text(r.post.size()) + ")");
        for (std::size_t m = 0; m < r.pre.size(); ++m)
            if (r.pre[m] >= n_pre || r.post[m] >= n_post)
                fail("explicit pair " + number_text(m) + " (" + number_text(r.pre[m]) + ", " +
                     number_text(r.post[m]) + ") is outside the populations (sizes " +
                     number_text(n_pre) + ", " + number_text(n_post) + ")");
        for (const auto* list : {&r.weights, &r.delays})
            if (!list->empty() && list->size() != r.pre.size())
                fail("explicit weights/delays need one value per pair (" +
                     number_text(r.pre.size()) + "), got " + number_text(list->size()));
    } else if (!r.weights.empty() || !r.delays.empty()) {
        fail("per-synapse weight and delay lists need rule kind \"explicit\"");
    }
}

// One per-synapse quantity: a constant, a distribution, or (explicit rule) a list.
struct synapse_value {
    synapse_value(const value* v, const std::vector<double>* l, std::uint32_t s)
        : spec(v), list(l), slot(s), dist(std::get_if<distribution>(v)),
          kind(dist ? kind_of(*dist) : distribution_kind::uniform) {}

    const value* spec;
    const std::vector<double>* list;
    std::uint32_t slot;
    const distribution* dist;
    distribution_kind kind;

    bool listed() const { return list && !list->empty(); }
    bool varies() const { return listed() || dist; }
    // Drawn through a standard normal (normal, normal_clipped, lognormal).
    bool normal_based() const { return !listed() && dist && kind != distribution_kind::uniform; }
    double constant() const { return std::get<double>(*spec); }
    double at(const rng_stream& rng, std::uint32_t a, std::uint32_t b,
              const double* first_normal = nullptr) const {
        if (listed()) return (*list)[a];
        if (dist) return draw(*dist, kind, rng, a, b, slot, first_normal);
        return std::get<double>(*spec);
    }
};

void check_value(const value& v, const std::string& what, const std::string& where,
                 const std::string& name) {
    const std::string prefix = "projection " + name + ": " + what;
    if (const auto* x = std::get_if<double>(&v)) {
        if (!std::isfinite(*x))
            throw bad_parameter(
                located(where, prefix + " = " + format_number(*x) + " must be a finite number"));
    } else if (const auto* d = std::get_if<distribution>(&v)) {
        check_distribution(*d, located(where, prefix));
    } else {
        throw bad_parameter(located(
            where, prefix + " must be a number or a distribution table (lists need rule kind "
                            "\"explicit\" with weights/delays)"));
    }
}

} // namespace

projection build_projection(const projection_spec& spec, const connect_context& ctx) {
    const std::string name = "\"" + spec.pre + "\" -> \"" + spec.post + "\"";
    check_rule(spec, ctx, name);
    const synapse_spec& syn = spec.synapse;
    const std::string& where = syn.where.empty() ? spec.where : syn.where;
    port_request request;
    try {
        request = make_port_request(syn.kind, syn.tau_syn, syn.e_rev, syn.port);
    } catch (const std::invalid_argument& e) {
        throw bad_parameter(located(where, "projection " + name + ": " + e.what()));
    }
    if (is_conductance(request.kind) && std::holds_alternative<double>(syn.weight) &&
        std::get<double>(syn.weight) < 0)
        throw bad_parameter(located(where, "projection " + name + ": weight = " +
                                               format_number(std::get<double>(syn.weight)) +
                                               " must be >= 0 for a conductance (the sign "
                                               "comes from e_rev)"));
    check_value(syn.weight, "weight", where, name);
    check_value(syn.delay, "delay", where, name);
    check_value(syn.weight_im, "weight_im", where, name);
    const bool has_im =
        !std::holds_alternative<double>(syn.weight_im) || std::get<double>(syn.weight_im) != 0.0;
    if (has_im && (!ctx.post->is_complex() || syn.kind != "delta"))
        throw bad_parameter(located(where, "projection " + name +
                                               ": weight_im needs a delta synapse onto a complex "
                                               "model (rf); \"" +
                                               spec.post + "\" is " + ctx.post->model()));

    projection proj;
    proj.name = name;
    const auto strategy =
        std::find(propagation_names.begin(), propagation_names.end(), spec.propagation);
    if (strategy == propagation_names.end())
        throw bad_parameter(located(spec.where, "projection " + name + ": propagation = \"" +
                                                    spec.propagation +
                                                    "\" must be auto, pre or post"));
    proj.propagation = static_cast<propagation>(strategy - propagation_names.begin());
    try {
        proj.port = ctx.post->port_for(request);
    } catch (const std::invalid_argument& e) {
        throw bad_parameter(
            located(where, "projection " + name + " into \"" + spec.post + "\": " + e.what()));
    }
    const synapse_value weight{&syn.weight, &spec.rule.weights, 0};
    const synapse_value delay{&syn.delay, &spec.rule.delays, 1};
    const synapse_value weight_im{&syn.weight_im, nullptr, 2};
    const bool plastic = !syn.plasticity.rule.empty();
    proj.varying_weight = weight.varies() || plastic; // learned weights are per synapse
    proj.varying_delay = delay.varies();
    proj.complex_weight = ctx.post->is_complex() && syn.kind == "delta";
    const bool varying_im = proj.complex_weight && weight_im.varies();
    if (!proj.varying_weight) proj.weight = static_cast<float>(weight.constant());
    if (proj.complex_weight && !varying_im)
        proj.weight_im = static_cast<float>(weight_im.constant());

    const rng_stream connect_rng(ctx.seed, stream_id(purpose::connect, ctx.index));
    const rng_stream value_rng(ctx.seed, stream_id(purpose::synapse, ctx.index));
    const generator gen(spec.rule, ctx.pre->size(), ctx.post->size(), ctx.same_population,
                        connect_rng);
    const double dt = ctx.dt;
    auto delay_steps = [&](double d, std::uint64_t pre, std::uint64_t post) {
        if (!(d >= dt * (1.0 - 1e-9)) || !std::isfinite(d))
            throw bad_parameter(
                located(where, "projection " + name + ": delay = " + format_number(d) +
                                   " ms (synapse " + std::to_string(pre) + " -> " +
                                   std::to_string(post) + ") must be >= dt = " + format_number(dt) +
                                   " ms; clip drawn delays with normal_clipped and low >= dt"));
        return static_cast<std::uint32_t>(d / dt + 0.5); // d > 0: rounds half up, as lround
    };
    if (!proj.varying_delay) proj.delay = delay_steps(delay.constant(), 0, 0);

    // Pass 1: synapses per source in each shard.
    const unsigned shards = ctx.parts.threads;
    const std::uint64_t n_pre = ctx.pre->size();
    proj.shards.resize(shards);
    parallel_for(shards, shards, [&](unsigned t) {
        csr_shard& s = proj.shards[t];
        s.offsets.assign(n_pre + 1, 0);
        gen.run(ctx.parts.chunk(ctx.post->size(), t),
                [&](std::uint64_t pre, std::uint64_t, std::uint32_t, std::uint32_t) {
                    ++s.offsets[pre + 1];
                });
        for (std::uint64_t i = 0; i < n_pre; ++i) s.offsets[i + 1] += s.offsets[i];
    });

    // Delays share the target's 32-bit word: the target's bits below, the delay above.
    if (proj.varying_delay) {
        proj.delay_shift = static_cast<std::uint32_t>(
            std::max(1, static_cast<int>(std::bit_width(ctx.post->size() - 1))));
        proj.target_mask = (std::uint32_t{1} << proj.delay_shift) - 1;
    }
    const std::uint64_t delay_limit = std::uint64_t{1} << (32 - std::min(proj.delay_shift, 32u));

    // Weight and delay both drawn through normals share one Philox block per synapse (its own
    // slot), turned into two normals by the ziggurat: no logarithm or cosine per synapse.
    const bool joint_normals = weight.normal_based() && delay.normal_based();
    constexpr std::uint32_t joint_slot = 3;

    // Pass 2: the same synapses again, written in place.
    std::vector<std::uint32_t> shard_max_delay(shards, proj.delay);
    parallel_for(shards, shards, [&](unsigned t) {
        csr_shard& s = proj.shards[t];
        const std::uint64_t total = s.offsets[n_pre];
        resize_on_huge_pages(s.targets, total);
        if (proj.varying_weight) resize_on_huge_pages(s.weights, total);
        if (varying_im) resize_on_huge_pages(s.weights_im, total);
        std::uint32_t max_d = proj.delay;
        std::vector<std::uint64_t> next(s.offsets.begin(), s.offsets.end() - 1);
        gen.run(ctx.parts.chunk(ctx.post->size(), t), [&](std::uint64_t pre, std::uint64_t post,
                                                          std::uint32_t a, std::uint32_t b) {
            const std::uint64_t at = next[pre]++;
            auto target = static_cast<std::uint32_t>(post);
            double z[2];
            if (joint_normals) std::tie(z[0], z[1]) = ziggurat_pair(value_rng, a, b, joint_slot);
            const double* z_weight = joint_normals ? &z[0] : nullptr;
            const double* z_delay = joint_normals ? &z[1] : nullptr;
            if (proj.varying_delay) {
                const std::uint32_t d = delay_steps(delay.at(value_rng, a, b, z_delay), pre, post);
                max_d = std::max(max_d, d);
                target |= static_cast<std::uint32_t>(std::min<std::uint64_t>(d, delay_limit - 1))
                          << proj.delay_shift;
            }
            s.targets[at] = target;
            if (proj.varying_weight)
                s.weights[at] = static_cast<float>(weight.at(value_rng, a, b, z_weight));
            if (varying_im) s.weights_im[at] = static_cast<float>(weight_im.at(value_rng, a, b));
        });
        shard_max_delay[t] = max_d;
    });
    proj.max_delay = *std::max_element(shard_max_delay.begin(), shard_max_delay.end());
    if (proj.varying_delay && proj.max_delay >= delay_limit)
        throw bad_config(located(where, "projection " + name + ": delays up to " +
                                            std::to_string(proj.max_delay) + " steps onto " +
                                            std::to_string(ctx.post->size()) +
                                            " targets do not fit 32-bit synapses"));
    for (const auto& s : proj.shards) proj.synapses += s.offsets[n_pre];
    if (plastic)
        attach_plasticity(proj, syn.plasticity, ctx.parts, n_pre, ctx.post->size(), dt, ctx.seed,
                          ctx.index, where);
    return proj;
}

} // namespace nm
