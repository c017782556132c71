#!/usr/bin/env python3
"""Brunel (2000) model A with pair STDP on the excitatory -> excitatory synapses (as NEST's
hpc_benchmark), in neuromorph and in Brian2 (cpp_standalone), same network and rule, same
thread count; prints wall time per biological second, synaptic events per second, and the
speed-ups of neuromorph over Brian2 and over its own static-synapse run.

The rule: all-to-all pairing, additive, A+ = 1e-4 mV, A- = 1.05e-4 mV, tau+ = tau- = 20 ms,
weights in [0, 0.2] mV (starting at J = 0.1 mV). Brian2 uses the per-synapse traces of its STDP
example, which for all-to-all pairing equal neuromorph's per-neuron traces.

    /usr/bin/python3 bench/peers/brunel_stdp_brian2.py --neuromorph build/release/bin/neuromorph \
        --threads 1
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from brunel_brian2 import load_network, run_brian2, to_toml  # noqa: E402

RULE = {"a_plus": 1e-4, "a_minus": 1.05e-4, "tau_plus": 20.0, "tau_minus": 20.0,
        "w_min": 0.0, "w_max": 0.2}


def plastic_toml(net, duration, threads):
    text = to_toml(net, duration, threads, 42)
    rule = ", ".join(f"{k} = {v}" for k, v in RULE.items())
    first = text.index("[[projection]]")  # exc -> exc comes first in examples/brunel.toml
    line_end = text.index("\n", text.index("synapse = ", first))
    line = text[text.index("synapse = ", first):line_end]
    plastic = line[:-2] + f', plasticity = {{ rule = "stdp", {rule} }} }}'
    return text[:first] + text[first:].replace(line, plastic, 1)


def run_neuromorph(binary, text, workdir, name):
    path = os.path.join(workdir, f"{name}.toml")
    with open(path, "w") as f:
        f.write(text)
    out = subprocess.run([binary, "simulate", path, "--out", os.path.join(workdir, name), "--json"],
                         check=True, capture_output=True, text=True)
    m = json.loads(out.stdout)
    return {"simulate_s": m["simulate_s"], "events": m["synaptic_events"],
            "rate_hz": m["populations"][0]["rate_hz"],
            "mean_w": (m["plastic_projections"] or [{"mean_weight": float("nan")}])[0]["mean_weight"]}


def stdp_synapses(b2, group, weight, delay):
    """Brian2's STDP-example synapses with the same rule (all-to-all, additive, clipped)."""
    namespace = {"taupre": RULE["tau_plus"] * b2.ms, "taupost": RULE["tau_minus"] * b2.ms,
                 "wmax": RULE["w_max"] * b2.mV, "a_plus": RULE["a_plus"] * b2.mV,
                 "a_minus": RULE["a_minus"] * b2.mV}
    return b2.Synapses(group, group, """w : volt
                                       dapre/dt = -apre/taupre : volt (event-driven)
                                       dapost/dt = -apost/taupost : volt (event-driven)""",
                       on_pre="""v_post += w
                                 w = clip(w - apost, 0*mV, wmax)
                                 apre += a_plus""",
                       on_post="""w = clip(w + apre, 0*mV, wmax)
                                  apost += a_minus""",
                       delay=delay * b2.ms, namespace=namespace)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--neuromorph", required=True)
    ap.add_argument("--duration", type=float, default=1000.0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    net = load_network(1.0, None)
    with tempfile.TemporaryDirectory() as work:
        static = run_neuromorph(args.neuromorph, to_toml(net, args.duration, args.threads, 42), work, "static")
        plastic = run_neuromorph(args.neuromorph, plastic_toml(net, args.duration, args.threads), work, "plastic")
        b2 = run_brian2(net, args.duration, args.threads, work, exc_to_exc=stdp_synapses)
    bio = args.duration * 1e-3
    print(f"Brunel model A with STDP on exc -> exc, {args.duration:g} ms, {args.threads} thread(s)")
    print(f"  {'run':<32}{'wall s / bio s':>16}{'rate Hz':>10}{'events/s':>12}")
    print(f"  {'neuromorph, static synapses':<32}{static['simulate_s'] / bio:>16.2f}{static['rate_hz']:>10.2f}"
          f"{static['events'] / static['simulate_s']:>12.3g}")
    print(f"  {'neuromorph, STDP':<32}{plastic['simulate_s'] / bio:>16.2f}{plastic['rate_hz']:>10.2f}"
          f"{plastic['events'] / plastic['simulate_s']:>12.3g}")
    print(f"  {'Brian2 cpp_standalone, STDP':<32}{b2['simulate_s'] / bio:>16.2f}{b2['rate_hz']:>10.2f}")
    print(f"  STDP cost over static synapses: {plastic['simulate_s'] / static['simulate_s']:.2f}x; "
          f"speed-up over Brian2: {b2['simulate_s'] / plastic['simulate_s']:.2f}x; "
          f"mean learned weight {plastic['mean_w']:.4f} mV")


if __name__ == "__main__":
    sys.exit(main())
