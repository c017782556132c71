#!/usr/bin/env python3
"""One training step of the same spiking network in a plain PyTorch loop and in neuromorph, in
one script, at the same thread count: Fashion-MNIST rate-coded (p = pixel per step), 784-1024-10
LIF, T = 25, batch 128, beta 0.9, threshold 1, zero reset, arctan surrogate (alpha 2),
cross-entropy on spike counts, Adam. Prints median ms per step, saved-activation memory and
the ratio, over rounds that alternate the two. PyTorch comes from Debian's python3-torch (CPU,
OpenBLAS through the libblas alternative).

    /usr/bin/python3 bench/peers/train_torch.py --bench build/release/bin/nm_bench_train_step --threads 1
"""
import argparse
import gzip
import json
import math
import os
import statistics
import subprocess
import time

import numpy as np
import torch

FMNIST = os.environ.get("NM_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def load_images():
    with gzip.open(os.path.join(FMNIST, "train-images-idx3-ubyte.gz")) as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 784).astype(np.float32)
    with gzip.open(os.path.join(FMNIST, "train-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8).astype(np.int64)
    lo, hi = data.min(axis=0), data.max(axis=0)
    return np.where(hi > lo, (data - lo) / np.maximum(hi - lo, 1e-9), 0.0).astype(np.float32), labels


class ATan(torch.autograd.Function):
    alpha = 2.0

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x >= 0).float()

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        u = math.pi / 2 * ATan.alpha * x
        return grad * ATan.alpha / 2 / (1 + u * u)


def torch_step_ms(images, labels, hidden, steps, batch, iters):
    fc1, fc2 = torch.nn.Linear(784, hidden), torch.nn.Linear(hidden, 10)
    opt = torch.optim.Adam(list(fc1.parameters()) + list(fc2.parameters()), lr=1e-3)
    beta, spike = 0.9, ATan.apply
    times, saved = [], 0
    for it in range(iters + 3):
        idx = np.arange(it * batch, (it + 1) * batch) % len(images)
        t0 = time.perf_counter()
        x = torch.from_numpy(images[idx])
        y = torch.from_numpy(labels[idx])
        v1 = torch.zeros(batch, hidden)
        v2 = torch.zeros(batch, 10)
        counts = torch.zeros(batch, 10)
        for _ in range(steps):
            s_in = (torch.rand(batch, 784) < x).float()
            v1 = beta * v1 + fc1(s_in)
            s1 = spike(v1 - 1.0)
            v1 = v1 * (1 - s1.detach())
            v2 = beta * v2 + fc2(s1)
            s2 = spike(v2 - 1.0)
            v2 = v2 * (1 - s2.detach())
            counts = counts + s2
        loss = torch.nn.functional.cross_entropy(counts, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if it >= 3:
            times.append((time.perf_counter() - t0) * 1e3)
    # Saved activations: per step the input spikes, v1/s1 (hidden) and v2/s2 (outputs), float32.
    saved = steps * batch * (784 + 3 * hidden + 3 * 10) * 4
    return statistics.median(times), saved


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", required=True, help="path to nm_bench_train_step")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    images, labels = load_images()
    # The two sides alternate round by round and each round gives a ratio: on a shared machine
    # the speed of the core drifts over seconds, and a ratio of two runs far apart in time
    # measures that drift as much as the code.
    rounds = []
    for r in range(a.rounds):
        out = subprocess.run([a.bench, "--hidden", str(a.hidden), "--steps", str(a.steps), "--batch",
                              str(a.batch), "--threads", str(a.threads), "--iters", str(a.iters)],
                             check=True, capture_output=True, text=True)
        nm = json.loads(out.stdout)
        torch_ms, torch_saved = torch_step_ms(images, labels, a.hidden, a.steps, a.batch, a.iters)
        rounds.append((torch_ms, nm["median_ms"]))
        print(f"  round {r + 1}: PyTorch {torch_ms:.1f} ms, neuromorph {nm['median_ms']:.1f} ms, "
              f"{torch_ms / nm['median_ms']:.2f}x", flush=True)
    torch_ms = statistics.median(t for t, _ in rounds)
    nm_ms = statistics.median(n for _, n in rounds)
    ratio = statistics.median(t / n for t, n in rounds)
    blas = "openblas" if "openblas" in open("/proc/self/maps").read() else "other"
    print(f"784-{a.hidden}-10 LIF, T = {a.steps}, batch {a.batch}, {a.threads} thread(s), torch {torch.__version__} ({blas})")
    print(f"  {'median of ' + str(a.rounds) + ' rounds':<22}{'ms / step':>10}{'saved MB':>10}")
    print(f"  {'plain PyTorch loop':<22}{torch_ms:>10.1f}{torch_saved / 1e6:>10.1f}")
    print(f"  {'neuromorph':<22}{nm_ms:>10.1f}{nm['saved_bytes'] / 1e6:>10.1f}")
    fastest_torch, fastest_nm = min(t for t, _ in rounds), min(n for _, n in rounds)
    print(f"  speed-up: {ratio:.2f}x (median of the rounds' ratios; lowest {min(t / n for t, n in rounds):.2f}x, "
          f"highest {max(t / n for t, n in rounds):.2f}x)")
    print(f"  fastest rounds: PyTorch {fastest_torch:.1f} ms, neuromorph {fastest_nm:.1f} ms, "
          f"{fastest_torch / fastest_nm:.2f}x (each side's least disturbed run)")
    print(f"  saved activations: {nm['saved_bytes'] / torch_saved:.2f}x of PyTorch's")


if __name__ == "__main__":
    main()
