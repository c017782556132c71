// Experiment files: every documented bad input gives an error naming file, line, key or value
// and what is allowed; good files load with all their fields.
#include <nm/errors.hpp>
#include <nm/io.hpp>
#include <nm/simulation.hpp>

#include <gtest/gtest.h>

#include <string>

namespace nm {
namespace {

const std::string base = R"(
[simulation]
dt = 0.1
duration = 10.0

[[population]]
name = "exc"
size = 10
model = "lif"
params = { tau_m = 20.0, v_th = 20.0 }
)";

// The message of the nm::error that loading and building `text` throws ("" if none).
std::string error_of(const std::string& text) {
    try {
        const experiment e = parse_experiment(text, "exp.toml");
        simulation sim(e);
    } catch (const nm::error& err) {
        return err.what();
    }
    return "";
}

void expect_error(const std::string& text, std::initializer_list<std::string> parts) {
    const std::string msg = error_of(text);
    ASSERT_FALSE(msg.empty()) << "no error for:\n" << text;
    for (const auto& p : parts)
        EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
}

TEST(toml, a_good_file_loads_every_field) {
    const experiment e = parse_experiment(base + R"(
[[projection]]
pre = "exc"
post = "exc"
rule = { kind = "fixed_probability", p = 0.2, allow_autapses = false }
synapse = { kind = "exp", tau_syn = 2.0, weight = { dist = "normal", mean = 0.5, std = 0.1 }, delay = 1.5 }

[[stimulus]]
kind = "poisson"
target = "exc"
rate = 100.0
weight = 0.2

[[record]]
what = "v"
population = "exc"
neurons = [1, 2]
interval = 0.5
)",
                                          "exp.toml");
    ASSERT_EQ(e.populations.size(), 1u);
    EXPECT_EQ(e.populations[0].size, 10u);
    EXPECT_EQ(e.projections[0].rule.kind, "fixed_probability");
    EXPECT_DOUBLE_EQ(e.projections[0].rule.p, 0.2);
    EXPECT_FALSE(e.projections[0].rule.allow_autapses);
    EXPECT_EQ(std::get<distribution>(e.projections[0].synapse.weight).kind, "normal");
    EXPECT_EQ(e.stimuli[0].targets, std::vector<std::string>{"exc"});
    EXPECT_EQ(e.records[0].neurons, (std::vector<std::uint64_t>{1, 2}));
    EXPECT_EQ(error_of(base), "");
}

TEST(toml, unknown_key_names_file_line_and_nearest_key) {
    expect_error("[simulation]\ndtt = 0.1\n",
                 {"exp.toml:2:1", "unknown key \"dtt\"", "did you mean \"dt\""});
    expect_error("[simulaton]\n", {"exp.toml:1", "did you mean \"simulation\""});
}

TEST(toml, unknown_parameter_suggests_the_model_field) {
    expect_error(
        base + "[[population]]\nname = \"x\"\nsize = 1\nparams = { tau_mem = 5.0 }\n",
        {"exp.toml:14", "unknown parameter \"tau_mem\"", "model lif", "did you mean \"tau_m\""});
}

TEST(toml, bad_values_quote_value_and_allowed_range) {
    expect_error(base + "[[population]]\nname = \"x\"\nsize = 1\nparams = { tau_m = -5.0 }\n",
                 {"exp.toml:14", "population \"x\"", "tau_m = -5 ms must be > 0"});
    expect_error("[simulation]\ndt = 0.0\n[[population]]\nname = \"a\"\nsize = 1\n",
                 {"exp.toml", "dt = 0 ms must be > 0"});
    expect_error(base +
                     "[[population]]\nname = \"x\"\nsize = 1\nparams = { reset = \"soft-ish\" }\n",
                 {"reset = \"soft-ish\" must be one of \"hard\", \"soft\", \"none\""});
    expect_error(base + "[[population]]\nname = \"x\"\nsize = 1\nparams = { noise = \"erf\" }\n",
                 {"sigma = 0 must be > 0 when noise"});
    expect_error(
        base + "[[population]]\nname = \"x\"\nsize = 2\nparams = { v_th = [1.0, 2.0, 3.0] }\n",
        {"v_th has 3 values", "needs exactly 2"});
}

TEST(toml, trials_errors) {
    const std::string trials = "[trials]\ninput = \"exc\"\nreadout = \"exc\"\n"
                               "patterns = [[0.5, 0.5]]\nlabels = [0]\nlearn = 2\n";
    expect_error(base + trials, {"exp.toml:2", "[simulation] duration", "[trials] sets"});
    const std::string no_duration = "[[population]]\nname = \"exc\"\nsize = 2\n";
    expect_error(no_duration + trials + "presnt = 100.0\n",
                 {"exp.toml:10", "presnt", "did you mean \"present\""});
    expect_error(no_duration + trials + "rest = -1.0\n", {"exp.toml:4", "rest = -1"});
    expect_error(no_duration + "[trials]\ninput = \"exc\"\n", {"[trials]", "readout"});
}

TEST(toml, projection_errors) {
    const std::string proj = "[[projection]]\npre = \"exc\"\npost = \"exc\"\n";
    expect_error(base + proj + "synapse = { delay = 0.05 }\n",
                 {"delay = 0.05 ms", "must be >= dt = 0.1 ms"});
    expect_error(base + proj + "rule = { kind = \"fixed_probability\", p = 1.5 }\n",
                 {"exp.toml:14", "p = 1.5 must be in [0, 1]"});
    expect_error(base + "[[projection]]\npre = \"exc\"\npost = \"exk\"\n",
                 {"exp.toml:11", "unknown population \"exk\"", "did you mean \"exc\""});
    expect_error(base + proj + "rule = { kind = \"fixed_indegre\", k = 3 }\n",
                 {"unknown connection rule", "did you mean \"fixed_indegree\""});
    expect_error(base + proj +
                     "rule = { kind = \"fixed_indegree\", k = 11, allow_multapses = false }\n",
                 {"k = 11 distinct partners requested but only 10 exist"});
    expect_error(base + proj + "synapse = { weight_im = 1.0 }\n",
                 {"weight_im needs a delta synapse onto a complex"});
    expect_error(base + proj + "synapse = { weight = { dist = \"gauss\", mean = 1.0 } }\n",
                 {"unknown distribution \"gauss\""});
    expect_error(base + proj + "propagation = \"sideways\"\n",
                 {"exp.toml:11", "propagation = \"sideways\" must be auto, pre or post"});
}

TEST(toml, synapse_port_errors) {
    const std::string proj = "[[projection]]\npre = \"exc\"\npost = \"exc\"\n";
    expect_error(base + proj + "synapse = { kind = \"cond_ex\" }\n",
                 {"exp.toml:", "unknown synapse kind \"cond_ex\"", "did you mean \"cond_exp\""});
    expect_error(base + proj + "synapse = { kind = \"alpha\", tau_syn = 0.0 }\n",
                 {"tau_syn = 0 ms must be > 0"});
    expect_error(base + proj + "synapse = { kind = \"cond_exp\", weight = -1.0 }\n",
                 {"weight = -1 must be >= 0 for a conductance"});
    expect_error(base + proj + "synapse = { kind = \"cond_exp\", port = \"ampa\" }\n" + proj +
                     "synapse = { kind = \"cond_exp\", port = \"ampa\", e_rev = -80.0 }\n",
                 {"port \"ampa\" is already cond_exp", "e_rev = 0 mV", "not cond_exp"});
    expect_error(base + "[[population]]\nname = \"res\"\nsize = 2\nmodel = \"rf\"\n"
                        "[[projection]]\npre = \"exc\"\npost = \"res\"\n"
                        "synapse = { kind = \"cond_alpha\" }\n",
                 {"conductance synapses need a real-valued membrane"});
    expect_error(base + "[[stimulus]]\nkind = \"poisson\"\ntarget = \"exc\"\nrate = 10.0\n"
                        "synapse = \"conductance\"\n",
                 {"unknown synapse kind \"conductance\""});
    // Two receptor ports on one population load and run.
    EXPECT_EQ(error_of(base + proj + "synapse = { kind = \"cond_exp\", e_rev = 0.0 }\n" + proj +
                       "synapse = { kind = \"cond_exp\", tau_syn = 10.0, e_rev = -80.0 }\n"),
              "");
}

TEST(toml, ode_model_parameters_are_checked) {
    auto with = [](const std::string& model, const std::string& params) {
        return "[simulation]\ndt = 0.1\nduration = 5.0\n[[population]]\nname = \"n\"\nsize = 1\n"
               "model = \"" +
               model + "\"\nparams = { " + params + " }\n";
    };
    expect_error(with("izhikevich", "c = 40.0"), {"c = 40 mV must be below v_peak = 30 mV"});
    expect_error(with("adex", "v_reset = 10.0"), {"v_reset = 10 mV must be below v_peak = 0 mV"});
    expect_error(with("adex", "delta_t = 0.0"), {"delta_t = 0", "must be > 0"});
    expect_error(with("hodgkin_huxley", "method = \"euler\""),
                 {"method = \"euler\" must be one of \"rk4\", \"rk45\""});
    expect_error(with("exp_lif", "atol = 0.0"), {"atol = 0", "must be > 0"});
    expect_error(with("fitzhugh_nagumo", "tau_w = -1.0"), {"tau_w = -1 ms must be > 0"});
}

TEST(toml, stimulus_and_record_errors) {
    expect_error(base + "[[stimulus]]\nkind = \"poisson\"\ntarget = \"exc\"\nrate = -3.0\n",
                 {"exp.toml:14", "rate = -3 Hz must be >= 0"});
    expect_error(base + "[[stimulus]]\nkind = \"poison\"\ntarget = \"exc\"\n",
                 {"did you mean \"poisson\""});
    expect_error(base + "[[stimulus]]\nkind = \"dc\"\ntarget = \"exc\"\namplitde = 1.0\n",
                 {"unknown parameter \"amplitde\"", "did you mean \"amplitude\""});
    expect_error(base + "[[stimulus]]\nkind = \"dc\"\ntarget = \"nobody\"\n",
                 {"unknown target population \"nobody\""});
    expect_error(base + "[[record]]\nwhat = \"vm\"\npopulation = \"exc\"\n",
                 {"has no state \"vm\"", "did you mean \"v\""});
    expect_error(base + "[[record]]\npopulation = \"exc\"\nneurons = [10]\n",
                 {"neuron 10 is outside population"});
}

TEST(toml, syntax_and_type_errors_are_located) {
    expect_error("[simulation]\ndt = = 0.1\n", {"exp.toml:2", "TOML syntax error"});
    expect_error(base + "[[population]]\nname = \"x\"\nsize = 1.5\n",
                 {"exp.toml:13", "size must be a non-negative integer"});
    expect_error(base + "[[population]]\nname = \"exc\"\nsize = 1\n", {"name is used twice"});
    expect_error(base + "[[population]]\nname = \"y\"\nsize = 1\nmodel = \"lfi\"\n",
                 {"unknown model \"lfi\"", "did you mean \"lif\""});
}

TEST(toml, missing_file_is_an_io_error) {
    EXPECT_THROW(load_experiment("/nonexistent/x.toml"), nm::io_error);
}

} // namespace
} // namespace nm
