#!/usr/bin/python3
"""Writes the PyTorch golden fixtures that nn's ConvNormLossGoldenTest replays.

Run with Debian's system Python, which has python3-torch:

    /usr/bin/python3 nn/src/test/python/conv_norm_loss_fixtures.py nn/src/test/resources/golden

As in autograd's golden_fixtures.py, inputs and parameters are drawn from a fixed seed and rounded
to float32 (the exact values Kiln reads), then every result is computed in float64 from them.
Layer parameters and buffers are stored under torch's state-dict names, so the Java test proves
they load through loadStateDict. Outputs that are not scalars are reduced to a scalar with stored
random weights r (L = sum(out * r)) before backward, so every output element's gradient counts.

The file format is described in autograd/src/test/python/kiln_fixtures.py.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "autograd", "src", "test", "python"))
from kiln_fixtures import Writer, f32  # noqa: E402

SCRIPT = "nn/src/test/python/conv_norm_loss_fixtures.py"


def randn(g, *shape, scale=1.0):
    return f32(torch.randn(*shape, generator=g, dtype=torch.float64) * scale)


def load_f32(module, g, scale=0.5):
    """Replaces every parameter with float32-rounded random values (float64 module)."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(randn(g, *p.shape, scale=scale))


def conv_case(w, prefix, module, x, g):
    """Writes prefix.{weight,bias,x,r} (f32), prefix.out and prefix.grad.{x,weight,bias} (f64)."""
    x = x.clone().requires_grad_(True)
    out = module(x)
    r = randn(g, *out.shape)
    (out * r).sum().backward()
    for name, p in module.named_parameters():
        w.tensor(prefix + "." + name, p, "f32")
    w.tensor(prefix + ".x", x, "f32")
    w.tensor(prefix + ".r", r, "f32")
    w.tensor(prefix + ".out", out, "f64")
    w.tensor(prefix + ".grad.x", x.grad, "f64")
    for name, p in module.named_parameters():
        w.tensor(prefix + ".grad." + name, p.grad, "f64")


def convolutions(out_dir):
    """(a) Conv2d stride 2 / padding 1 / dilation 2 / groups 2; Conv1d; padding='same' (odd totals)."""
    g = torch.Generator().manual_seed(10)
    w = Writer(os.path.join(out_dir, "conv_extras.txt"),
               "conv2d s2 p1 d2 g2; conv1d s2 p2 d2 g2; conv1d/conv2d padding='same'", SCRIPT)
    cases = [
        ("conv2d", nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2), (2, 4, 9, 8)),
        ("conv1d", nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2), (2, 4, 11)),
        # total padding dilation*(k-1) = 3 (odd): 1 before, 2 after
        ("conv1d_same", nn.Conv1d(2, 3, 4, padding="same"), (2, 2, 7)),
        ("conv1d_same_dilated", nn.Conv1d(4, 2, 2, padding="same", dilation=3, groups=2), (1, 4, 6)),
        ("conv2d_same", nn.Conv2d(2, 4, 4, padding="same", groups=2), (2, 2, 5, 6)),
        ("conv2d_same_dilated", nn.Conv2d(3, 2, 3, padding="same", dilation=2, bias=False), (1, 3, 5, 5)),
    ]
    for prefix, module, shape in cases:
        module = module.double()
        load_f32(module, g)
        conv_case(w, prefix, module, randn(g, *shape), g)
    w.close()


def conv_shapes(out_dir):
    """(d) Rectangular kernel/stride/padding/dilation, groups, padding='same'/'valid', unbatched input."""
    g = torch.Generator().manual_seed(13)
    w = Writer(os.path.join(out_dir, "conv_shapes.txt"),
               "Conv2d/Conv1d rectangular (kh, kw), padding same (odd and even) and valid, unbatched input", SCRIPT)
    cases = [
        ("rect_kernel", nn.Conv2d(3, 4, (2, 3)), (2, 3, 5, 6)),
        ("rect_all", nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2), (2, 4, 7, 6)),
        # odd effective kernels (3, 5): the same zeros on both sides
        ("same_odd", nn.Conv2d(2, 3, (3, 5), padding="same"), (2, 2, 5, 6)),
        # even kernels (2, 4): totals 1 and 3, the extra zero at the bottom and the right
        ("same_even", nn.Conv2d(2, 4, (2, 4), padding="same", groups=2), (1, 2, 5, 4)),
        # dilation*(k-1) = (3, 4): odd in height, even in width
        ("same_dilated_mixed", nn.Conv2d(3, 3, (2, 3), padding="same", dilation=(3, 2), groups=3), (1, 3, 6, 7)),
        ("valid", nn.Conv2d(2, 2, 3, stride=(1, 2), padding="valid"), (1, 2, 5, 6)),
        # unbatched [C, H, W] -> [OC, OH, OW]
        ("unbatched", nn.Conv2d(3, 2, (3, 2), stride=(1, 2), padding=(1, 0)), (3, 5, 6)),
        ("unbatched_same", nn.Conv2d(2, 2, 4, padding="same", bias=False), (2, 5, 5)),
        # unbatched [C, L] -> [OC, OL]
        ("conv1d_unbatched", nn.Conv1d(3, 4, 3, stride=2, padding=1), (3, 9)),
        ("conv1d_unbatched_same_even", nn.Conv1d(2, 2, 4, padding="same"), (2, 6)),
        ("conv1d_valid", nn.Conv1d(2, 3, 3, padding="valid"), (2, 2, 6)),
    ]
    for prefix, module, shape in cases:
        module = module.double()
        load_f32(module, g)
        conv_case(w, prefix, module, randn(g, *shape), g)
    w.close()


def batchnorm(out_dir):
    """(b) BatchNorm2d: two training steps (momentum 0.1), then eval; BatchNorm1d with momentum=None."""
    g = torch.Generator().manual_seed(11)
    w = Writer(os.path.join(out_dir, "batchnorm.txt"),
               "BatchNorm2d train x2 then eval; BatchNorm1d [N,C,L] momentum=None train x2 then eval", SCRIPT)
    for prefix, module, shape in [("bn2d", nn.BatchNorm2d(3), (4, 3, 3, 2)),
                                  ("bn1d", nn.BatchNorm1d(2, momentum=None), (3, 2, 4))]:
        module = module.double()
        c = shape[1]
        with torch.no_grad():
            module.weight.copy_(f32(1 + 0.2 * torch.randn(c, generator=g, dtype=torch.float64)))
            module.bias.copy_(randn(g, c, scale=0.3))
            module.running_mean.copy_(randn(g, c, scale=0.5))
            module.running_var.copy_(f32(1 + torch.rand(c, generator=g, dtype=torch.float64)))
        for name, t in module.state_dict().items():
            w.tensor(prefix + ".state." + name, t, "i64" if t.dtype == torch.int64 else "f32")
        module.train()
        x1 = (randn(g, *shape, scale=2.0) + 0.5).requires_grad_(True)
        x2 = randn(g, *shape, scale=1.5)
        x3 = randn(g, *shape)
        out1 = module(x1)
        r = randn(g, *out1.shape)
        (out1 * r).sum().backward()
        w.tensor(prefix + ".x1", x1, "f32")
        w.tensor(prefix + ".r", r, "f32")
        w.tensor(prefix + ".out1", out1, "f64")
        w.tensor(prefix + ".grad.x", x1.grad, "f64")
        w.tensor(prefix + ".grad.weight", module.weight.grad, "f64")
        w.tensor(prefix + ".grad.bias", module.bias.grad, "f64")
        w.tensor(prefix + ".x2", x2, "f32")
        module(x2)
        w.tensor(prefix + ".after2.running_mean", module.running_mean, "f64")
        w.tensor(prefix + ".after2.running_var", module.running_var, "f64")
        w.tensor(prefix + ".after2.num_batches_tracked", module.num_batches_tracked, "i64")
        module.eval()
        w.tensor(prefix + ".x3", x3, "f32")
        w.tensor(prefix + ".eval_out", module(x3), "f64")
    w.close()


def losses(out_dir):
    """(c) Every loss with its options: value (or per-element values) and the input's gradient."""
    g = torch.Generator().manual_seed(12)
    w = Writer(os.path.join(out_dir, "losses.txt"), "cross_entropy, nll, mse, l1, smooth_l1, huber, bce_with_logits", SCRIPT)

    def case(name, fn, x, extra):
        """Stores name.x, the extra inputs, name.out and name.grad.x (out reduced with name.r when not scalar)."""
        x = x.clone().requires_grad_(True)
        out = fn(x)
        w.tensor(name + ".x", x, "f32")
        for k, t in extra.items():
            w.tensor(name + "." + k, t, "i64" if t.dtype == torch.int64 else "f32")
        if out.dim() == 0:
            out.backward()
        else:
            r = randn(g, *out.shape)
            w.tensor(name + ".r", r, "f32")
            (out * r).sum().backward()
        w.tensor(name + ".out", out, "f64")
        w.tensor(name + ".grad.x", x.grad, "f64")

    n, c = 6, 4
    logits = randn(g, n, c, scale=1.5)
    target = torch.randint(0, c, (n,), generator=g)
    target_ign = target.clone()
    target_ign[1] = -100
    target_ign[4] = -100
    weight = f32(0.5 + torch.rand(c, generator=g, dtype=torch.float64))
    case("ce_mean", lambda x: F.cross_entropy(x, target), logits, {"target": target})
    case("ce_sum_weight_ignore", lambda x: F.cross_entropy(x, target_ign, weight=weight, reduction="sum"),
         logits, {"target": target_ign, "weight": weight})
    case("ce_mean_weight_ignore_smooth",
         lambda x: F.cross_entropy(x, target_ign, weight=weight, label_smoothing=0.2), logits,
         {"target": target_ign, "weight": weight})
    case("ce_mean_ignore_smooth", lambda x: F.cross_entropy(x, target_ign, label_smoothing=0.3), logits,
         {"target": target_ign})
    case("ce_none_weight_smooth",
         lambda x: F.cross_entropy(x, target_ign, weight=weight, label_smoothing=0.1, reduction="none"),
         logits, {"target": target_ign, "weight": weight})
    target_custom = target.clone()
    target_custom[0] = 2
    target_custom[3] = 2
    case("ce_sum_ignore2_smooth", lambda x: F.cross_entropy(x, target_custom, ignore_index=2, label_smoothing=0.25,
                                                           reduction="sum"),
         logits, {"target": target_custom})
    # [N, C, d1, d2]
    logits_nd = randn(g, 2, c, 3, 2)
    target_nd = torch.randint(0, c, (2, 3, 2), generator=g)
    target_nd[0, 1, 1] = -100
    target_nd[1, 2, 0] = -100
    case("ce_nd_weight_smooth", lambda x: F.cross_entropy(x, target_nd, weight=weight, label_smoothing=0.15),
         logits_nd, {"target": target_nd, "weight": weight})
    case("ce_nd_none", lambda x: F.cross_entropy(x, target_nd, reduction="none"), logits_nd, {"target": target_nd})

    logp = F.log_softmax(randn(g, n, c), dim=1).to(torch.float32).to(torch.float64)
    case("nll_mean_weight_ignore", lambda x: F.nll_loss(x, target_ign, weight=weight), logp,
         {"target": target_ign, "weight": weight})
    case("nll_sum", lambda x: F.nll_loss(x, target, reduction="sum"), logp, {"target": target})
    case("nll_none_weight", lambda x: F.nll_loss(x, target_ign, weight=weight, reduction="none"), logp,
         {"target": target_ign, "weight": weight})
    case("nll_nd_mean", lambda x: F.nll_loss(x, target_nd), F.log_softmax(logits_nd, 1).to(torch.float32).double(),
         {"target": target_nd})

    pred = randn(g, 3, 5)
    goal = randn(g, 3, 5)
    for red in ["mean", "sum", "none"]:
        case("mse_" + red, lambda x: F.mse_loss(x, goal, reduction=red), pred, {"target": goal})
        case("l1_" + red, lambda x: F.l1_loss(x, goal, reduction=red), pred, {"target": goal})
        case("smooth_l1_" + red, lambda x: F.smooth_l1_loss(x, goal, reduction=red, beta=0.6), pred, {"target": goal})
        case("huber_" + red, lambda x: F.huber_loss(x, goal, reduction=red, delta=0.7), pred, {"target": goal})

    z = randn(g, 4, 3, scale=3.0)
    z[0, 0] = 0.0  # the kink of max(-x, 0) and |x|: torch's gradient there is sigmoid(0) - y
    z[1, 1] = 40.0  # far in the saturated regions, where a naive log(sigmoid) would overflow
    z[2, 2] = -40.0
    y = f32(torch.rand(4, 3, generator=g, dtype=torch.float64))
    y[3] = torch.tensor([0.0, 1.0, 1.0], dtype=torch.float64)
    pos_weight = f32(0.5 + 2 * torch.rand(3, generator=g, dtype=torch.float64))
    bweight = f32(0.5 + torch.rand(4, 1, generator=g, dtype=torch.float64))
    case("bce_mean", lambda x: F.binary_cross_entropy_with_logits(x, y), z, {"target": y})
    case("bce_sum_pos_weight", lambda x: F.binary_cross_entropy_with_logits(x, y, pos_weight=pos_weight, reduction="sum"),
         z, {"target": y, "pos_weight": pos_weight})
    case("bce_none_weight_pos_weight",
         lambda x: F.binary_cross_entropy_with_logits(x, y, weight=bweight, pos_weight=pos_weight, reduction="none"),
         z, {"target": y, "pos_weight": pos_weight, "weight": bweight})
    w.close()


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "resources", "golden")
    os.makedirs(out_dir, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    convolutions(out_dir)
    conv_shapes(out_dir)
    batchnorm(out_dir)
    losses(out_dir)


if __name__ == "__main__":
    main()
