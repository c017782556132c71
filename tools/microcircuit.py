#!/usr/bin/env python3
"""Writes the Potjans & Diesmann (2014) cortical microcircuit as a neuromorph experiment.

Eight populations (L2/3, L4, L5, L6 x excitatory/inhibitory), 77,169 neurons and about 0.3
billion synapses at full scale; current-based LIF neurons with exponential synapses (NEST's
iaf_psc_exp), connection probabilities and external in-degrees from the paper's Table 5,
normally distributed weights (10 % relative std, sign-preserving) and delays (50 %, clipped at
dt), Poisson background at 8 Hz per external synapse.

--n-scaling scales every population and keeps the in-degrees (the total number of synapses
scales with it); --k-scaling scales the in-degrees, divides the weights by sqrt(k) and adds the
DC current that restores each neuron's mean input at the published full-scale rates, as the
reference implementation does. The committed examples/microcircuit.toml is this script's
output at full scale:

    python3 tools/microcircuit.py > examples/microcircuit.toml
    python3 tools/microcircuit.py --n-scaling 0.1 --duration 1000 > /tmp/mc_0.1.toml

Reference: T. C. Potjans, M. Diesmann, Cereb. Cortex 24:785-806 (2014).
"""
import argparse
import math

POPULATIONS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
SIZES = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]
# Connection probabilities, row = target, column = source (paper Table 5).
PROBABILITIES = [
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
]
K_EXT = [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100]
FULL_SCALE_RATES = [0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829]  # Hz, for --k-scaling
BG_RATE = 8.0  # Hz per external synapse
NEURON = {"c_m": 250.0, "tau_m": 10.0, "tau_syn": 0.5, "e_l": -65.0, "v_th": -50.0,
          "v_reset": -65.0, "t_ref": 2.0}
PSP_EXC = 0.15  # mV, mean peak PSP of an excitatory synapse
G = -4.0  # relative inhibitory strength
WEIGHT_REL_STD = 0.1
DELAY_EXC, DELAY_INH, DELAY_REL_STD = 1.5, 0.75, 0.5  # ms
DT = 0.1


def psc_for_psp(psp, c_m, tau_m, tau_s):
    """The PSC amplitude (pA) whose PSP in an iaf_psc_exp neuron peaks at `psp` (mV):
    v(t) = I*tau_m*tau_s/(C*(tau_m - tau_s)) * (exp(-t/tau_m) - exp(-t/tau_s)), maximal at
    t* = ln(tau_m/tau_s) * tau_m*tau_s/(tau_m - tau_s)."""
    t_peak = math.log(tau_m / tau_s) * tau_m * tau_s / (tau_m - tau_s)
    shape = tau_m * tau_s / (c_m * (tau_m - tau_s)) * (math.exp(-t_peak / tau_m) - math.exp(-t_peak / tau_s))
    return psp / shape


def in_degree(p, n_pre, n_post):
    """Synapses per target neuron at full scale that give connection probability p with
    multapses allowed (the paper's eq. 1), as the reference implementation counts them."""
    if p == 0:
        return 0.0
    total = math.log(1.0 - p) / math.log(1.0 - 1.0 / (n_pre * n_post))
    return total / n_post


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-scaling", type=float, default=1.0)
    ap.add_argument("--k-scaling", type=float, default=1.0)
    ap.add_argument("--duration", type=float, default=1000.0, help="ms")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=55)
    ap.add_argument("--record", action="store_true", help="record every population's spikes")
    args = ap.parse_args()
    n_s, k_s = args.n_scaling, args.k_scaling
    sizes = [max(1, round(n * n_s)) for n in SIZES]
    w_exc = psc_for_psp(PSP_EXC, NEURON["c_m"], NEURON["tau_m"], NEURON["tau_syn"])
    r = NEURON["tau_m"] / NEURON["c_m"]  # mV per pA: dv/dt = -(v - E_L)/tau_m + I/C

    out = [f"# Potjans & Diesmann (2014) cortical microcircuit, written by tools/microcircuit.py",
           f"# (--n-scaling {n_s:g} --k-scaling {k_s:g}): {sum(sizes):,} neurons. PSC amplitude of an",
           f"# excitatory synapse {w_exc:.3f} pA (PSP 0.15 mV), inhibitory g = {G:g} times that,",
           f"# L4E -> L2/3E doubled; Poisson background at {BG_RATE:g} Hz per external synapse.",
           f"# Full scale (0.3 billion synapses): python3 tools/microcircuit.py > microcircuit_full.toml",
           "",
           "[simulation]", f"dt = {DT}", f"duration = {args.duration}", f"seed = {args.seed}",
           f"threads = {args.threads}", ""]
    degrees = [[in_degree(PROBABILITIES[t][s], SIZES[s], SIZES[t]) * k_s for s in range(8)] for t in range(8)]
    for t, name in enumerate(POPULATIONS):
        # K-scaling compensation: the DC that replaces the mean input lost with the synapses.
        dc = 0.0
        if k_s != 1.0:
            for s in range(8):
                w = w_exc * (G if s % 2 else 1.0) * (2.0 if (t, s) == (0, 2) else 1.0)
                k_full = degrees[t][s] / k_s
                dc += (1.0 - math.sqrt(k_s)) * k_full * w * FULL_SCALE_RATES[s] * 1e-3 * NEURON["tau_syn"]
            dc += (1.0 - math.sqrt(k_s)) * K_EXT[t] * w_exc * BG_RATE * 1e-3 * NEURON["tau_syn"]
        out += ["[[population]]", f'name = "{name}"', f"size = {sizes[t]}", 'model = "lif"',
                f"params = {{ tau_m = {NEURON['tau_m']}, r = {r}, v_leak = {NEURON['e_l']}, "
                f"v_th = {NEURON['v_th']}, v_reset = {NEURON['v_reset']}, t_ref = {NEURON['t_ref']}, "
                f"i_bias = {dc:.6g} }}",
                'init = { v = { dist = "normal", mean = -58.0, std = 10.0 } }', ""]
    scale_w = 1.0 / math.sqrt(k_s)
    for t in range(8):
        for s in range(8):
            k = degrees[t][s]
            if k == 0:
                continue
            total = round(k * sizes[t])
            inhibitory = s % 2 == 1
            w = w_exc * (G if inhibitory else 1.0) * (2.0 if (t, s) == (0, 2) else 1.0) * scale_w
            bounds = "low = -inf, high = 0.0" if inhibitory else "low = 0.0, high = inf"
            d = DELAY_INH if inhibitory else DELAY_EXC
            out += ["[[projection]]", f'pre = "{POPULATIONS[s]}"', f'post = "{POPULATIONS[t]}"',
                    f'rule = {{ kind = "fixed_total_number", n = {total} }}',
                    f'synapse = {{ kind = "exp", tau_syn = {NEURON["tau_syn"]}, '
                    f'weight = {{ dist = "normal_clipped", mean = {w:.6g}, std = {abs(w) * WEIGHT_REL_STD:.6g}, {bounds} }}, '
                    f'delay = {{ dist = "normal_clipped", mean = {d}, std = {d * DELAY_REL_STD}, low = {DT}, high = inf }} }}',
                    ""]
    for t, name in enumerate(POPULATIONS):
        out += ["[[stimulus]]", 'kind = "poisson"', f'target = "{name}"',
                f"rate = {K_EXT[t] * k_s * BG_RATE:g}", f"weight = {w_exc * scale_w:.6g}",
                'synapse = "exp"', f"tau_syn = {NEURON['tau_syn']}", ""]
    if args.record:
        for name in POPULATIONS:
            out += ["[[record]]", 'what = "spikes"', f'population = "{name}"', ""]
    print("\n".join(out).rstrip())


if __name__ == "__main__":
    main()
