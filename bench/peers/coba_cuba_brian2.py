#!/usr/bin/env python3
"""The COBA and CUBA benchmarks (Brette et al. 2007) in neuromorph and in Brian2
(cpp_standalone), same network, same thread count, in one script: prints both wall times
(simulation loop only), the rates and ISI CVs, and the speed-up.

Both networks are read from examples/coba.toml and examples/cuba.toml (one definition for both
tools). Brian2 integrates them as its own examples do: `exact` for CUBA, the default
(exponential Euler) for COBA. Brian2 comes from Debian's python3-brian
(`NM_WITH_PEERS=1 scripts/install-deps.sh`).

    /usr/bin/python3 bench/peers/coba_cuba_brian2.py --neuromorph build/release/bin/neuromorph \
        --duration 10000 --threads 1
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "..", "examples")


def load(name):
    with open(os.path.join(EXAMPLES, f"{name}.toml"), "rb") as f:
        return tomllib.load(f)


def run_neuromorph(binary, name, duration, threads, workdir):
    out_dir = os.path.join(workdir, f"nm_{name}")
    out = subprocess.run([binary, "simulate", os.path.join(EXAMPLES, f"{name}.toml"), "--out", out_dir,
                          "--duration", str(duration), "--threads", str(threads), "--json"],
                         check=True, capture_output=True, text=True)
    m = json.loads(out.stdout)
    pops = m["populations"]
    return {"simulate_s": m["simulate_s"],
            "rate_hz": sum(p["spikes"] for p in pops) / m["neurons"] / (duration * 1e-3),
            "isi_cv": pops[0]["isi_cv"]}


def run_brian2(name, net, duration, threads, workdir):
    import numpy as np
    import brian2 as b2

    b2.device.reinit()
    b2.device.activate()
    b2.set_device("cpp_standalone", directory=os.path.join(workdir, f"brian2_{name}"))
    b2.prefs.devices.cpp_standalone.openmp_threads = threads if threads > 1 else 0
    b2.prefs.logging.console_log_level = "WARNING"
    exc, inh = net["population"]
    p = exc["params"]
    ne, ni = exc["size"], inh["size"]
    b2.defaultclock.dt = net["simulation"]["dt"] * b2.ms
    taum, vt, vr, el = p["tau_m"] * b2.ms, p["v_th"] * b2.mV, p["v_reset"] * b2.mV, p["v_leak"] * b2.mV
    syn = {x["pre"]: x["synapse"] for x in net["projection"]}
    taue, taui = syn["exc"]["tau_syn"] * b2.ms, syn["inh"]["tau_syn"] * b2.ms
    prob = net["projection"][0]["rule"]["p"]
    if name == "coba":
        ee, ei = syn["exc"]["e_rev"] * b2.mV, syn["inh"]["e_rev"] * b2.mV
        bias = p.get("i_bias", 0.0) * b2.mV
        eqs = """dv/dt = (ge*(ee-v) + gi*(ei-v) - (v-el) + bias)/taum : volt (unless refractory)
                 dge/dt = -ge/taue : 1
                 dgi/dt = -gi/taui : 1"""
        method, on_e, on_i = "exponential_euler", f"ge += {syn['exc']['weight']}", f"gi += {syn['inh']['weight']}"
    else:
        eqs = """dv/dt = (ge + gi - (v-el))/taum : volt (unless refractory)
                 dge/dt = -ge/taue : volt
                 dgi/dt = -gi/taui : volt"""
        method = "exact"
        on_e, on_i = f"ge += {syn['exc']['weight']}*mV", f"gi += {syn['inh']['weight']}*mV"
    group = b2.NeuronGroup(ne + ni, eqs, threshold="v > vt", reset="v = vr",
                           refractory=p["t_ref"] * b2.ms, method=method)
    group.v = "vr + rand() * (vt - vr)"
    ce = b2.Synapses(group, group, on_pre=on_e, delay=syn["exc"]["delay"] * b2.ms)
    ce.connect("i < ne", p=prob)
    ci = b2.Synapses(group, group, on_pre=on_i, delay=syn["inh"]["delay"] * b2.ms)
    ci.connect("i >= ne", p=prob)
    mon = b2.SpikeMonitor(group)
    b2.run(duration * b2.ms, namespace={**locals(), **vars(b2)})
    trains = mon.spike_trains()
    cvs = []
    for i in range(ne):
        isi = np.diff(np.asarray(trains[i]))
        if len(isi) >= 2:
            cvs.append(np.std(isi) / np.mean(isi))
    return {"simulate_s": b2.device._last_run_time,
            "rate_hz": mon.num_spikes / (ne + ni) / (duration * 1e-3),
            "isi_cv": float(np.mean(cvs)) if cvs else float("nan")}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--neuromorph", required=True, help="path to the neuromorph binary")
    ap.add_argument("--duration", type=float, default=10000.0, help="ms of biological time")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", choices=["coba", "cuba"], help="run one benchmark")
    args = ap.parse_args()
    names = [args.only] if args.only else ["coba", "cuba"]
    with tempfile.TemporaryDirectory() as work:
        for name in names:
            nm = run_neuromorph(args.neuromorph, name, args.duration, args.threads, work)
            b2 = run_brian2(name, load(name), args.duration, args.threads, work)
            print(f"{name.upper()}, 4000 neurons, {args.duration:g} ms, {args.threads} thread(s)")
            print(f"  {'tool':<26}{'simulate s':>12}{'rate Hz':>10}{'ISI CV':>8}")
            for tool, r in (("neuromorph", nm), ("Brian2 cpp_standalone", b2)):
                print(f"  {tool:<26}{r['simulate_s']:>12.3f}{r['rate_hz']:>10.2f}{r['isi_cv']:>8.3f}")
            print(f"  speed-up of neuromorph over Brian2: {b2['simulate_s'] / nm['simulate_s']:.2f}x")
            sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
