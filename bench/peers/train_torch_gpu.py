#!/usr/bin/env python3
"""One training step of the same spiking network on the GPU in a plain PyTorch loop and in
neuromorph (nm_bench_train_step_cuda), in one script: input rates uniform in [0, 1] drawn as
Bernoulli spikes per step, LIF layers (beta 0.9, threshold 1, zero reset with the reset
detached, arctan surrogate with alpha 2), cross-entropy on output spike counts, Adam.
Prints median ms per step, peak GPU memory and activation memory saved for backward.

Workloads of the CUDA issue: (a) 784-1024-10, T = 25, batch 128; (b) 784-4096-4096-10,
T = 100, batch 64.

    python3 bench/peers/train_torch_gpu.py --bench build/release/bin/nm_bench_train_step_cuda
    python3 bench/peers/train_torch_gpu.py --bench ... --workloads a --compile   # + torch.compile
"""
import argparse
import json
import math
import statistics
import subprocess

import torch

WORKLOADS = {"a": dict(hidden=[1024], steps=25, batch=128), "b": dict(hidden=[4096, 4096], steps=100, batch=64)}


class ATan(torch.autograd.Function):
    alpha = 2.0

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        u = math.pi / 2 * ATan.alpha * x
        return grad * ATan.alpha / 2 / (1 + u * u)


def make_step(sizes, steps, beta=0.9):
    layers = torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])).cuda()
    opt = torch.optim.Adam(layers.parameters(), lr=1e-3)

    def forward(rates):
        batch = rates.shape[0]
        v = [torch.zeros(batch, fc.out_features, device="cuda") for fc in layers]
        counts = torch.zeros(batch, sizes[-1], device="cuda")
        for _ in range(steps):
            s = (torch.rand_like(rates) < rates).float()
            for i, fc in enumerate(layers):
                v[i] = beta * v[i] + fc(s)
                s = ATan.apply(v[i] - 1.0)
                v[i] = v[i] * (1 - s.detach())
            counts = counts + s
        return counts

    def step(rates, labels, fwd=forward):
        loss = torch.nn.functional.cross_entropy(fwd(rates), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    return step, forward


def saved_bytes(step_forward, rates):
    seen, total = set(), 0

    def pack(t):
        nonlocal total
        key = (t.untyped_storage().data_ptr(), t.dtype, tuple(t.shape))
        if key not in seen:
            seen.add(key)
            total += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        step_forward(rates).sum().backward()
    return total


def time_torch(work, iters, compiled):
    sizes = [784] + work["hidden"] + [10]
    step, forward = make_step(sizes, work["steps"])
    rates = torch.rand(work["batch"], 784, device="cuda")
    labels = torch.randint(0, 10, (work["batch"],), device="cuda")
    # Compiled: the time loop (forward) goes through torch.compile; backward and Adam stay eager.
    fwd = torch.compile(forward) if compiled else forward
    run = lambda r, y: step(r, y, fwd)  # noqa: E731
    for _ in range(3):
        run(rates, labels)
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(iters):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        run(rates, labels)
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    peak = torch.cuda.max_memory_allocated()
    return statistics.median(times), peak, saved_bytes(forward, rates)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", required=True, help="path to nm_bench_train_step_cuda")
    ap.add_argument("--workloads", default="ab")
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--compile", action="store_true", help="also time the loop under torch.compile")
    a = ap.parse_args()
    torch.manual_seed(1)
    print(f"torch {torch.__version__} on {torch.cuda.get_device_name()}")
    rows = []
    for name in a.workloads:
        work = WORKLOADS[name]
        label = f"({name}) 784-{'-'.join(map(str, work['hidden']))}-10, T={work['steps']}, batch {work['batch']}"
        eager_ms, eager_peak, eager_saved = time_torch(work, a.iters, False)
        rows.append((label, "plain PyTorch loop", eager_ms, eager_peak, eager_saved))
        if a.compile:
            c_ms, c_peak, _ = time_torch(work, a.iters, True)
            rows.append((label, "torch.compile", c_ms, c_peak, eager_saved))
        for precision in ("bf16", "fp32"):
            out = subprocess.run([a.bench, "--hidden", str(work["hidden"][0]), "--layers", str(len(work["hidden"])),
                                  "--steps", str(work["steps"]), "--batch", str(work["batch"]),
                                  "--precision", precision, "--iters", str(max(a.iters, 30))],
                                 check=True, capture_output=True, text=True)
            nm = json.loads(out.stdout)
            rows.append((label, f"neuromorph {precision}", nm["median_ms"], nm["device_bytes"], nm["saved_bytes"]))
    print(f"  {'workload':<42}{'run':<22}{'ms / step':>10}{'peak MB':>10}{'saved MB':>10}{'vs eager':>10}")
    base = {}
    for label, run, ms, peak, saved in rows:
        base.setdefault(label, ms)
        print(f"  {label:<42}{run:<22}{ms:>10.3f}{peak / 1e6:>10.1f}{saved / 1e6:>10.1f}{base[label] / ms:>9.1f}x")


if __name__ == "__main__":
    main()
