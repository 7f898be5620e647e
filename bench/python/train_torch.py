#!/usr/bin/python3
"""PyTorch (CPU) reference workloads for `kiln bench train` (run with Debian's /usr/bin/python3).

  train_torch.py --serve --threads T    read one workload name per line on stdin, answer one JSON line
  train_torch.py --workload gpt_train   time one workload and exit

Workloads (the same architectures, batch sizes and dtypes as Kiln's side, float32):
  gpt_train / gpt_forward  vocab 96, context 128, 4 layers, 4 heads, width 128, MLP 512, learned
                           positions, tied head, batch 16, AdamW; tokens/s (forward: no_grad)
  cnn_train                conv(1->32,3)-ReLU-maxpool-conv(32->64,3)-ReLU-maxpool-linear(1600->128)-ReLU-
                           linear(128->10), 28x28 inputs, batch 64, SGD momentum 0.9; images/s
  lstm_train               LSTM(input 1, hidden 64) over 48 steps, linear head on the last hidden state,
                           MSE, batch 64, Adam; sequences/s
Each answer: {"workload", "units_per_s" (best sample), "torch": version}. Timing: warm-up steps,
then `--samples` samples of enough steps to last >= `--min-time` seconds; the best sample counts.
"""
import argparse
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, heads, ff):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln_2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, ff)
        self.fc2 = nn.Linear(ff, d)

    def forward(self, x):
        b, t, d = x.shape
        hd = d // self.heads
        q, k, v = self.qkv(self.ln_1(x)).split(d, dim=-1)
        q = q.view(b, t, self.heads, hd).transpose(1, 2)
        k = k.view(b, t, self.heads, hd).transpose(1, 2)
        v = v.view(b, t, self.heads, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hd)
        att = att.masked_fill(torch.triu(torch.ones(t, t, dtype=torch.bool), 1), float("-inf")).softmax(-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(b, t, d))
        return x + self.fc2(F.gelu(self.fc1(self.ln_2(x))))


class Gpt(nn.Module):
    def __init__(self, vocab=96, context=128, layers=4, d=128, heads=4, ff=512):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(context, d)
        self.blocks = nn.ModuleList(Block(d, heads, ff) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for blk in self.blocks:
            x = blk(x)
        return self.ln_f(x) @ self.wte.weight.t()


def gpt(train):
    g = torch.Generator().manual_seed(1)
    model = Gpt()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)
    tokens = torch.randint(0, 96, (16, 129), generator=g)
    x, y = tokens[:, :128], tokens[:, 1:].reshape(-1)

    def step():
        if train:
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x).reshape(-1, 96), y).backward()
            opt.step()
        else:
            with torch.no_grad():
                model(x)
    return step, 16 * 128


def cnn():
    g = torch.Generator().manual_seed(2)
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(64, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (64,), generator=g)

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return step, 64


class LstmRegressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 64, batch_first=True)
        self.head = nn.Linear(64, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1, :])


def lstm():
    g = torch.Generator().manual_seed(3)
    model = LstmRegressor()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(64, 48, 1, generator=g)
    y = torch.randn(64, 1, generator=g)

    def step():
        opt.zero_grad(set_to_none=True)
        F.mse_loss(model(x), y).backward()
        opt.step()
    return step, 64


WORKLOADS = {"gpt_train": lambda: gpt(True), "gpt_forward": lambda: gpt(False), "cnn_train": cnn, "lstm_train": lstm}


def measure(name, samples, min_time, warmup):
    step, units = WORKLOADS[name]()
    for _ in range(warmup):
        step()
    reps = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            step()
        if time.perf_counter() - t0 >= min_time:
            break
        reps *= 2
    best = float("inf")
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(reps):
            step()
        best = min(best, (time.perf_counter() - t0) / reps)
    return {"workload": name, "units_per_s": units / best, "torch": torch.__version__}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--serve", action="store_true")
    p.add_argument("--workload", choices=sorted(WORKLOADS))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--samples", type=int, default=3)
    p.add_argument("--min-time", type=float, default=0.5)
    p.add_argument("--warmup", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.serve:
        print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
        for line in sys.stdin:
            line = line.strip()
            if line:
                print(json.dumps(measure(line, args.samples, args.min_time, args.warmup)), flush=True)
    elif args.workload:
        print(json.dumps(measure(args.workload, args.samples, args.min_time, args.warmup)))
    else:
        p.error("give --serve or --workload")


if __name__ == "__main__":
    main()
