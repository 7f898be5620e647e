#!/usr/bin/env python3
"""PyTorch (CPU) conv2d training-step reference for `kiln bench conv`.

  conv_torch.py --serve --threads T    read one case per line on stdin (a JSON object), answer one
                                       JSON line each (lets the Java side interleave its timings)
  conv_torch.py --case '{...}'         time one case and exit

A case: {"n", "c", "oc", "h", "w", "k", "stride", "pad", "groups"}. One training step is the
forward of one conv layer with bias, loss = sum of the outputs, and the backward that fills the
gradients of the input, the weight and the bias (set to None before each step, so every step
allocates them afresh, as Kiln's zeroGrad does). Forward-only runs under torch.no_grad().

Each answer: {"step": best seconds per step, "forward": best seconds per forward, "torch": version}.
Timing: warm-up that calibrates a batch of back-to-back calls lasting >= `--min-time` seconds,
then `--samples` batches; the best (fastest) batch counts, as on the Java side.
"""
import argparse
import json
import sys
import time

import torch
import torch.nn.functional as F


def best_seconds(fn, samples, min_time):
    reps = 1
    while True:  # warm-up doubles as calibration of the batch size
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        if time.perf_counter() - t0 >= min_time:
            break
        reps *= 2
    best = float("inf")
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        best = min(best, (time.perf_counter() - t0) / reps)
    return best


def measure(case, samples, min_time):
    g = torch.Generator().manual_seed(1234)
    n, c, oc, h, w = case["n"], case["c"], case["oc"], case["h"], case["w"]
    k, stride, pad, groups = case["k"], case["stride"], case["pad"], case["groups"]
    x = torch.randn(n, c, h, w, generator=g, requires_grad=True)
    weight = (torch.randn(oc, c // groups, k, k, generator=g) * 0.1).requires_grad_()
    bias = torch.randn(oc, generator=g).requires_grad_()

    def step():
        x.grad = weight.grad = bias.grad = None
        F.conv2d(x, weight, bias, stride=stride, padding=pad, groups=groups).sum().backward()

    def forward():
        with torch.no_grad():
            F.conv2d(x, weight, bias, stride=stride, padding=pad, groups=groups)

    return {"step": best_seconds(step, samples, min_time),
            "forward": best_seconds(forward, samples, min_time),
            "torch": torch.__version__}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--serve", action="store_true")
    p.add_argument("--case")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--samples", type=int, default=5)
    p.add_argument("--min-time", type=float, default=0.05)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.serve:
        print(json.dumps({"ready": True, "torch": torch.__version__,
                          "threads": torch.get_num_threads()}), flush=True)
        for line in sys.stdin:
            line = line.strip()
            if line:
                print(json.dumps(measure(json.loads(line), args.samples, args.min_time)), flush=True)
    elif args.case:
        print(json.dumps(measure(json.loads(args.case), args.samples, args.min_time)), flush=True)
    else:
        p.error("pass --serve or --case")


if __name__ == "__main__":
    main()
