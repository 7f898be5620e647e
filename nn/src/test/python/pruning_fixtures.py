#!/usr/bin/python3
"""Writes the PyTorch golden fixture that nn's PruningGoldenTest replays: torch.nn.utils.prune masks.

Run with Debian's system Python, which has python3-torch:

    /usr/bin/python3 nn/src/test/python/pruning_fixtures.py nn/src/test/resources/golden

A small ConvNet laid out as Kiln's test model (Sequential: conv 1->4 3x3, relu, conv 4->6 3x3, relu,
flatten, linear 24->10, relu, linear 10->3) gets float32 random weights, stored under torch's
state-dict names ("model.0.weight", ...). Each case prunes a fresh copy and stores the weight masks
torch computes ("<case>.mask.<layer>.weight", 0/1):

    global60   prune.global_unstructured(L1Unstructured, amount=0.6) over the four weights
    layer125   prune.l1_unstructured(amount=0.125) per weight: 36 * 0.125 = 4.5 rounds half to even (4)
    ln1_50     prune.ln_structured(n=1, dim=0, amount=0.5) per weight
    ln2_34     prune.ln_structured(n=2, dim=0, amount=0.34) per weight

The file format is described in autograd/src/test/python/kiln_fixtures.py.
"""
import copy
import os
import sys

import torch
import torch.nn as nn
import torch.nn.utils.prune as prune

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "autograd", "src", "test", "python"))
from kiln_fixtures import Writer  # noqa: E402

SCRIPT = "nn/src/test/python/pruning_fixtures.py"
LAYERS = ["0", "2", "5", "7"]


def model():
    g = torch.Generator().manual_seed(15)
    m = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 6, 3), nn.ReLU(), nn.Flatten(),
                      nn.Linear(24, 10), nn.ReLU(), nn.Linear(10, 3))
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(*p.shape, generator=g, dtype=torch.float32))
    return m


def main(out_dir):
    base = model()
    w = Writer(os.path.join(out_dir, "pruning.txt"), "torch.nn.utils.prune masks (global, l1, ln_structured)", SCRIPT)
    for name, p in base.state_dict().items():
        w.tensor("model." + name, p, "f32")

    cases = {
        "global60": lambda m: prune.global_unstructured([(m[int(i)], "weight") for i in LAYERS],
                                                        pruning_method=prune.L1Unstructured, amount=0.6),
        "layer125": lambda m: [prune.l1_unstructured(m[int(i)], "weight", amount=0.125) for i in LAYERS],
        "ln1_50": lambda m: [prune.ln_structured(m[int(i)], "weight", amount=0.5, n=1, dim=0) for i in LAYERS],
        "ln2_34": lambda m: [prune.ln_structured(m[int(i)], "weight", amount=0.34, n=2, dim=0) for i in LAYERS],
    }
    for case, apply in cases.items():
        m = copy.deepcopy(base)
        apply(m)
        for i in LAYERS:
            w.tensor(f"{case}.mask.{i}.weight", m[int(i)].weight_mask, "f32")
    w.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "resources", "golden"))
