#!/usr/bin/env python3
"""Brunel (2000) model A in neuromorph and in Brian2 (cpp_standalone), same network, same
thread count, in one script; prints both wall times per biological second and their ratio.

The network is read from examples/brunel.toml (one definition for both tools); --scale multiplies
the population sizes and keeps the in-degrees (the usual Brunel scaling). Brian2 comes from
Debian's python3-brian (`NM_WITH_PEERS=1 scripts/install-deps.sh`).

    /usr/bin/python3 bench/peers/brunel_brian2.py --neuromorph build/release/bin/neuromorph \
        --scale 1 --threads 1
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "..", "examples", "brunel.toml")


def load_network(scale, v_reset):
    with open(EXAMPLE, "rb") as f:
        net = tomllib.load(f)
    for pop in net["population"]:
        pop["size"] = int(pop["size"] * scale)
        if v_reset is not None:
            pop["params"]["v_reset"] = v_reset
    return net


def to_toml(net, duration, threads, seed):
    lines = ["[simulation]", f"dt = {net['simulation']['dt']}", f"duration = {duration}",
             f"seed = {seed}", f"threads = {threads}", ""]
    for pop in net["population"]:
        params = ", ".join(f"{k} = {v}" for k, v in pop["params"].items())
        init = pop["init"]["v"]
        lines += ["[[population]]", f'name = "{pop["name"]}"', f"size = {pop['size']}",
                  f'model = "{pop["model"]}"', f"params = {{ {params} }}",
                  f'init = {{ v = {{ dist = "uniform", low = {init["low"]}, high = {init["high"]} }} }}', ""]
    for proj in net["projection"]:
        s = proj["synapse"]
        lines += ["[[projection]]", f'pre = "{proj["pre"]}"', f'post = "{proj["post"]}"',
                  f'rule = {{ kind = "fixed_indegree", k = {proj["rule"]["k"]} }}',
                  f'synapse = {{ kind = "delta", weight = {s["weight"]}, delay = {s["delay"]} }}', ""]
    stim = net["stimulus"][0]
    targets = ", ".join(f'"{t}"' for t in stim["target"])
    lines += ["[[stimulus]]", 'kind = "poisson"', f"target = [{targets}]",
              f"rate = {stim['rate']}", f"weight = {stim['weight']}", "",
              "[[record]]", 'what = "spikes"', 'population = "exc"', ""]
    return "\n".join(lines)


def activity_cv(times_ms, duration):
    """Coefficient of variation of the population spike count in 1 ms bins after 100 ms:
    about 0.05 for independent Poisson neurons here, of order 1 in synchronous states."""
    bins = [0] * int(duration - 100)
    for t in times_ms:
        if 100 <= t < duration:
            bins[int(t - 100)] += 1
    mean = sum(bins) / len(bins)
    var = sum((b - mean) ** 2 for b in bins) / len(bins)
    return var ** 0.5 / mean if mean > 0 else float("nan")


def run_neuromorph(binary, net, duration, threads, workdir):
    path = os.path.join(workdir, "brunel_scaled.toml")
    with open(path, "w") as f:
        f.write(to_toml(net, duration, threads, 42))
    out = subprocess.run([binary, "simulate", path, "--out", os.path.join(workdir, "nm_run"), "--json"],
                         check=True, capture_output=True, text=True)
    m = json.loads(out.stdout)
    times = []
    with open(os.path.join(workdir, "nm_run", "spikes.csv")) as f:
        next(f)
        times = [float(line.rsplit(",", 1)[1]) for line in f]
    return {"activity_cv": activity_cv(times, duration),"simulate_s": m["simulate_s"], "build_s": m["build_s"],
            "rate_hz": sum(p["spikes"] for p in m["populations"]) / m["neurons"] / (duration * 1e-3),
            "isi_cv": m["populations"][0]["isi_cv"], "synapses": m["synapses"],
            "memory_mb": m["memory_bytes"] / 1e6}


def run_brian2(net, duration, threads, workdir, exc_to_exc=None):
    """exc_to_exc(b2, group, weight_mV, delay_ms), when given, makes the exc -> exc Synapses
    (with a `w` variable, set to the projection's weight after connecting): the STDP benchmark
    builds its plastic synapses on this same network."""
    import numpy as np
    import brian2 as b2

    b2.set_device("cpp_standalone", directory=os.path.join(workdir, "brian2_brunel"))
    # 0 selects the plain single-threaded code (Brian2 treats OpenMP with 1 thread as experimental).
    b2.prefs.devices.cpp_standalone.openmp_threads = threads if threads > 1 else 0
    b2.prefs.logging.console_log_level = "WARNING"
    rng = np.random.default_rng(42)
    exc, inh = net["population"]
    p = exc["params"]
    ne, ni = exc["size"], inh["size"]
    n = ne + ni
    dt = net["simulation"]["dt"]
    b2.defaultclock.dt = dt * b2.ms
    tau, theta, v_r, t_ref = p["tau_m"] * b2.ms, p["v_th"] * b2.mV, p["v_reset"] * b2.mV, p["t_ref"] * b2.ms
    group = b2.NeuronGroup(n, "dv/dt = -v/tau : volt (unless refractory)", threshold="v >= theta",
                           reset="v = v_r", refractory=t_ref, method="exact")
    group.v = rng.uniform(0.0, 20.0, n) * b2.mV
    stim = net["stimulus"][0]
    ce = next(x["rule"]["k"] for x in net["projection"] if x["pre"] == "exc")
    drive = b2.PoissonInput(group, "v", N=ce, rate=stim["rate"] / ce * b2.Hz, weight=stim["weight"] * b2.mV)
    network = b2.Network(group, drive)
    offsets = {"exc": 0, "inh": ne}
    sizes = {"exc": ne, "inh": ni}
    for proj in net["projection"]:
        k, w, d = proj["rule"]["k"], proj["synapse"]["weight"], proj["synapse"]["delay"]
        post_n = sizes[proj["post"]]
        plastic = exc_to_exc is not None and proj["pre"] == "exc" and proj["post"] == "exc"
        if plastic:
            syn = exc_to_exc(b2, group, w, d)
        else:
            syn = b2.Synapses(group, group, on_pre=f"v += {w}*mV", delay=d * b2.ms)
        i = rng.integers(0, sizes[proj["pre"]], size=post_n * k) + offsets[proj["pre"]]
        j = np.repeat(np.arange(post_n), k) + offsets[proj["post"]]
        syn.connect(i=i, j=j)
        if plastic:
            syn.w = w * b2.mV
        network.add(syn)
    mon = b2.SpikeMonitor(group[:ne])
    network.add(mon)
    network.run(duration * b2.ms)
    run_s = b2.device._last_run_time
    spikes = mon.spike_trains()
    cvs = []
    for t in spikes.values():
        isi = np.diff(np.asarray(t))
        if len(isi) >= 2:
            cvs.append(np.std(isi) / np.mean(isi))
    return {"activity_cv": activity_cv(np.asarray(mon.t / b2.ms), duration),
            "simulate_s": run_s, "rate_hz": mon.num_spikes / ne / (duration * 1e-3),
            "isi_cv": float(np.mean(cvs)) if cvs else float("nan")}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--neuromorph", required=True, help="path to the neuromorph binary")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--duration", type=float, default=1000.0, help="ms of biological time")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--v-reset", type=float, default=None, help="override V_r (mV), e.g. 0 as NEST's example")
    args = ap.parse_args()
    net = load_network(args.scale, args.v_reset)
    with tempfile.TemporaryDirectory() as work:
        nm = run_neuromorph(args.neuromorph, net, args.duration, args.threads, work)
        t0 = time.time()
        b2 = run_brian2(net, args.duration, args.threads, work)
        b2_total = time.time() - t0
    bio_s = args.duration * 1e-3
    print(f"Brunel model A, scale {args.scale:g} ({nm['synapses']:,} synapses), {args.duration:g} ms, "
          f"{args.threads} thread(s)")
    print(f"  {'tool':<28}{'wall s / bio s':>16}{'rate Hz':>10}{'ISI CV':>8}{'activity CV':>13}")
    for name, r in (("neuromorph", nm), ("Brian2 cpp_standalone", b2)):
        print(f"  {name:<28}{r['simulate_s'] / bio_s:>16.2f}{r['rate_hz']:>10.2f}{r['isi_cv']:>8.3f}"
              f"{r['activity_cv']:>13.3f}")
    print(f"  speed-up of neuromorph over Brian2: {b2['simulate_s'] / nm['simulate_s']:.2f}x "
          f"(Brian2 code generation + compile + run took {b2_total:.0f} s)")


if __name__ == "__main__":
    sys.exit(main())
