#!/usr/bin/python3
"""PyTorch golden fixtures for Kiln's optimizers and learning-rate schedules.

    /usr/bin/python3 optim/src/test/python/optim_fixtures.py optim/src/test/resources/golden

optimizers.txt: two parameters (p0 [5, 4], p1 [4]) and a fixed sequence of 10 gradients for each,
all float32 values; every optimizer configuration below takes 10 steps from the same start on those
gradients, in float32 as a torch user would run them (the update rules are compared, so both sides
use the same precision; a float64 reference would measure float32 rounding instead), and the final
parameters are stored as "<config>.p0" / "<config>.p1".
schedules.txt: the learning rate of each torch scheduler over 40 steps (base lr 0.1), and
ReduceLROnPlateau's lrs over a fixed metric sequence.
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "autograd", "src", "test", "python"))
from kiln_fixtures import Writer, f32  # noqa: E402

SCRIPT = "optim/src/test/python/optim_fixtures.py"
STEPS = 10

CONFIGS = {
    "sgd": lambda p0, p1: torch.optim.SGD([p0, p1], lr=0.1),
    "sgd_momentum_dampening_wd": lambda p0, p1: torch.optim.SGD([p0, p1], lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "sgd_nesterov": lambda p0, p1: torch.optim.SGD([p0, p1], lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.001),
    "adam_wd": lambda p0, p1: torch.optim.Adam([p0, p1], lr=0.01, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.02),
    "adam_amsgrad": lambda p0, p1: torch.optim.Adam([p0, p1], lr=0.01, amsgrad=True),
    "adamw_groups": lambda p0, p1: torch.optim.AdamW([{"params": [p0], "weight_decay": 0.1},
                                                      {"params": [p1], "weight_decay": 0.0, "lr": 0.02}], lr=0.01),
    "adamw_amsgrad": lambda p0, p1: torch.optim.AdamW([p0, p1], lr=0.005, weight_decay=0.05, amsgrad=True),
    "rmsprop": lambda p0, p1: torch.optim.RMSprop([p0, p1], lr=0.01),
    "rmsprop_centered_momentum_wd": lambda p0, p1: torch.optim.RMSprop([p0, p1], lr=0.01, alpha=0.9, eps=1e-6,
                                                                        weight_decay=0.01, momentum=0.5, centered=True),
    "adagrad": lambda p0, p1: torch.optim.Adagrad([p0, p1], lr=0.1, lr_decay=0.01, weight_decay=0.01,
                                                  initial_accumulator_value=0.1, eps=1e-10),
}


def optimizers(out_dir):
    g = torch.Generator().manual_seed(21)
    p0 = f32(torch.randn(5, 4, generator=g, dtype=torch.float64))
    p1 = f32(torch.randn(4, generator=g, dtype=torch.float64))
    grads = [(f32(torch.randn(5, 4, generator=g, dtype=torch.float64)), f32(torch.randn(4, generator=g, dtype=torch.float64)))
             for _ in range(STEPS)]
    w = Writer(os.path.join(out_dir, "optimizers.txt"), "10 optimizer steps on fixed gradients, per configuration", SCRIPT)
    w.tensor("p0", p0, "f32")
    w.tensor("p1", p1, "f32")
    for s, (g0, g1) in enumerate(grads):
        w.tensor(f"grad{s}.p0", g0, "f32")
        w.tensor(f"grad{s}.p1", g1, "f32")
    for name, make in CONFIGS.items():
        a = p0.to(torch.float32).requires_grad_(True)
        b = p1.to(torch.float32).requires_grad_(True)
        opt = make(a, b)
        for g0, g1 in grads:
            a.grad = g0.to(torch.float32)
            b.grad = g1.to(torch.float32)
            opt.step()
        w.tensor(name + ".p0", a, "f64")
        w.tensor(name + ".p1", b, "f64")
    w.close()


def schedules(out_dir):
    w = Writer(os.path.join(out_dir, "schedules.txt"), "learning rates of torch schedulers over 40 steps, base lr 0.1", SCRIPT)

    def run(name, make, steps=40):
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.1)
        sched = make(opt)
        lrs = []
        for _ in range(steps):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        w.tensor(name, torch.tensor(lrs, dtype=torch.float64), "f64")

    S = torch.optim.lr_scheduler
    run("step", lambda o: S.StepLR(o, step_size=10, gamma=0.5))
    run("multistep", lambda o: S.MultiStepLR(o, milestones=[5, 12, 30], gamma=0.3))
    run("exponential", lambda o: S.ExponentialLR(o, gamma=0.95))
    run("cosine", lambda o: S.CosineAnnealingLR(o, T_max=15, eta_min=0.001))
    run("onecycle", lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=40, pct_start=0.3, div_factor=25.0,
                                           final_div_factor=1e4, cycle_momentum=False))

    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = S.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2, threshold=1e-2, cooldown=1, min_lr=0.01)
    metrics = [1.0, 0.9, 0.895, 0.894, 0.893, 0.893, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.69, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]
    lrs = []
    for m in metrics:
        sched.step(m)
        lrs.append(opt.param_groups[0]["lr"])
    w.tensor("plateau.metrics", torch.tensor(metrics, dtype=torch.float64), "f64")
    w.tensor("plateau", torch.tensor(lrs, dtype=torch.float64), "f64")
    w.close()


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "resources", "golden")
    os.makedirs(out_dir, exist_ok=True)
    optimizers(out_dir)
    schedules(out_dir)


if __name__ == "__main__":
    main()
