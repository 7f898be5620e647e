#!/usr/bin/python3
"""PyTorch golden fixtures for Kiln's optimizers and learning-rate schedules.

    /usr/bin/python3 optim/src/test/python/optim_fixtures.py optim/src/test/resources/golden

optimizers.txt: two parameters (p0 [5, 4], p1 [4]) and a fixed sequence of 10 gradients for each,
all float32 values; every optimizer configuration below takes 10 steps from the same start on those
gradients, in float32 as a torch user would run them (the update rules are compared, so both sides
use the same precision; a float64 reference would measure float32 rounding instead), and the final
parameters are stored as "<config>.p0" / "<config>.p1".
The configurations include per-group overrides of every optimizer's own hyper-parameters (two
groups with different betas, momentum, ...), torch.optim.AdamW with its defaults, and maximize=True
on each optimizer that has it.
schedules.txt: the learning rate of each torch scheduler over 40 steps (base lr 0.1), the momentum
(or beta1) of OneCycleLR with cycle_momentum, LinearLR, ChainedScheduler and SequentialLR, and
ReduceLROnPlateau's lrs over a fixed metric sequence.
clip.txt: three float32 gradients and, for clip_grad_norm_ with norm_type 1, 2, 3 and inf, the total
norm and the clipped gradients (computed in float64 from the float32 values).
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
    # per-group overrides of each optimizer's own hyper-parameters
    "sgd_groups": lambda p0, p1: torch.optim.SGD([{"params": [p0], "momentum": 0.9, "nesterov": True},
                                                  {"params": [p1], "momentum": 0.5, "dampening": 0.3, "lr": 0.02}],
                                                 lr=0.05, weight_decay=0.01),
    "adam_groups": lambda p0, p1: torch.optim.Adam([{"params": [p0], "betas": (0.8, 0.95), "eps": 1e-6},
                                                    {"params": [p1], "amsgrad": True, "weight_decay": 0.1}],
                                                   lr=0.01, betas=(0.9, 0.99)),
    "adamw_groups_betas": lambda p0, p1: torch.optim.AdamW([{"params": [p0], "betas": (0.5, 0.9)},
                                                            {"params": [p1], "lr": 0.03, "amsgrad": True}], lr=0.01),
    "rmsprop_groups": lambda p0, p1: torch.optim.RMSprop([{"params": [p0], "alpha": 0.8, "centered": True},
                                                          {"params": [p1], "momentum": 0.7, "eps": 1e-4}], lr=0.01),
    # torch 1.13 fills Adagrad's accumulators from the constructor's initial_accumulator_value, not the
    # group's (a group override of it is ignored there; Kiln honours it), so only lr_decay and eps vary here.
    "adagrad_groups": lambda p0, p1: torch.optim.Adagrad([{"params": [p0], "lr_decay": 0.1},
                                                          {"params": [p1], "eps": 1e-3, "lr": 0.3}],
                                                         lr=0.1, initial_accumulator_value=0.2),
    "adamw_default": lambda p0, p1: torch.optim.AdamW([p0, p1]),
    "adamw_betas_eps": lambda p0, p1: torch.optim.AdamW([p0, p1], lr=0.02, betas=(0.85, 0.98), eps=1e-5),
    # maximize on every optimizer that has it (torch 1.13)
    "sgd_maximize": lambda p0, p1: torch.optim.SGD([p0, p1], lr=0.05, momentum=0.9, weight_decay=0.01, maximize=True),
    "adam_maximize": lambda p0, p1: torch.optim.Adam([p0, p1], lr=0.01, weight_decay=0.02, maximize=True),
    "adamw_maximize": lambda p0, p1: torch.optim.AdamW([p0, p1], lr=0.01, maximize=True),
    "rmsprop_maximize": lambda p0, p1: torch.optim.RMSprop([p0, p1], lr=0.01, momentum=0.5, centered=True,
                                                            weight_decay=0.01, maximize=True),
    "adagrad_maximize": lambda p0, p1: torch.optim.Adagrad([p0, p1], lr=0.1, weight_decay=0.01, maximize=True),
    "maximize_one_group": lambda p0, p1: torch.optim.SGD([{"params": [p0], "maximize": True}, {"params": [p1]}], lr=0.1),
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
    run("linear_default", lambda o: S.LinearLR(o))
    run("linear", lambda o: S.LinearLR(o, start_factor=0.5, end_factor=0.1, total_iters=17))
    run("chained_linear_exponential", lambda o: S.ChainedScheduler([S.LinearLR(o, start_factor=0.2, total_iters=8),
                                                                    S.ExponentialLR(o, gamma=0.9)]))
    run("chained_step_multistep", lambda o: S.ChainedScheduler([S.StepLR(o, step_size=7, gamma=0.5),
                                                                S.MultiStepLR(o, milestones=[10, 25], gamma=0.1)]))
    run("sequential_linear_cosine", lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=5),
                                                                 S.CosineAnnealingLR(o, T_max=30, eta_min=0.002)],
                                                             milestones=[5]))
    run("sequential_three", lambda o: S.SequentialLR(o, [S.ConstantLR(o, factor=0.1, total_iters=4),
                                                         S.ExponentialLR(o, gamma=0.9),
                                                         S.StepLR(o, step_size=5, gamma=0.5)], milestones=[4, 20]))

    def run_momentum(name, make_opt, key, make):
        """lr and momentum (SGD momentum, Adam beta1) per step of a momentum-cycling scheduler."""
        p = torch.zeros(1, requires_grad=True)
        opt = make_opt(p)
        sched = make(opt)
        lrs, moms = [], []
        for _ in range(40):
            g = opt.param_groups[0]
            lrs.append(g["lr"])
            moms.append(g["betas"][0] if key == "betas" else g["momentum"])
            opt.step()
            sched.step()
        w.tensor(name + ".lr", torch.tensor(lrs, dtype=torch.float64), "f64")
        w.tensor(name + ".momentum", torch.tensor(moms, dtype=torch.float64), "f64")

    sgd = lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9)
    adam = lambda p: torch.optim.Adam([p], lr=0.1)
    run_momentum("onecycle_sgd", sgd, "momentum", lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=40))
    run_momentum("onecycle_adam", adam, "betas", lambda o: S.OneCycleLR(o, max_lr=0.05, total_steps=40, pct_start=0.25,
                                                                        base_momentum=0.8, max_momentum=0.9))
    run_momentum("onecycle_three_phase_linear", sgd, "momentum",
                 lambda o: S.OneCycleLR(o, max_lr=0.2, total_steps=40, three_phase=True, anneal_strategy="linear",
                                        div_factor=10.0, final_div_factor=100.0))

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


def clipping(out_dir):
    g = torch.Generator().manual_seed(5)
    grads = [f32(torch.randn(4, 3, generator=g, dtype=torch.float64)) * 3,
             f32(torch.randn(7, generator=g, dtype=torch.float64)),
             f32(torch.randn(2, 2, 2, generator=g, dtype=torch.float64)) * 0.5]
    grads = [f32(x) for x in grads]
    w = Writer(os.path.join(out_dir, "clip.txt"), "clip_grad_norm_ over three gradients, norm types 1, 2, 3, inf", SCRIPT)
    for i, x in enumerate(grads):
        w.tensor(f"grad{i}", x, "f32")
    for label, p in (("1", 1.0), ("2", 2.0), ("3", 3.0), ("inf", float("inf"))):
        ps = [torch.zeros_like(x, requires_grad=True) for x in grads]
        for q, x in zip(ps, grads):
            q.grad = x.clone()
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm=1.5, norm_type=p)
        w.tensor(f"norm{label}", total.reshape(1), "f64")
        for i, q in enumerate(ps):
            w.tensor(f"clipped{label}.{i}", q.grad, "f64")
    w.close()


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "resources", "golden")
    os.makedirs(out_dir, exist_ok=True)
    optimizers(out_dir)
    schedules(out_dir)
    clipping(out_dir)


if __name__ == "__main__":
    main()
