// Training files (TOML): [data], [input], [[layer]], [loss], [optimizer], [train]; every key
// checked, every error located.
#include "io/toml_reader.hpp"
#include "nm/train.hpp"

namespace nm {

namespace {

class train_reader : public toml_reader {
public:
    using toml_reader::toml_reader;

    template<class T>
    void get(const toml::table& t, const char* key, T& into, const std::string& ctx) const {
        const toml::node* x = t.get(key);
        if (!x) return;
        const std::string what = ctx + "." + key;
        if constexpr (std::is_same_v<T, std::string>)
            into = string(*x, what);
        else if constexpr (std::is_same_v<T, bool>)
            into = boolean(*x, what);
        else if constexpr (std::is_integral_v<T>)
            into = static_cast<T>(count(*x, what));
        else
            into = number(*x, what);
    }

    data_spec data(const toml::table& t) const {
        check_keys(t,
                   {"dataset", "label", "test_fraction", "validation_fraction", "limit_train",
                    "limit_test", "shape", "flip", "shift"},
                   "[data]");
        data_spec d;
        d.where = where(t);
        get(t, "dataset", d.dataset, "data");
        get(t, "label", d.label, "data");
        get(t, "test_fraction", d.test_fraction, "data");
        get(t, "validation_fraction", d.validation_fraction, "data");
        get(t, "limit_train", d.limit_train, "data");
        get(t, "limit_test", d.limit_test, "data");
        if (const auto* x = t.get("shape")) d.shape = indices(*x, "data.shape");
        get(t, "flip", d.flip, "data");
        get(t, "shift", d.shift, "data");
        return d;
    }

    layer_spec layer(const toml::table& t) const {
        check_keys(t,
                   {"kind",
                    "size",
                    "beta",
                    "threshold",
                    "reset",
                    "surrogate",
                    "slope",
                    "learn_beta",
                    "detach_reset",
                    "init_gain",
                    "channels",
                    "kernel",
                    "stride",
                    "padding",
                    "p",
                    "adapt",
                    "adapt_decay",
                    "alpha",
                    "recurrent",
                    "factor",
                    "from",
                    "learn_threshold",
                    "n_max",
                    "omega"},
                   "[[layer]]");
        layer_spec l;
        l.where = where(t);
        l.kind = string(required(t, "kind", "[[layer]]"), "layer.kind");
        get(t, "size", l.size, "layer");
        get(t, "beta", l.beta, "layer");
        get(t, "threshold", l.threshold, "layer");
        get(t, "reset", l.reset, "layer");
        get(t, "surrogate", l.surrogate, "layer");
        get(t, "slope", l.slope, "layer");
        get(t, "learn_beta", l.learn_beta, "layer");
        get(t, "detach_reset", l.detach_reset, "layer");
        get(t, "init_gain", l.init_gain, "layer");
        get(t, "channels", l.channels, "layer");
        get(t, "kernel", l.kernel, "layer");
        get(t, "stride", l.stride, "layer");
        get(t, "padding", l.padding, "layer");
        get(t, "p", l.p, "layer");
        get(t, "adapt", l.adapt, "layer");
        get(t, "adapt_decay", l.adapt_decay, "layer");
        get(t, "alpha", l.alpha, "layer");
        get(t, "recurrent", l.recurrent, "layer");
        get(t, "factor", l.factor, "layer");
        get(t, "from", l.from, "layer");
        get(t, "learn_threshold", l.learn_threshold, "layer");
        get(t, "n_max", l.n_max, "layer");
        get(t, "omega", l.omega, "layer");
        return l;
    }
};

} // namespace

train_spec parse_train_spec(const std::string& text, const std::string& source) {
    const toml::table doc = parse_toml(text, source);
    const train_reader rd(source);
    rd.check_keys(doc, {"data", "input", "layer", "loss", "optimizer", "train"}, "top level");
    train_spec s;
    s.source = source;
    s.text = text;
    if (const auto* n = doc.get("data")) s.data = rd.data(rd.table(*n, "[data]"));
    if (const auto* n = doc.get("input")) {
        const toml::table& t = rd.table(*n, "[input]");
        for (auto&& [k, v] : t) {
            const std::string key(k.str());
            if (key == "scheme")
                s.scheme = rd.string(v, "input.scheme");
            else
                s.code.push_back({key, rd.value(v, "input." + key), rd.where(k)});
        }
    }
    if (const auto* n = doc.get("layer"))
        rd.each_table(*n, "layer", [&](const toml::table& t) { s.layers.push_back(rd.layer(t)); });
    if (const auto* n = doc.get("loss")) {
        const toml::table& t = rd.table(*n, "[loss]");
        rd.check_keys(t, {"kind", "rate_reg"}, "[loss]");
        rd.get(t, "kind", s.loss, "loss");
        rd.get(t, "rate_reg", s.rate_reg, "loss");
    }
    if (const auto* n = doc.get("optimizer")) {
        const toml::table& t = rd.table(*n, "[optimizer]");
        rd.check_keys(
            t, {"kind", "lr", "momentum", "weight_decay", "clip", "schedule", "step_size", "gamma"},
            "[optimizer]");
        rd.get(t, "kind", s.optimizer, "optimizer");
        rd.get(t, "lr", s.lr, "optimizer");
        rd.get(t, "momentum", s.momentum, "optimizer");
        rd.get(t, "weight_decay", s.weight_decay, "optimizer");
        rd.get(t, "clip", s.clip, "optimizer");
        rd.get(t, "schedule", s.schedule, "optimizer");
        rd.get(t, "step_size", s.step_size, "optimizer");
        rd.get(t, "gamma", s.gamma, "optimizer");
    }
    if (const auto* n = doc.get("train")) {
        const toml::table& t = rd.table(*n, "[train]");
        rd.check_keys(t, {"epochs", "batch", "seed", "threads", "device", "precision"}, "[train]");
        rd.get(t, "epochs", s.epochs, "train");
        rd.get(t, "batch", s.batch, "train");
        rd.get(t, "seed", s.seed, "train");
        rd.get(t, "threads", s.threads, "train");
        rd.get(t, "device", s.device, "train");
        rd.get(t, "precision", s.precision, "train");
    }
    return s;
}

train_spec load_train_spec(const std::string& path) {
    return parse_train_spec(read_text(path, "training file"), path);
}

} // namespace nm
