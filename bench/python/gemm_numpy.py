#!/usr/bin/env python3
"""numpy (OpenBLAS) float32 matmul reference for `kiln bench gemm`.

Thread count comes from OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, set by the caller before start.

  gemm_numpy.py --sizes 256,512,1024   one JSON line per size, then exit
  gemm_numpy.py --serve                read one size per line on stdin, answer one JSON line each
                                       (lets the Java side interleave its own timings with ours)

Each answer: {"n": n, "gflops": best GFLOPS, "seconds": best seconds per matmul, "numpy": version}.
Timing: warm-up, then `--samples` samples of enough back-to-back matmuls to last >= `--min-time`
seconds each; the best (fastest) sample is reported, as on the Java side.
"""
import argparse
import json
import sys
import time

import numpy as np


def measure(n, samples, min_time):
    rng = np.random.default_rng(n)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    c = np.empty((n, n), dtype=np.float32)
    reps = 1
    while True:  # warm-up doubles as calibration of the batch size
        t0 = time.perf_counter()
        for _ in range(reps):
            np.matmul(a, b, out=c)
        if time.perf_counter() - t0 >= min_time:
            break
        reps *= 2
    best = float("inf")
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(reps):
            np.matmul(a, b, out=c)
        best = min(best, (time.perf_counter() - t0) / reps)
    return {"n": n, "gflops": 2.0 * n ** 3 / best / 1e9, "seconds": best, "numpy": np.__version__}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="256,512,1024")
    p.add_argument("--serve", action="store_true")
    p.add_argument("--samples", type=int, default=5)
    p.add_argument("--min-time", type=float, default=0.05)
    args = p.parse_args()
    if args.serve:
        print(json.dumps({"ready": True, "numpy": np.__version__}), flush=True)
        for line in sys.stdin:
            line = line.strip()
            if line:
                print(json.dumps(measure(int(line), args.samples, args.min_time)), flush=True)
    else:
        for n in (int(s) for s in args.sizes.split(",")):
            print(json.dumps(measure(n, args.samples, args.min_time)), flush=True)


if __name__ == "__main__":
    main()
