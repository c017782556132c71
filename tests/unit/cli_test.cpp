// The CLI end to end: help everywhere, exit code 2 with a located message on bad input and no
// files left behind, and a complete run folder on success.
#include "scratch.hpp"
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace {

namespace fs = std::filesystem;

struct result {
    int code;
    std::string output;
};

result run_cli(const std::string& args) {
    const std::string cmd = std::string(NM_CLI) + " " + args + " 2>&1";
    FILE* pipe = popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    while (std::fgets(buf, sizeof buf, pipe)) out += buf;
    const int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

fs::path scratch(const std::string& name) {
    const fs::path dir = nm::test::scratch_path(name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

void write(const fs::path& p, const std::string& text) {
    std::ofstream(p) << text;
}

TEST(cli, help_works_for_every_command) {
    for (const char* args : {"--help", "simulate --help", "models --help"}) {
        const result r = run_cli(args);
        EXPECT_EQ(r.code, 0) << args;
        EXPECT_NE(r.output.find("Usage"), std::string::npos) << args;
    }
}

TEST(cli, bad_arguments_exit_2) {
    EXPECT_EQ(run_cli("").code, 2);
    EXPECT_EQ(run_cli("simulate").code, 2);
    EXPECT_EQ(run_cli("simulate /nonexistent.toml").code, 2);
    EXPECT_EQ(run_cli("frobnicate").code, 2);
}

TEST(cli, bad_file_exits_2_with_location_and_writes_nothing) {
    const fs::path dir = scratch("bad");
    write(dir / "bad.toml", "[simulation]\ndt = 0.1\n[[population]]\nname = \"a\"\nsize = 3\n"
                            "params = { tau_m = -1.0 }\n");
    const result r =
        run_cli("simulate " + (dir / "bad.toml").string() + " --out " + (dir / "out").string());
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.output.find("bad.toml:6"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("tau_m = -1 ms must be > 0"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(cli, simulate_writes_a_complete_run_folder) {
    const fs::path dir = scratch("good");
    write(dir / "net.toml", R"([simulation]
dt = 0.1
duration = 50.0
[[population]]
name = "n"
size = 5
params = { tau_m = 10.0 }
[[stimulus]]
kind = "dc"
target = "n"
amplitude = 2.0
[[record]]
population = "n"
[[record]]
what = "v"
population = "n"
)");
    const fs::path out = dir / "run";
    const result r = run_cli("simulate " + (dir / "net.toml").string() + " --out " + out.string() +
                             " --threads 2 --seed 3");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("ISI CV"), std::string::npos);
    for (const char* f :
         {"metrics.json", "spikes.csv", "spikes.bin", "raster.svg", "traces_n_v.csv"})
        EXPECT_TRUE(fs::exists(out / f)) << f;
    std::ifstream in(out / "metrics.json");
    const auto m = nlohmann::json::parse(in);
    for (const char* key : {"neurons", "synapses", "build_s", "simulate_s", "real_time_factor",
                            "spikes_total", "synaptic_events", "populations"})
        EXPECT_TRUE(m.contains(key)) << key;
    EXPECT_EQ(m["neurons"], 5);
    EXPECT_EQ(m["threads"], 2);
    EXPECT_EQ(m["seed"], 3);
    const auto& pop = m["populations"][0];
    for (const char* key : {"name", "size", "spikes", "rate_hz", "isi_cv"})
        EXPECT_TRUE(pop.contains(key)) << key;
    std::ifstream csv(out / "spikes.csv");
    std::string header;
    std::getline(csv, header);
    EXPECT_EQ(header, "population,neuron,time_ms");
    int rows = 0;
    for (std::string line; std::getline(csv, line);) ++rows;
    EXPECT_EQ(rows, m["spikes_total"].get<int>());
    for (const auto& entry : fs::directory_iterator(out))
        EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
}

TEST(cli, models_lists_models_and_stimuli) {
    const result r = run_cli("models");
    EXPECT_EQ(r.code, 0);
    for (const char* name : {"lif", "alif", "rf", "li", "poisson", "chirp", "tau_m"})
        EXPECT_NE(r.output.find(name), std::string::npos) << name;
}

} // namespace

namespace {

TEST(cli, encode_reports_cost_and_writes_spikes) {
    const fs::path dir = scratch("encode");
    const result r = run_cli("encode --dataset iris --scheme latency --param steps=30 --out " +
                             (dir / "enc").string());
    ASSERT_EQ(r.code, 0) << r.output;
    for (const char* s : {"spikes / sample", "round-trip error", "decoding window", "samples/s"})
        EXPECT_NE(r.output.find(s), std::string::npos) << s;
    EXPECT_TRUE(fs::exists(dir / "enc" / "spikes.csv"));
    std::ifstream in(dir / "enc" / "code.json");
    const auto j = nlohmann::json::parse(in);
    EXPECT_EQ(j[0]["scheme"], "latency");
    EXPECT_EQ(j[0]["samples"], 150);
    EXPECT_EQ(j[0]["steps"], 30);
}

TEST(cli, encode_errors_exit_2_with_the_reason) {
    const fs::path dir = scratch("encode_bad");
    write(dir / "ragged.csv", "a,b\n1,2\n3\n");
    result r =
        run_cli("encode --in " + (dir / "ragged.csv").string() + " --out " + (dir / "o").string());
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.output.find("ragged.csv:3: 1 columns"), std::string::npos) << r.output;
    r = run_cli("encode --dataset iris --param max_rate=-1");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.output.find("max_rate = -1 Hz must be >= 0"), std::string::npos) << r.output;
    r = run_cli("encode --dataset iris --param steps");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.output.find("expected NAME=VALUE"), std::string::npos) << r.output;
    EXPECT_EQ(run_cli("encode --dataset iris --scheme morse").code, 2);
    EXPECT_EQ(run_cli("encode --help").code, 0);
}

} // namespace

namespace {

TEST(cli, cost_of_a_simulation_run_and_an_unknown_platform) {
    const fs::path dir = scratch("cost");
    write(dir / "net.toml", R"([simulation]
duration = 100.0
[[population]]
name = "n"
size = 20
params = { tau_m = 10.0 }
[[projection]]
pre = "n"
post = "n"
rule = { kind = "fixed_indegree", k = 5 }
[[stimulus]]
kind = "dc"
target = "n"
amplitude = 2.0
)");
    ASSERT_EQ(run_cli("simulate " + (dir / "net.toml").string() + " --out " +
                      (dir / "run").string() + " -q")
                  .code,
              0);
    const result r = run_cli("cost " + (dir / "run").string() + " --platform Loihi-2");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("Loihi-2"), std::string::npos);
    EXPECT_NE(r.output.find("First-order estimates"), std::string::npos);
    std::ifstream in(dir / "run" / "cost.json");
    const auto j = nlohmann::json::parse(in);
    EXPECT_EQ(j["platforms"][0]["platform"], "Loihi-2");
    EXPECT_TRUE(j["platforms"][0]["fits"].get<bool>());
    EXPECT_DOUBLE_EQ(j["platforms"][0]["energy_j"].get<double>(),
                     j["sops"].get<double>() * 1.61e-11);
    const result bad = run_cli("cost " + (dir / "run").string() + " --platform Loihi-3");
    EXPECT_EQ(bad.code, 2);
    EXPECT_NE(bad.output.find("unknown platform \"Loihi-3\"; known: SpiNNaker-1, TrueNorth"),
              std::string::npos)
        << bad.output;
    EXPECT_EQ(run_cli("cost " + dir.string()).code, 2); // no metrics.json there
}

} // namespace
