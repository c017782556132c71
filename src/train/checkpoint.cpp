// Checkpoint files: write (atomically), read with validation, restore into a model.
#include "train/checkpoint.hpp"

#include "io/atomic_file.hpp"
#include "nm/errors.hpp"

#include <fstream>

namespace nm::train {

namespace {

constexpr char magic[8] = {'N', 'M', 'C', 'K', 'P', 'T', '0', '1'};

template<class T>
void put(std::ofstream& out, const T& x) {
    out.write(reinterpret_cast<const char*>(&x), sizeof x);
}

void put_string(std::ofstream& out, const std::string& s) {
    put<std::uint64_t>(out, s.size());
    out.write(s.data(), static_cast<std::streamsize>(s.size()));
}

void put_values(std::ofstream& out, const std::string& name, const std::vector<float>& v) {
    put_string(out, name);
    put<std::uint64_t>(out, v.size());
    out.write(reinterpret_cast<const char*>(v.data()),
              static_cast<std::streamsize>(v.size() * sizeof(float)));
}

class reader {
public:
    explicit reader(const std::string& path) : path_(path), in_(path, std::ios::binary) {
        if (!in_) throw io_error(path + ": cannot open the checkpoint");
    }
    template<class T>
    T get() {
        T x{};
        read(&x, sizeof x);
        return x;
    }
    std::string string() {
        const auto n = get<std::uint64_t>();
        if (n > (1ull << 30)) corrupt();
        std::string s(n, '\0');
        read(s.data(), n);
        return s;
    }
    named_values values() {
        named_values v{string(), {}};
        const auto n = get<std::uint64_t>();
        if (n > (1ull << 34)) corrupt();
        v.values.resize(n);
        read(v.values.data(), n * sizeof(float));
        return v;
    }
    void read(void* into, std::size_t bytes) {
        in_.read(static_cast<char*>(into), static_cast<std::streamsize>(bytes));
        if (!in_) corrupt();
    }
    [[noreturn]] void corrupt() { throw io_error(path_ + ": truncated or corrupt checkpoint"); }

private:
    std::string path_;
    std::ifstream in_;
};

} // namespace

void write_checkpoint(const std::string& path, const std::string& spec_text,
                      std::uint32_t epochs_done, const std::vector<epoch_record>& curve,
                      std::vector<parameter<float>>& params, optimizer<float>& opt) {
    write_atomically(path, [&](std::ofstream& out) {
        out.write(magic, sizeof magic);
        put_string(out, spec_text);
        put<std::uint32_t>(out, epochs_done);
        put<std::uint64_t>(out, curve.size());
        for (const auto& e : curve) put(out, e);
        put<std::uint64_t>(out, opt.steps());
        put<std::uint64_t>(out, params.size());
        for (std::size_t i = 0; i < params.size(); ++i) {
            put_values(out, params[i].name, *params[i].value);
            const bool moments = i < opt.first_moments().size();
            put_values(out, params[i].name,
                       moments ? opt.first_moments()[i]
                               : std::vector<float>(params[i].value->size(), 0.f));
            put_values(out, params[i].name,
                       moments ? opt.second_moments()[i]
                               : std::vector<float>(params[i].value->size(), 0.f));
        }
    });
}

checkpoint read_checkpoint(const std::string& path) {
    reader in(path);
    char m[8];
    in.read(m, sizeof m);
    if (!std::equal(m, m + 8, magic)) throw io_error(path + ": not a neuromorph checkpoint");
    checkpoint ck;
    ck.spec_text = in.string();
    ck.epochs_done = in.get<std::uint32_t>();
    const auto epochs = in.get<std::uint64_t>();
    if (epochs > 1'000'000) in.corrupt();
    for (std::uint64_t e = 0; e < epochs; ++e) ck.curve.push_back(in.get<epoch_record>());
    ck.optimizer_steps = in.get<std::uint64_t>();
    const auto n = in.get<std::uint64_t>();
    if (n > 100'000) in.corrupt();
    for (std::uint64_t i = 0; i < n; ++i) {
        ck.params.push_back(in.values());
        ck.first_moments.push_back(in.values());
        ck.second_moments.push_back(in.values());
    }
    return ck;
}

void restore(const checkpoint& ck, std::vector<parameter<float>>& params, optimizer<float>& opt) {
    if (ck.params.size() != params.size())
        throw bad_config("checkpoint has " + std::to_string(ck.params.size()) +
                         " parameter tensors, the model " + std::to_string(params.size()));
    opt.first_moments().resize(params.size());
    opt.second_moments().resize(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (ck.params[i].name != params[i].name ||
            ck.params[i].values.size() != params[i].value->size())
            throw bad_config("checkpoint parameter \"" + ck.params[i].name + "\" (" +
                             std::to_string(ck.params[i].values.size()) +
                             " values) does not match \"" + params[i].name + "\" (" +
                             std::to_string(params[i].value->size()) + ")");
        *params[i].value = ck.params[i].values;
        opt.first_moments()[i] = ck.first_moments[i].values;
        opt.second_moments()[i] = ck.second_moments[i].values;
    }
    opt.set_steps(ck.optimizer_steps);
}

} // namespace nm::train
