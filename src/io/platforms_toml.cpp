// The platform table (data/platforms.toml) for the cost model.
#include "io/toml_reader.hpp"
#include "nm/cost.hpp"

#include <cstdlib>

namespace nm {

platform_table load_platforms(const std::string& path_given) {
    const char* env = std::getenv("NM_DATA_DIR");
    const std::string path = !path_given.empty()
                                 ? path_given
                                 : std::string(env && *env ? env : NM_DATA_DIR) + "/platforms.toml";
    const toml::table doc = parse_toml(read_text(path, "platform table"), path);
    const toml_reader rd(path);
    rd.check_keys(doc, {"reference_45nm", "platform"}, "top level");
    platform_table t;
    t.source = path;
    if (const auto* n = doc.get("reference_45nm")) {
        const toml::table& r = rd.table(*n, "[reference_45nm]");
        rd.check_keys(r, {"j_per_ac", "j_per_mac"}, "[reference_45nm]");
        t.j_per_ac = rd.number(rd.required(r, "j_per_ac", "[reference_45nm]"), "j_per_ac");
        t.j_per_mac = rd.number(rd.required(r, "j_per_mac", "[reference_45nm]"), "j_per_mac");
    }
    if (const auto* n = doc.get("platform"))
        rd.each_table(*n, "platform", [&](const toml::table& x) {
            rd.check_keys(x,
                          {"name", "year", "process_nm", "neurons", "synapses", "neuron_model",
                           "models", "learning", "j_per_sop", "weight_bits"},
                          "[[platform]]");
            platform p;
            p.name = rd.string(rd.required(x, "name", "[[platform]]"), "platform.name");
            p.year =
                static_cast<int>(rd.count(rd.required(x, "year", "[[platform]]"), "platform.year"));
            p.process_nm = static_cast<int>(
                rd.count(rd.required(x, "process_nm", "[[platform]]"), "platform.process_nm"));
            p.neurons = rd.number(rd.required(x, "neurons", "[[platform]]"), "platform.neurons");
            p.synapses = rd.number(rd.required(x, "synapses", "[[platform]]"), "platform.synapses");
            p.neuron_model =
                rd.string(rd.required(x, "neuron_model", "[[platform]]"), "platform.neuron_model");
            p.learning = rd.string(rd.required(x, "learning", "[[platform]]"), "platform.learning");
            p.j_per_sop =
                rd.number(rd.required(x, "j_per_sop", "[[platform]]"), "platform.j_per_sop");
            p.weight_bits = static_cast<int>(
                rd.count(rd.required(x, "weight_bits", "[[platform]]"), "platform.weight_bits"));
            const auto* models = rd.required(x, "models", "[[platform]]").as_array();
            if (!models) rd.fail(x, "platform.models must be an array of model names");
            for (const auto& m : *models)
                p.models.push_back(rd.string(m, "platform.models element"));
            if (!(p.neurons > 0) || !(p.synapses >= 0) || !(p.j_per_sop > 0) || p.weight_bits < 1)
                rd.fail(
                    x,
                    "platform \"" + p.name +
                        "\": neurons and j_per_sop must be > 0, synapses >= 0, weight_bits >= 1");
            t.platforms.push_back(std::move(p));
        });
    return t;
}

} // namespace nm
