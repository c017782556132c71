// Training primitives: every backward pass against central finite differences in double
// precision (neurons firing through the surrogate's smooth antiderivative, so the backward is
// the exact gradient), the fused LIF forward against a step-by-step reference, and the losses.
#include "train/conv.hpp"
#include "train/loss.hpp"
#include "train/model.hpp"
#include "train/optimizer.hpp"
#include "train/parallel.hpp"

#include "layer_specs.hpp"

#include <nm/errors.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>

namespace nm::train {
namespace {

constexpr int steps = 6, batch = 3, inputs = 5, classes = 4;

std::vector<double> random_values(std::size_t n, std::uint32_t stream, double scale) {
    const rng_stream rng(99, stream);
    std::vector<double> x(n);
    for (std::size_t i = 0; i < n; ++i)
        x[i] = scale * (2 * rng.uniform(static_cast<std::uint32_t>(i), 0) - 1);
    return x;
}

struct grad_case {
    std::string name;
    std::vector<layer_spec> layers;
    loss_kind loss;
    image_shape input{inputs, 1, 1};
};

using test::conv_layer;
using test::dense_layer;
using test::pool_layer;

layer_spec neuron(const std::string& kind, const std::string& reset, const std::string& surrogate,
                  bool learn_beta) {
    layer_spec s;
    s.kind = kind;
    s.beta = 0.8;
    s.threshold = 0.5;
    s.reset = reset;
    s.surrogate = surrogate;
    s.slope = 1.5;
    s.learn_beta = learn_beta;
    s.detach_reset = false; // the exact gradient of the smooth forward
    return s;
}

class gradients : public ::testing::TestWithParam<grad_case> {};

TEST_P(gradients, backward_matches_finite_differences) {
    const grad_case& c = GetParam();
    model<double> net(c.layers, c.input.size(), classes, 7, c.input);
    net.set_smooth(true);
    const std::vector<double> x = random_values(steps * batch * c.input.size(), 1, 1.0);
    const std::vector<std::int32_t> labels{2, 0, 3};
    loss_options lo;
    lo.kind = c.loss;
    std::vector<double> dy, logits;
    auto loss_at = [&] {
        const double* y = net.forward(x.data(), steps, batch);
        return compute_loss(lo, y, steps, batch, classes, labels.data(), dy, logits);
    };
    net.zero_grad();
    loss_at();
    net.backward(dy.data(), steps, batch);
    auto params = net.parameters();
    ASSERT_FALSE(params.empty());
    int checked = 0;
    for (auto& p : params) {
        std::vector<double> analytic = *p.grad;
        for (std::size_t k = 0; k < p.value->size(); k += 1 + p.value->size() / 12) {
            const double keep = (*p.value)[k], h = 1e-6;
            (*p.value)[k] = keep + h;
            const double up = loss_at();
            (*p.value)[k] = keep - h;
            const double down = loss_at();
            (*p.value)[k] = keep;
            const double numeric = (up - down) / (2 * h);
            EXPECT_NEAR(analytic[k], numeric, 1e-6 + 1e-5 * std::abs(numeric))
                << c.name << " " << p.name << "[" << k << "]";
            ++checked;
        }
    }
    EXPECT_GT(checked, 5);
}

std::vector<grad_case> cases() {
    std::vector<grad_case> out;
    for (const char* reset : {"zero", "subtract", "none"})
        for (const char* sg : {"arctan", "fast_sigmoid", "erf", "triangle"})
            out.push_back({std::string("lif_") + reset + "_" + sg,
                           {dense_layer(6), neuron("lif", reset, sg, true), dense_layer(classes),
                            neuron("lif", reset, sg, false)},
                           loss_kind::ce_count});
    out.push_back({"li_readout_ce_mean",
                   {dense_layer(6), neuron("lif", "subtract", "arctan", false),
                    dense_layer(classes, false), neuron("li", "zero", "arctan", true)},
                   loss_kind::ce_mean});
    out.push_back({"li_readout_ce_max",
                   {dense_layer(6), neuron("lif", "zero", "erf", false), dense_layer(classes),
                    neuron("li", "zero", "arctan", false)},
                   loss_kind::ce_max});
    out.push_back({"mse_count",
                   {dense_layer(classes), neuron("lif", "subtract", "fast_sigmoid", true)},
                   loss_kind::mse_count});
    for (const char* reset : {"zero", "subtract", "none"}) {
        layer_spec a = neuron("alif", reset, "arctan", false);
        a.adapt = 0.3;
        a.adapt_decay = 0.9;
        out.push_back(
            {std::string("alif_") + reset,
             {dense_layer(6), a, dense_layer(classes), neuron("li", "zero", "arctan", false)},
             loss_kind::ce_mean});
    }
    out.push_back({"if_layer",
                   {dense_layer(classes), neuron("if", "subtract", "arctan", false)},
                   loss_kind::ce_count});
    for (const char* reset : {"zero", "subtract", "none"}) {
        layer_spec c = neuron("cuba_lif", reset, "arctan", true);
        c.alpha = 0.7;
        out.push_back(
            {std::string("cuba_lif_") + reset,
             {dense_layer(6), c, dense_layer(classes), neuron("lif", reset, "erf", false)},
             loss_kind::ce_count});
    }
    for (const char* reset : {"zero", "subtract"}) {
        layer_spec r = neuron("lif", reset, "fast_sigmoid", false);
        r.recurrent = true;
        r.init_gain = 1.5;
        out.push_back(
            {std::string("recurrent_lif_") + reset,
             {dense_layer(6), r, dense_layer(classes), neuron("li", "zero", "arctan", false)},
             loss_kind::ce_mean});
    }
    {
        layer_spec add;
        add.kind = "add";
        add.from = 2; // the first lif's spikes skip the second dense + lif
        layer_spec scale;
        scale.kind = "scale";
        scale.factor = 0.5;
        out.push_back({"residual_add_and_scale",
                       {dense_layer(6), neuron("lif", "subtract", "arctan", false), dense_layer(6),
                        neuron("lif", "zero", "arctan", false), add, scale, dense_layer(classes),
                        neuron("lif", "subtract", "arctan", false)},
                       loss_kind::ce_count});
    }
    for (const char* reset : {"subtract", "none"}) {
        layer_spec g = neuron("graded_lif", reset, "arctan", false);
        g.n_max = 3;
        g.threshold = 0.3;
        out.push_back(
            {std::string("graded_lif_") + reset,
             {dense_layer(6), g, dense_layer(classes), neuron("li", "zero", "arctan", false)},
             loss_kind::ce_mean});
    }
    for (const char* reset : {"zero", "subtract", "none"}) {
        layer_spec r = neuron("rf", reset, "arctan", false);
        r.omega = 0.7;
        out.push_back(
            {std::string("rf_") + reset,
             {dense_layer(6), r, dense_layer(classes), neuron("li", "zero", "arctan", false)},
             loss_kind::ce_mean});
    }
    for (const char* reset : {"zero", "subtract", "none"}) {
        layer_spec l = neuron("lif", reset, "erf", true);
        l.learn_threshold = true;
        out.push_back(
            {std::string("learned_threshold_") + reset,
             {dense_layer(6), l, dense_layer(classes), neuron("lif", reset, "erf", false)},
             loss_kind::ce_count});
    }
    out.push_back({"ce_first_spike",
                   {dense_layer(6), neuron("lif", "zero", "arctan", false), dense_layer(classes),
                    neuron("lif", "subtract", "arctan", true)},
                   loss_kind::ce_first_spike});
    // Images of 2 x 6 x 6: convolutions (padding, stride) and both poolings.
    const image_shape img{2, 6, 6};
    out.push_back(
        {"conv_avgpool",
         {conv_layer(3, 3, 1, 1), neuron("lif", "subtract", "arctan", false),
          pool_layer("avgpool", 2), dense_layer(classes), neuron("li", "zero", "arctan", false)},
         loss_kind::ce_mean,
         img});
    out.push_back({"conv_stride_maxpool",
                   {conv_layer(4, 2, 2, 0), neuron("lif", "zero", "erf", false),
                    pool_layer("maxpool", 3), pool_layer("flatten", 0), dense_layer(classes),
                    neuron("lif", "subtract", "arctan", false)},
                   loss_kind::ce_count,
                   img});
    return out;
}

INSTANTIATE_TEST_SUITE_P(layers, gradients, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

// A float step keeps LIF potentials v* as bfloat16 (the spikes read back from them), and dense
// layers keep binary input spikes as bits: its gradients match the double-precision step (which
// keeps everything) to the precision of bfloat16, and it saves far fewer bytes.
TEST(model, compact_float_step_matches_the_exact_one) {
    const std::vector<layer_spec> layers{dense_layer(40), neuron("lif", "zero", "arctan", false),
                                         dense_layer(classes),
                                         neuron("lif", "subtract", "arctan", false)};
    std::vector<layer_spec> detached = layers;
    for (auto& l : detached) l.detach_reset = true;
    model<float> compact(detached, inputs, classes, 7);
    model<double> exact(detached, inputs, classes, 7);
    const int t_steps = 20, rows = 8;
    std::vector<double> xd(static_cast<std::size_t>(t_steps) * rows * inputs);
    const rng_stream rng(5, 1);
    for (std::size_t k = 0; k < xd.size(); ++k)
        xd[k] = rng.uniform(static_cast<std::uint32_t>(k), 0) < 0.4 ? 1.0 : 0.0;
    const std::vector<float> xf(xd.begin(), xd.end());
    const std::vector<std::int32_t> labels{0, 1, 2, 3, 0, 1, 2, 3};
    loss_options lo;
    std::vector<float> dyf, lf;
    std::vector<double> dyd, ld;
    compute_loss(lo, compact.forward(xf.data(), t_steps, rows), t_steps, rows, classes,
                 labels.data(), dyf, lf);
    compute_loss(lo, exact.forward(xd.data(), t_steps, rows), t_steps, rows, classes, labels.data(),
                 dyd, ld);
    compact.zero_grad();
    exact.zero_grad();
    compact.backward(dyf.data(), t_steps, rows);
    exact.backward(dyd.data(), t_steps, rows);
    auto pf = compact.parameters();
    auto pd = exact.parameters();
    ASSERT_EQ(pf.size(), pd.size());
    for (std::size_t p = 0; p < pf.size(); ++p) {
        double diff = 0, norm = 0;
        for (std::size_t k = 0; k < pd[p].grad->size(); ++k) {
            diff += std::pow((*pf[p].grad)[k] - (*pd[p].grad)[k], 2);
            norm += std::pow((*pd[p].grad)[k], 2);
        }
        ASSERT_GT(norm, 0.0) << pd[p].name;
        EXPECT_LT(std::sqrt(diff / norm), 0.02) << pd[p].name;
    }
    EXPECT_LT(compact.saved_bytes() * 3, exact.saved_bytes() / 2);
}

TEST(lif_layer, fused_forward_equals_a_step_by_step_reference) {
    neuron_options o;
    o.beta = 0.85;
    o.threshold = 0.7;
    o.reset = reset_mode::subtract;
    lif_layer<double> fused(inputs, o);
    const std::vector<double> x = random_values(steps * batch * inputs, 2, 1.5);
    std::vector<double> y(x.size());
    fused.forward(x.data(), y.data(), steps, batch);
    for (int b = 0; b < batch; ++b)
        for (int j = 0; j < inputs; ++j) {
            double v = 0;
            for (int t = 0; t < steps; ++t) {
                const std::size_t k = (t * batch + b) * inputs + j;
                const double vstar = 0.85 * v + x[k];
                const double s = vstar >= 0.7 ? 1.0 : 0.0;
                EXPECT_EQ(y[k], s);
                v = vstar - 0.7 * s;
            }
        }
}

// The other fused neuron layers against their equations stepped one neuron at a time.
TEST(neuron_layers, fused_forwards_equal_step_by_step_references) {
    neuron_options o;
    o.beta = 0.85;
    o.threshold = 0.7;
    o.reset = reset_mode::zero;
    const std::vector<double> x = random_values(steps * batch * inputs, 3, 1.5);
    auto at = [](int t, int b, int j) { return (t * batch + b) * inputs + j; };
    std::vector<double> y(x.size());

    cuba_lif_layer<double> cuba(inputs, o, 0.6);
    cuba.forward(x.data(), y.data(), steps, batch);
    for (int b = 0; b < batch; ++b)
        for (int j = 0; j < inputs; ++j) {
            double v = 0, i = 0;
            for (int t = 0; t < steps; ++t) {
                i = 0.6 * i + x[at(t, b, j)];
                const double vstar = 0.85 * v + i, s = vstar >= 0.7 ? 1.0 : 0.0;
                EXPECT_EQ(y[at(t, b, j)], s) << "cuba_lif";
                v = vstar * (1 - s);
            }
        }

    neuron_options g = o;
    g.reset = reset_mode::subtract;
    graded_lif_layer<double> graded(inputs, g, 3);
    graded.forward(x.data(), y.data(), steps, batch);
    for (int b = 0; b < batch; ++b)
        for (int j = 0; j < inputs; ++j) {
            double v = 0;
            for (int t = 0; t < steps; ++t) {
                const double vstar = 0.85 * v + x[at(t, b, j)];
                const double n = vstar < 0.7 ? 0.0 : std::min(3.0, std::floor(vstar / 0.7));
                EXPECT_EQ(y[at(t, b, j)], n) << "graded_lif";
                v = vstar - 0.7 * n;
            }
        }

    rf_layer<double> rf(inputs, o, 0.9);
    rf.forward(x.data(), y.data(), steps, batch);
    for (int b = 0; b < batch; ++b)
        for (int j = 0; j < inputs; ++j) {
            std::complex<double> z = 0;
            const std::complex<double> lambda = std::polar(0.85, 0.9);
            for (int t = 0; t < steps; ++t) {
                z = lambda * z + x[at(t, b, j)];
                const double s = z.real() >= 0.7 ? 1.0 : 0.0;
                EXPECT_EQ(y[at(t, b, j)], s) << "rf";
                z *= 1 - s;
            }
        }

    recurrent_lif_layer<double> rec(inputs, o);
    for (std::size_t k = 0; k < rec.weights().size(); ++k)
        rec.weights()[k] = 0.4 * std::sin(1.0 + static_cast<double>(k)); // fixed, both signs
    rec.forward(x.data(), y.data(), steps, batch);
    for (int b = 0; b < batch; ++b) {
        std::vector<double> v(inputs, 0), before(inputs, 0);
        for (int t = 0; t < steps; ++t) {
            std::vector<double> now(inputs);
            for (int j = 0; j < inputs; ++j) {
                double current = x[at(t, b, j)];
                for (int i = 0; i < inputs; ++i)
                    current += before[i] * rec.weights()[i * inputs + j];
                const double vstar = 0.85 * v[j] + current;
                now[j] = vstar >= 0.7 ? 1.0 : 0.0;
                EXPECT_EQ(y[at(t, b, j)], now[j]) << "recurrent lif";
                v[j] = vstar * (1 - now[j]);
            }
            before = now;
        }
    }
}

TEST(dense_layer, constant_input_shortcut_gives_the_same_output_and_gradient) {
    dense<double> plain(inputs, 3, true), folded(inputs, 3, true);
    plain.weights() = folded.weights() = random_values(inputs * 3, 3, 0.5);
    plain.bias() = folded.bias() = random_values(3, 4, 0.5);
    folded.constant_input = true;
    const std::vector<double> row = random_values(batch * inputs, 5, 1.0);
    std::vector<double> x;
    for (int t = 0; t < steps; ++t) x.insert(x.end(), row.begin(), row.end());
    std::vector<double> a(steps * batch * 3), b(a.size());
    plain.forward(x.data(), a.data(), steps, batch);
    folded.forward(x.data(), b.data(), steps, batch);
    for (std::size_t k = 0; k < a.size(); ++k) EXPECT_NEAR(a[k], b[k], 1e-12);
    const std::vector<double> dy = random_values(a.size(), 6, 1.0);
    plain.backward(dy.data(), nullptr, steps, batch);
    folded.backward(dy.data(), nullptr, steps, batch);
    const auto pa = plain.parameters(), pb = folded.parameters();
    for (std::size_t i = 0; i < pa.size(); ++i)
        for (std::size_t k = 0; k < pa[i].grad->size(); ++k)
            EXPECT_NEAR((*pa[i].grad)[k], (*pb[i].grad)[k], 1e-12);
}

TEST(dense_layer, event_driven_accumulation_equals_the_gemm) {
    dense<double> gemm_path(inputs, 3, true), events(inputs, 3, true);
    gemm_path.weights() = events.weights() = random_values(inputs * 3, 7, 0.5);
    gemm_path.bias() = events.bias() = random_values(3, 8, 0.5);
    events.spiking_input = true;
    std::vector<double> x = random_values(steps * batch * inputs, 9, 1.0);
    for (double& v : x) v = v > 0.7 ? 1.0 : (v < -0.9 ? 2.0 : 0.0); // sparse, some graded
    std::vector<double> a(steps * batch * 3), b(a.size());
    gemm_path.forward(x.data(), a.data(), steps, batch);
    events.forward(x.data(), b.data(), steps, batch);
    ASSERT_TRUE(events.used_events());
    for (std::size_t k = 0; k < a.size(); ++k) EXPECT_NEAR(a[k], b[k], 1e-12);
    const std::vector<double> dy = random_values(a.size(), 10, 1.0);
    std::vector<double> dxa(x.size()), dxb(x.size());
    gemm_path.backward(dy.data(), dxa.data(), steps, batch);
    events.backward(dy.data(), dxb.data(), steps, batch);
    for (std::size_t k = 0; k < x.size(); ++k) EXPECT_NEAR(dxa[k], dxb[k], 1e-12);
    const auto pa = gemm_path.parameters(), pb = events.parameters();
    for (std::size_t i = 0; i < pa.size(); ++i)
        for (std::size_t k = 0; k < pa[i].grad->size(); ++k)
            EXPECT_NEAR((*pa[i].grad)[k], (*pb[i].grad)[k], 1e-12);
}

// The products over bits against the plain sums in double precision, at shapes that end inside
// a 64-bit word and a 32-column panel and that need two chunks of tables (over 1,024 rows of the
// operand, both ways), from nearly empty to full, with the rows in step order and by sample.
void check_spike_products(std::size_t outs) {
    const std::size_t rows = 1100, ins = 1090;
    const std::vector<double> w = random_values(ins * outs, 31, 1.0),
                              g = random_values(rows * outs, 32, 1.0),
                              u = random_values(rows * ins, 33, 1.0),
                              bias = random_values(outs, 34, 1.0);
    const std::vector<float> wf(w.begin(), w.end()), gf(g.begin(), g.end()),
        bf(bias.begin(), bias.end());
    for (const std::size_t steps : {1, 5})
        for (const double density : {0.01, 0.3, 1.0}) {
            std::vector<float> x(rows * ins);
            for (std::size_t k = 0; k < x.size(); ++k)
                x[k] = (u[k] + 1) / 2 < density ? 1.0f : 0.0f;
            spike_matrix m;
            ASSERT_TRUE(m.keep(x.data(), rows, ins, steps));
            std::vector<float> y(rows * outs), gw(ins * outs, 0.5f);
            m.times(wf.data(), bf.data(), outs, y.data());
            m.add_transposed_times(gf.data(), outs, gw.data());
            for (std::size_t r = 0; r < rows; ++r)
                for (std::size_t o = 0; o < outs; ++o) {
                    double sum = bias[o];
                    for (std::size_t i = 0; i < ins; ++i) sum += x[r * ins + i] * w[i * outs + o];
                    ASSERT_NEAR(y[r * outs + o], sum, 1e-3) << r << " " << o;
                }
            for (std::size_t i = 0; i < ins; ++i)
                for (std::size_t o = 0; o < outs; ++o) {
                    double sum = 0.5;
                    for (std::size_t r = 0; r < rows; ++r) sum += x[r * ins + i] * g[r * outs + o];
                    ASSERT_NEAR(gw[i * outs + o], sum, 1e-3) << i << " " << o;
                }
        }
}

TEST(spike_matrix, subset_products_equal_the_plain_sums) {
    for (const std::size_t outs : {40, 10}) // tables, and a readout's narrow rows
        check_spike_products(outs);
}

// Every output element is summed by one thread in one order: two threads give the same bits.
TEST(spike_matrix, two_threads_give_what_one_gives_and_values_other_than_0_1_are_refused) {
    const std::size_t rows = 520, ins = 300;
    const std::vector<double> u = random_values(rows * ins, 36, 1.0);
    std::vector<float> x(rows * ins);
    for (std::size_t k = 0; k < x.size(); ++k) x[k] = u[k] > 0.4 ? 1.0f : 0.0f;
    for (const std::size_t outs : {96, 10}) { // tables, and a readout's rows
        const std::vector<double> w = random_values(ins * outs, 35, 1.0);
        const std::vector<float> wf(w.begin(), w.end());
        auto run = [&](int threads) {
            set_threads(threads);
            spike_matrix m;
            EXPECT_TRUE(m.keep(x.data(), rows, ins, 4));
            std::vector<float> y(rows * outs), gw(ins * outs, 0.0f);
            m.times(wf.data(), nullptr, outs, y.data());
            m.add_transposed_times(y.data(), outs, gw.data());
            y.insert(y.end(), gw.begin(), gw.end());
            return y;
        };
        const std::vector<float> one = run(1), two = run(2);
        set_threads(1);
        EXPECT_EQ(one, two) << outs;
    }
    x[7] = 2.0f;
    spike_matrix graded;
    EXPECT_FALSE(graded.keep(x.data(), rows, ins));
    EXPECT_EQ(graded.bytes(), 0u);
}

// A readout (dense, 16 outputs or fewer) over a LIF layer hands its gradient down as g·Wᵀ: the
// same gradients as the array the dense layer would otherwise write, to float rounding.
TEST(model, readout_gradient_as_a_product_equals_the_array) {
    const std::vector<layer_spec> layers{dense_layer(70), neuron("lif", "zero", "arctan", false),
                                         dense_layer(classes),
                                         neuron("lif", "subtract", "arctan", false)};
    const int t_steps = 6, rows = 5;
    std::vector<float> x(static_cast<std::size_t>(t_steps) * rows * inputs);
    const rng_stream rng(9, 1);
    for (std::size_t k = 0; k < x.size(); ++k)
        x[k] = static_cast<float>(2 * rng.uniform(static_cast<std::uint32_t>(k), 0));
    const std::vector<std::int32_t> labels{0, 1, 2, 3, 0};
    auto gradients = [&](bool fused) {
        model<float> net(layers, inputs, classes, 3);
        net.set_fused_readout(fused);
        std::vector<float> dy, logits;
        compute_loss(loss_options{}, net.forward(x.data(), t_steps, rows), t_steps, rows, classes,
                     labels.data(), dy, logits);
        net.zero_grad();
        net.backward(dy.data(), t_steps, rows);
        std::vector<float> all;
        for (const auto& p : net.parameters())
            all.insert(all.end(), p.grad->begin(), p.grad->end());
        return all;
    };
    const std::vector<float> fused = gradients(true), array = gradients(false);
    ASSERT_EQ(fused.size(), array.size());
    double norm = 0;
    for (const float v : array) norm += static_cast<double>(v) * v;
    ASSERT_GT(norm, 0.0);
    for (std::size_t k = 0; k < fused.size(); ++k)
        EXPECT_NEAR(fused[k], array[k], 1e-5 * std::sqrt(norm)) << k;
}

// A potential kept as bfloat16 stays on its side of the threshold, so the spike can be read
// again from it, and within one bfloat16 step of the exact value. Values are drawn within a few
// steps of thresholds of both signs, where plain rounding crosses often.
TEST(compact, bfloat16_potentials_keep_the_side_of_the_threshold) {
    const std::vector<double> u = random_values(20000, 41, 1.0);
    int crossings = 0;
    for (const float th : {1.0f, 0.37f, -0.5f, 0.0f})
        for (const double e : u) {
            const float x = th + static_cast<float>(e) * 0.01f * std::max(std::abs(th), 0.1f);
            crossings += (from_bf16(to_bf16(x)) >= th) != (x >= th);
            const float kept = from_bf16(to_bf16_on_side(x, th));
            ASSERT_EQ(kept >= th, x >= th) << x << " " << th;
            ASSERT_LE(std::abs(kept - x), std::abs(x) / 128 + 1e-38f) << x << " " << th;
        }
    EXPECT_GT(crossings, 100); // the case the rounding must handle did occur
}

// A float dense layer reading 0/1 spikes keeps them as bits and sums events; its output and
// gradients equal the double-precision GEMM's to float rounding.
TEST(dense_layer, spike_bits_path_equals_the_gemm) {
    const std::size_t ins = 70, outs = 40;
    const int t = 4, b = 9;
    dense<double> reference(ins, outs, true);
    dense<float> bits(ins, outs, true);
    reference.weights() = random_values(ins * outs, 37, 0.5);
    reference.bias() = random_values(outs, 38, 0.5);
    bits.weights().assign(reference.weights().begin(), reference.weights().end());
    bits.bias().assign(reference.bias().begin(), reference.bias().end());
    bits.spiking_input = bits.binary_input = true;
    std::vector<double> x = random_values(t * b * ins, 39, 1.0);
    for (double& v : x) v = v > 0.5 ? 1.0 : 0.0;
    const std::vector<float> xf(x.begin(), x.end());
    std::vector<double> y(t * b * outs);
    std::vector<float> yf(y.size());
    reference.forward(x.data(), y.data(), t, b);
    bits.forward(xf.data(), yf.data(), t, b);
    ASSERT_TRUE(bits.used_spike_bits());
    EXPECT_FALSE(bits.needs_input());
    for (std::size_t k = 0; k < y.size(); ++k) EXPECT_NEAR(yf[k], y[k], 1e-5);
    const std::vector<double> dy = random_values(y.size(), 40, 1.0);
    const std::vector<float> dyf(dy.begin(), dy.end());
    reference.backward(dy.data(), nullptr, t, b);
    bits.backward(dyf.data(), nullptr, t, b);
    const auto pa = reference.parameters();
    const auto pb = bits.parameters();
    for (std::size_t i = 0; i < pa.size(); ++i)
        for (std::size_t k = 0; k < pa[i].grad->size(); ++k)
            EXPECT_NEAR((*pb[i].grad)[k], (*pa[i].grad)[k], 1e-4);
}

TEST(conv_layer, constant_input_shortcut_gives_the_same_output_and_gradient) {
    const image_shape img{2, 5, 5};
    conv2d<double> plain(img, 3, 3, 1, 1), folded(img, 3, 3, 1, 1);
    plain.weights() = folded.weights() = random_values(plain.weights().size(), 11, 0.5);
    folded.constant_input = true;
    const std::vector<double> one = random_values(batch * img.size(), 12, 1.0);
    std::vector<double> x;
    for (int t = 0; t < steps; ++t) x.insert(x.end(), one.begin(), one.end());
    std::vector<double> a(steps * batch * plain.outputs()), b(a.size());
    plain.forward(x.data(), a.data(), steps, batch);
    folded.forward(x.data(), b.data(), steps, batch);
    for (std::size_t k = 0; k < a.size(); ++k) EXPECT_NEAR(a[k], b[k], 1e-12);
    const std::vector<double> dy = random_values(a.size(), 13, 1.0);
    plain.backward(dy.data(), nullptr, steps, batch);
    folded.backward(dy.data(), nullptr, steps, batch);
    const auto pa = plain.parameters(), pb = folded.parameters();
    for (std::size_t i = 0; i < pa.size(); ++i)
        for (std::size_t k = 0; k < pa[i].grad->size(); ++k)
            EXPECT_NEAR((*pa[i].grad)[k], (*pb[i].grad)[k], 1e-10);
}

// The training pool splits neurons, images and GEMM rows across threads. A slice of an
// element-wise loop is computed as in one piece: two threads give bit-identical outputs and
// gradients. A GEMM slice goes through OpenBLAS's edge kernels at other rows, which may round
// the last bit differently: equal to float precision.
TEST(training_pool, two_threads_give_what_one_gives) {
    auto floats = [](std::size_t n, std::uint32_t stream, double scale) {
        const std::vector<double> v = random_values(n, stream, scale);
        return std::vector<float>(v.begin(), v.end());
    };
    auto layers = [&](int threads) {
        set_threads(threads);
        const image_shape img{2, 8, 8};
        conv2d<float> conv(img, 4, 3, 1, 1);
        conv.weights() = floats(conv.weights().size(), 21, 0.5);
        pool2d<float> pool(conv.output_shape(), 2, true);
        neuron_options o;
        o.beta = 0.8;
        o.threshold = 0.3;
        lif_layer<float> lif(pool.outputs(), o); // 64 neurons per image: sliced
        const std::vector<float> x = floats(steps * batch * img.size(), 22, 1.0);
        std::vector<float> c(steps * batch * conv.outputs()), p(steps * batch * pool.outputs()),
            s(p.size());
        conv.forward(x.data(), c.data(), steps, batch);
        pool.forward(c.data(), p.data(), steps, batch);
        lif.forward(p.data(), s.data(), steps, batch);
        const std::vector<float> ds = floats(s.size(), 23, 1.0);
        std::vector<float> dp(p.size()), dc(c.size()), dx(x.size());
        lif.backward(ds.data(), dp.data(), steps, batch);
        pool.backward(dp.data(), dc.data(), steps, batch);
        conv.backward(dc.data(), dx.data(), steps, batch);
        std::vector<float> out;
        for (const auto* v : {&s, &dp, &dc, &dx}) out.insert(out.end(), v->begin(), v->end());
        for (const auto& prm : conv.parameters())
            out.insert(out.end(), prm.grad->begin(), prm.grad->end());
        return out;
    };
    // A product above the pool's size threshold, sliced by rows and (transposed) by columns.
    auto products = [&](int threads) {
        set_threads(threads);
        const int m = 300, n = 200, k = 100;
        const std::vector<float> a = floats(m * k, 24, 1.0), b = floats(k * n, 25, 1.0);
        std::vector<float> rows(m * n), cols(n * m);
        gemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, rows.data(), n);
        gemm(true, true, n, m, k, 1.0f, b.data(), n, a.data(), k, 0.0f, cols.data(), m);
        rows.insert(rows.end(), cols.begin(), cols.end());
        return rows;
    };
    const std::vector<float> one = layers(1), two = layers(2);
    EXPECT_EQ(one, two);
    EXPECT_GT(std::count_if(one.begin(), one.end(), [](float v) { return v != 0; }), 1000);
    const std::vector<float> p1 = products(1), p2 = products(2);
    set_threads(1);
    ASSERT_EQ(p1.size(), p2.size());
    for (std::size_t i = 0; i < p1.size(); ++i)
        ASSERT_NEAR(p1[i], p2[i], 1e-5f * (1 + std::abs(p1[i]))) << i;
}

TEST(dropout_layer, masks_whole_sequences_while_training_and_is_identity_otherwise) {
    dropout<double> d(inputs, 0.4, rng_stream(5, 6));
    const std::vector<double> x = random_values(steps * batch * inputs, 14, 1.0);
    std::vector<double> y(x.size()), dx(x.size());
    d.forward(x.data(), y.data(), steps, batch);
    EXPECT_EQ(y, x); // evaluation
    d.training = true;
    d.key = 3;
    d.forward(x.data(), y.data(), steps, batch);
    const std::vector<double> dy = random_values(x.size(), 15, 1.0);
    d.backward(dy.data(), dx.data(), steps, batch);
    int dropped = 0;
    for (std::size_t k = 0; k < static_cast<std::size_t>(batch * inputs); ++k) {
        const double m = y[k] / x[k]; // the mask of feature k, the same at every step
        EXPECT_TRUE(std::abs(m) < 1e-12 || std::abs(m - 1 / 0.6) < 1e-12) << m;
        dropped += std::abs(m) < 1e-12;
        for (int t = 0; t < steps; ++t) {
            const std::size_t at = t * batch * inputs + k;
            EXPECT_NEAR(y[at], x[at] * m, 1e-12);
            EXPECT_NEAR(dx[at], dy[at] * m, 1e-12); // backward through the same mask
        }
    }
    EXPECT_GT(dropped, 0);
    EXPECT_LT(dropped, batch * inputs);
    std::vector<double> again(x.size());
    d.forward(x.data(), again.data(), steps, batch);
    EXPECT_EQ(again, y); // same key, same mask
}

TEST(losses, cross_entropy_on_counts_of_a_known_output) {
    // Two classes, one sample, counts (3, 1): loss = log(1 + e^-2), gradient p − onehot per step.
    const std::vector<double> y{1, 0, 1, 1, 1, 0};
    const std::int32_t label = 0;
    std::vector<double> dy, logits;
    loss_options o;
    const double l = compute_loss(o, y.data(), 3, 1, 2, &label, dy, logits);
    EXPECT_NEAR(l, std::log1p(std::exp(-2.0)), 1e-12);
    EXPECT_DOUBLE_EQ(logits[0], 3);
    const double p1 = 1 / (1 + std::exp(2.0));
    for (int t = 0; t < 3; ++t) {
        EXPECT_NEAR(dy[t * 2 + 0], -p1, 1e-12);
        EXPECT_NEAR(dy[t * 2 + 1], p1, 1e-12);
    }
}

// First-spike times of binary trains: the index of the first spike, T when there is none; and
// the loss prefers the output that fires first.
TEST(losses, first_spike_time_of_binary_trains) {
    // y [T = 4][C = 3]: output 0 fires at t = 2, output 1 at t = 0 and 3, output 2 never.
    const std::vector<double> y{0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0};
    EXPECT_EQ(first_spike_time(y.data(), 0, 3, 4), 2.0);
    EXPECT_EQ(first_spike_time(y.data(), 1, 3, 4), 0.0);
    EXPECT_EQ(first_spike_time(y.data(), 2, 3, 4), 4.0);
    loss_options lo;
    lo.kind = loss_kind::ce_first_spike;
    std::vector<double> dy, logits;
    const std::int32_t right = 1, wrong = 2;
    const double low = compute_loss(lo, y.data(), 4, 1, 3, &right, dy, logits);
    EXPECT_EQ(logits, (std::vector<double>{-2, 0, -4}));
    EXPECT_LT(low, compute_loss(lo, y.data(), 4, 1, 3, &wrong, dy, logits));
    // The silent wrong-but-labelled output is pushed to fire: negative dL/ds at every step.
    for (int t = 0; t < 4; ++t) EXPECT_LT(dy[t * 3 + 2], 0.0);
}

TEST(model, bad_layers_give_clear_errors) {
    auto error_of = [](std::vector<layer_spec> layers) {
        try {
            model<float> m(layers, 4, 3, 1);
        } catch (const nm::error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    layer_spec conv;
    conv.kind = "conv3d";
    EXPECT_NE(error_of({conv}).find("unknown layer kind \"conv3d\""), std::string::npos);
    EXPECT_NE(error_of({conv_layer(2, 9, 1, 0)}).find("must fit the 1x1 input"), std::string::npos);
    EXPECT_NE(error_of({dense_layer(5)}).find("ends with 5 outputs but the dataset has 3 classes"),
              std::string::npos);
    layer_spec bad = neuron("lif", "zero", "arctan", false);
    bad.beta = 1.2;
    EXPECT_NE(error_of({dense_layer(3), bad}).find("beta = 1.2 must be in [0, 1]"),
              std::string::npos);
    bad = neuron("lif", "zero", "arctn", false);
    EXPECT_NE(error_of({dense_layer(3), bad}).find("did you mean \"arctan\""), std::string::npos);
    bad = neuron("lif", "zero", "arctan", false);
    bad.size = 7;
    EXPECT_NE(error_of({dense_layer(3), bad}).find("neuron layers keep the size"),
              std::string::npos);
    // Options a layer kind would otherwise ignore are refused by name.
    bad = neuron("alif", "zero", "arctan", false);
    bad.recurrent = true;
    EXPECT_NE(error_of({dense_layer(3), bad}).find("recurrent is available on lif and if layers"),
              std::string::npos);
    bad = neuron("lif", "zero", "arctan", false);
    bad.recurrent = true;
    bad.learn_threshold = true;
    EXPECT_NE(error_of({dense_layer(3), bad}).find("not available with recurrent"),
              std::string::npos);
    for (const char* kind : {"alif", "rf", "graded_lif"}) {
        bad = neuron(kind, "subtract", "arctan", false);
        bad.learn_beta = true;
        EXPECT_NE(error_of({dense_layer(3), bad})
                      .find("learn_beta is available on lif, if, cuba_lif and li layers"),
                  std::string::npos)
            << kind;
    }
}

TEST(optimizer, adam_moves_against_the_gradient_and_clips) {
    std::vector<float> w{1.0f, -1.0f}, g{0.5f, -2.0f};
    std::vector<parameter<float>> p{{"w", &w, &g, -10, 10}};
    optimizer_options o;
    o.lr = 0.1;
    o.clip = 1.0;
    optimizer<float> adam(o);
    const double norm = adam.step(p, 0.1);
    EXPECT_NEAR(norm, std::sqrt(0.25 + 4.0), 1e-6);
    EXPECT_NEAR(w[0], 0.9f, 1e-5); // Adam's first step is lr·sign(g)
    EXPECT_NEAR(w[1], -0.9f, 1e-5);
}

} // namespace
} // namespace nm::train
