#!/usr/bin/python3
"""Writes the PyTorch golden fixtures that autograd's GoldenFixturesTest replays.

Run with Debian's system Python, which has python3-torch:

    /usr/bin/python3 autograd/src/test/python/golden_fixtures.py autograd/src/test/resources/golden

Every case draws its inputs and parameters from a fixed seed, rounds them to float32 (the values
Kiln receives are exactly these), then runs forward and backward in float64 from those values, so
the stored loss and gradients are the float64 truth for float32 inputs: a Kiln F32 result can be
compared against them without PyTorch's own F32 rounding in the way.

The file format is described in kiln_fixtures.py (shared with the nn module's fixture scripts).
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kiln_fixtures import Writer, f32  # noqa: E402


def param(g, *shape, scale=1.0):
    return f32(torch.randn(*shape, generator=g, dtype=torch.float64) * scale).requires_grad_(True)


SCRIPT = "autograd/src/test/python/golden_fixtures.py"


def mlp(out_dir):
    """(a) 2-layer MLP with exact (erf) GELU and cross-entropy."""
    g = torch.Generator().manual_seed(1)
    n, d_in, hidden, classes = 8, 10, 16, 5
    x = param(g, n, d_in)
    w1 = param(g, hidden, d_in, scale=1 / math.sqrt(d_in))
    b1 = param(g, hidden, scale=0.1)
    w2 = param(g, classes, hidden, scale=1 / math.sqrt(hidden))
    b2 = param(g, classes, scale=0.1)
    target = torch.randint(0, classes, (n,), generator=g)
    logits = F.linear(F.gelu(F.linear(x, w1, b1)), w2, b2)
    loss = F.cross_entropy(logits, target)
    loss.backward()
    w = Writer(os.path.join(out_dir, "mlp_gelu_cross_entropy.txt"), "linear -> gelu -> linear -> cross_entropy", SCRIPT)
    named = {"x": x, "w1": w1, "b1": b1, "w2": w2, "b2": b2}
    w.inputs({**named, "target": target})
    w.results(loss, named)
    w.close()


def attention(out_dir):
    """(b) Pre-LayerNorm causal self-attention block with a residual connection, MSE loss."""
    g = torch.Generator().manual_seed(2)
    b, t, c, heads = 2, 5, 8, 2
    hd = c // heads
    x = param(g, b, t, c)
    ln_w = f32(1 + 0.1 * torch.randn(c, generator=g, dtype=torch.float64)).requires_grad_(True)
    ln_b = param(g, c, scale=0.1)
    w_qkv = param(g, 3 * c, c, scale=1 / math.sqrt(c))
    b_qkv = param(g, 3 * c, scale=0.1)
    w_o = param(g, c, c, scale=1 / math.sqrt(c))
    b_o = param(g, c, scale=0.1)
    target = f32(torch.randn(b, t, c, generator=g, dtype=torch.float64))

    h = F.layer_norm(x, (c,), ln_w, ln_b, eps=1e-5)
    q, k, v = F.linear(h, w_qkv, b_qkv).split(c, dim=-1)
    q = q.view(b, t, heads, hd).transpose(1, 2)  # [B, H, T, hd]
    k = k.view(b, t, heads, hd).transpose(1, 2)
    v = v.view(b, t, heads, hd).transpose(1, 2)
    scores = q @ k.transpose(-2, -1) / math.sqrt(hd)
    causal = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
    att = scores.masked_fill(causal, float("-inf")).softmax(dim=-1)
    y = (att @ v).transpose(1, 2).reshape(b, t, c)
    out = x + F.linear(y, w_o, b_o)
    loss = F.mse_loss(out, target)
    loss.backward()
    w = Writer(os.path.join(out_dir, "causal_attention_block.txt"),
               "x + proj(causal_self_attention(layer_norm(x))), 2 heads -> mse_loss", SCRIPT)
    named = {"x": x, "ln_w": ln_w, "ln_b": ln_b, "w_qkv": w_qkv, "b_qkv": b_qkv, "w_o": w_o, "b_o": b_o}
    w.inputs(named)
    w.tensor("target", target, "f32")
    w.results(loss, named)
    w.close()


def convnet(out_dir):
    """(c) conv -> relu -> max pool -> conv (stride 2) -> avg pool -> linear -> cross-entropy."""
    g = torch.Generator().manual_seed(3)
    n, c_in, size, classes = 3, 2, 8, 4
    x = param(g, n, c_in, size, size)
    w1 = param(g, 4, c_in, 3, 3, scale=1 / math.sqrt(c_in * 9))
    b1 = param(g, 4, scale=0.1)
    w2 = param(g, 6, 4, 3, 3, scale=1 / math.sqrt(4 * 9))
    b2 = param(g, 6, scale=0.1)
    w3 = param(g, classes, 6, scale=1 / math.sqrt(6))
    b3 = param(g, classes, scale=0.1)
    target = torch.randint(0, classes, (n,), generator=g)
    h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, stride=1, padding=1)), kernel_size=2, stride=2)  # [N, 4, 4, 4]
    h = F.conv2d(h, w2, b2, stride=2, padding=1)  # [N, 6, 2, 2]
    h = F.avg_pool2d(h, kernel_size=2, stride=2).flatten(1)  # [N, 6]
    loss = F.cross_entropy(F.linear(h, w3, b3), target)
    loss.backward()
    w = Writer(os.path.join(out_dir, "conv_pool_linear.txt"),
               "conv3x3 pad1 -> relu -> maxpool2 -> conv3x3 stride2 pad1 -> avgpool2 -> linear -> cross_entropy", SCRIPT)
    named = {"x": x, "w1": w1, "b1": b1, "w2": w2, "b2": b2, "w3": w3, "b3": b3}
    w.inputs({**named, "target": target})
    w.results(loss, named)
    w.close()


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "resources", "golden")
    os.makedirs(out_dir, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    mlp(out_dir)
    attention(out_dir)
    convnet(out_dir)


if __name__ == "__main__":
    main()
