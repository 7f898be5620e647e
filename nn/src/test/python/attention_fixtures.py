#!/usr/bin/python3
"""PyTorch golden fixtures for Kiln's attention and transformer layers (nn module).

    /usr/bin/python3 nn/src/test/python/attention_fixtures.py nn/src/test/resources/golden

(a) gpt_block_rope_gqa.txt: a pre-norm GPT decoder block with grouped-query attention (4 query
    heads, 2 kv heads), rotary embeddings (rotate-half layout, base 10000), causal plus key-padding
    masking, and a GELU MLP, written here in plain torch ops with Kiln's parameter names.
(b) encoder_decoder_block.txt: torch.nn.TransformerEncoderLayer + TransformerDecoderLayer
    (batch_first, norm_first, GELU, dropout 0) with their own parameter names under "enc." and
    "dec.", the decoder attending causally to itself and to the encoder output.
(c) mha_*.txt: torch.nn.MultiheadAttention on its own, one file per configuration (bias=False,
    bool masks 2-D and 3-D, additive float masks, key_padding_mask with attn_mask, float key
    padding, kdim/vdim with add_bias_kv and add_zero_attn, unbatched input, batch_first both ways,
    weights averaged and per head). Each stores torch's state-dict keys in a comment line, the
    inputs, parameters and masks (bool masks as i64 0/1), the output, the attention weights, and
    the loss sum(out * w_out) + sum(weights * w_attn) with every input and parameter gradient.
Inputs and parameters are float32 values; forward and backward run in float64 (see kiln_fixtures.py).
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "autograd", "src", "test", "python"))
from kiln_fixtures import Writer, f32  # noqa: E402

SCRIPT = "nn/src/test/python/attention_fixtures.py"


def rope(x, offset=0, base=10000.0):
    """Rotate-half RoPE on [B, H, T, D]."""
    d = x.shape[-1]
    half = d // 2
    pos = torch.arange(offset, offset + x.shape[2], dtype=torch.float64)
    inv = base ** (-2.0 * torch.arange(half, dtype=torch.float64) / d)
    ang = pos[:, None] * inv[None, :]
    # Kiln stores the tables as float32 values
    cos = f32(torch.cat([ang.cos(), ang.cos()], dim=-1))
    sin = f32(torch.cat([ang.sin(), ang.sin()], dim=-1))
    x1, x2 = x[..., :half], x[..., half:]
    return x * cos + torch.cat([-x2, x1], dim=-1) * sin


def named_params(module, prefix=""):
    return {prefix + n: p for n, p in module.named_parameters()}


def round_params_to_f32(module):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(f32(p))


def gpt_block(out_dir):
    g = torch.Generator().manual_seed(11)
    b, t, d, heads, kv_heads = 2, 6, 16, 4, 2
    hd = d // heads

    def lin(i, o):
        m = nn.Linear(i, o).double()
        with torch.no_grad():
            m.weight.copy_(torch.randn(o, i, generator=g, dtype=torch.float64) / math.sqrt(i))
            m.bias.copy_(0.1 * torch.randn(o, generator=g, dtype=torch.float64))
        return m

    block = nn.ModuleDict({
        "ln_1": nn.LayerNorm(d).double(),
        "attn": nn.ModuleDict({"q_proj": lin(d, heads * hd), "k_proj": lin(d, kv_heads * hd),
                               "v_proj": lin(d, kv_heads * hd), "o_proj": lin(heads * hd, d)}),
        "ln_2": nn.LayerNorm(d).double(),
        "mlp": nn.ModuleDict({"linear1": lin(d, 4 * d), "linear2": lin(4 * d, d)}),
    })
    with torch.no_grad():
        for ln in ("ln_1", "ln_2"):
            block[ln].weight.copy_(1 + 0.1 * torch.randn(d, generator=g, dtype=torch.float64))
            block[ln].bias.copy_(0.1 * torch.randn(d, generator=g, dtype=torch.float64))
    round_params_to_f32(block)
    x = f32(torch.randn(b, t, d, generator=g, dtype=torch.float64)).requires_grad_(True)
    weights = f32(torch.randn(b, t, d, generator=g, dtype=torch.float64))
    pad = torch.zeros(b, t, dtype=torch.bool)
    pad[1, t - 2:] = True  # the last two tokens of sequence 1 are padding (as keys)

    a = block["attn"]
    h = block["ln_1"](x)
    q = a["q_proj"](h).view(b, t, heads, hd).transpose(1, 2)
    k = a["k_proj"](h).view(b, t, kv_heads, hd).transpose(1, 2)
    v = a["v_proj"](h).view(b, t, kv_heads, hd).transpose(1, 2)
    q, k = rope(q), rope(k)
    k = k.repeat_interleave(heads // kv_heads, dim=1)
    v = v.repeat_interleave(heads // kv_heads, dim=1)
    scores = q @ k.transpose(-2, -1) / math.sqrt(hd)
    scores = scores.masked_fill(torch.triu(torch.ones(t, t, dtype=torch.bool), 1), float("-inf"))
    scores = scores.masked_fill(pad[:, None, None, :], float("-inf"))
    y = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
    h1 = x + a["o_proj"](y)
    out = h1 + block["mlp"]["linear2"](F.gelu(block["mlp"]["linear1"](block["ln_2"](h1))))
    loss = (out * weights).sum()
    loss.backward()

    w = Writer(os.path.join(out_dir, "gpt_block_rope_gqa.txt"),
               "pre-norm GPT block, GQA 4q/2kv heads, RoPE, causal + key padding, GELU MLP; loss = sum(out * weights)", SCRIPT)
    params = named_params(block, "block.")
    w.inputs({"x": x, **params})
    w.tensor("weights", weights, "f32")
    w.tensor("pad", pad.to(torch.int64), "i64")
    w.tensor("out", out, "f64")
    w.results(loss, {"x": x, **params})
    w.close()


def encoder_decoder(out_dir):
    g = torch.Generator().manual_seed(12)
    torch.manual_seed(12)
    b, s, t, d, heads, ff = 2, 5, 4, 16, 4, 32
    enc = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, activation="gelu", batch_first=True, norm_first=True).double()
    dec = nn.TransformerDecoderLayer(d, heads, ff, dropout=0.0, activation="gelu", batch_first=True, norm_first=True).double()
    with torch.no_grad():
        for m in (enc, dec):
            for n, p in m.named_parameters():
                if "norm" in n and n.endswith("weight"):
                    p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g, dtype=torch.float64))
                else:  # non-zero biases, so their gradients are checked too
                    p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * (0.1 if p.dim() == 1 else 1 / math.sqrt(p.shape[-1])))
    round_params_to_f32(enc)
    round_params_to_f32(dec)
    enc.train()
    dec.train()
    src = f32(torch.randn(b, s, d, generator=g, dtype=torch.float64)).requires_grad_(True)
    tgt = f32(torch.randn(b, t, d, generator=g, dtype=torch.float64)).requires_grad_(True)
    weights = f32(torch.randn(b, t, d, generator=g, dtype=torch.float64))
    src_pad = torch.zeros(b, s, dtype=torch.bool)
    src_pad[0, s - 1] = True
    memory = enc(src, src_key_padding_mask=src_pad)
    causal = torch.triu(torch.full((t, t), float("-inf"), dtype=torch.float64), 1)
    out = dec(tgt, memory, tgt_mask=causal, memory_key_padding_mask=src_pad)
    loss = (out * weights).sum()
    loss.backward()

    w = Writer(os.path.join(out_dir, "encoder_decoder_block.txt"),
               "torch TransformerEncoderLayer + TransformerDecoderLayer (batch_first, norm_first, gelu, dropout 0); "
               "loss = sum(decoder_out * weights)", SCRIPT)
    params = {**named_params(enc, "enc."), **named_params(dec, "dec.")}
    w.inputs({"src": src, "tgt": tgt, **params})
    w.tensor("weights", weights, "f32")
    w.tensor("src_pad", src_pad.to(torch.int64), "i64")
    w.tensor("out", out, "f64")
    w.results(loss, {"src": src, "tgt": tgt, **params})
    w.close()


def mha_case(out_dir, name, title, seed, module_kwargs, shapes, self_attention=False, attn_mask=None, key_padding_mask=None,
             average_attn_weights=True):
    """One MultiheadAttention fixture. shapes = (query, key, value) shapes in the module's layout;
    attn_mask / key_padding_mask are callables g -> tensor (bool or float64 of f32 values)."""
    g = torch.Generator().manual_seed(seed)
    mha = nn.MultiheadAttention(**module_kwargs).double()
    with torch.no_grad():
        for n, p in mha.named_parameters():
            scale = 0.1 if p.dim() == 1 else 0.5 if n.startswith("bias_") else 1 / math.sqrt(p.shape[-1])
            p.copy_(f32(torch.randn(p.shape, generator=g, dtype=torch.float64) * scale))
    params = named_params(mha)
    if self_attention:
        x = f32(torch.randn(shapes[0], generator=g, dtype=torch.float64)).requires_grad_(True)
        inputs = {"x": x}
        query = key = value = x
    else:
        query, key, value = (f32(torch.randn(sh, generator=g, dtype=torch.float64)).requires_grad_(True) for sh in shapes)
        inputs = {"query": query, "key": key, "value": value}
    masks = {}
    if attn_mask is not None:
        masks["attn_mask"] = attn_mask(g)
    if key_padding_mask is not None:
        masks["key_padding_mask"] = key_padding_mask(g)
    out, weights = mha(query, key, value, need_weights=True, average_attn_weights=average_attn_weights, **masks)
    assert not out.isnan().any() and not weights.isnan().any(), name + ": no row may be fully masked"
    w_out = f32(torch.randn(out.shape, generator=g, dtype=torch.float64))
    w_attn = f32(torch.randn(weights.shape, generator=g, dtype=torch.float64))
    loss = (out * w_out).sum() + (weights * w_attn).sum()
    loss.backward()

    w = Writer(os.path.join(out_dir, name), title + "; loss = sum(out * w_out) + sum(weights * w_attn)", SCRIPT)
    w.lines.append("# module: " + repr(mha).replace("\n", " ") + " " + repr(module_kwargs))
    w.lines.append("# state_dict_keys: " + " ".join(
        f"{k}:{'x'.join(str(d) for d in v.shape)}" for k, v in mha.state_dict().items()))
    w.inputs({**inputs, **params})
    for k, m in masks.items():
        w.tensor(k, m.to(torch.int64), "i64") if m.dtype == torch.bool else w.tensor(k, m, "f32")
    w.tensor("w_out", w_out, "f32")
    w.tensor("w_attn", w_attn, "f32")
    w.tensor("out", out, "f64")
    w.tensor("weights", weights, "f64")
    w.results(loss, {**inputs, **params})
    w.close()


def bool_mask(*shape, p=0.3):
    """Random bool mask (true = not allowed) that leaves the first key of every row allowed, so no row is fully masked."""
    def make(g):
        m = torch.rand(shape, generator=g) < p
        m[..., 0] = False
        return m
    return make


def float_mask(*shape, scale=2.0):
    return lambda g: f32(torch.randn(shape, generator=g, dtype=torch.float64) * scale)


def padding(n, s, padded):
    """Bool [n, s] (or [s] when n is None): the last padded[i] keys of sequence i are padding."""
    def make(g):
        m = torch.zeros(1 if n is None else n, s, dtype=torch.bool)
        for i, k in enumerate(padded):
            if k:
                m[i, s - k:] = True
        return m[0] if n is None else m
    return make


def multihead_attention(out_dir):
    e, h, n, l, s = 8, 2, 2, 3, 4
    mha_case(out_dir, "mha_no_bias_bool_mask_2d.txt", "MultiheadAttention(8, 2, bias=False, batch_first=True), "
             "cross-attention, bool attn_mask [L, S], averaged weights", 21,
             dict(embed_dim=e, num_heads=h, bias=False, batch_first=True), ((n, l, e), (n, s, e), (n, s, e)),
             attn_mask=bool_mask(l, s))
    mha_case(out_dir, "mha_bool_mask_3d_per_head.txt", "MultiheadAttention(8, 2), sequence-first, bool attn_mask "
             "[N * H, L, S], per-head weights", 22,
             dict(embed_dim=e, num_heads=h), ((l, n, e), (s, n, e), (s, n, e)),
             attn_mask=bool_mask(n * h, l, s), average_attn_weights=False)
    mha_case(out_dir, "mha_float_mask_with_padding.txt", "MultiheadAttention(8, 2), sequence-first self-attention, "
             "float attn_mask [L, L] + bool key_padding_mask, averaged weights", 23,
             dict(embed_dim=e, num_heads=h), ((s, n, e),), self_attention=True,
             attn_mask=float_mask(s, s), key_padding_mask=padding(n, s, [0, 2]))
    mha_case(out_dir, "mha_float_padding_batch_first.txt", "MultiheadAttention(8, 2, batch_first=True), float "
             "key_padding_mask, per-head weights", 24,
             dict(embed_dim=e, num_heads=h, batch_first=True), ((n, l, e), (n, s, e), (n, s, e)),
             key_padding_mask=float_mask(n, s), average_attn_weights=False)
    mha_case(out_dir, "mha_kdim_vdim_bias_kv_zero_attn.txt", "MultiheadAttention(8, 2, kdim=5, vdim=6, add_bias_kv=True, "
             "add_zero_attn=True, batch_first=True), bool attn_mask [L, S] + bool key_padding_mask, averaged weights", 25,
             dict(embed_dim=e, num_heads=h, kdim=5, vdim=6, add_bias_kv=True, add_zero_attn=True, batch_first=True),
             ((n, l, e), (n, s, 5), (n, s, 6)), attn_mask=bool_mask(l, s), key_padding_mask=padding(n, s, [1, 0]))
    mha_case(out_dir, "mha_unbatched.txt", "MultiheadAttention(8, 2) on unbatched [L, E] input, float attn_mask "
             "[H, L, S] + bool key_padding_mask [S], per-head weights", 26,
             dict(embed_dim=e, num_heads=h), ((l, e), (s, e), (s, e)),
             attn_mask=float_mask(h, l, s), key_padding_mask=padding(None, s, [1]), average_attn_weights=False)
    causal = lambda g: torch.triu(torch.ones(s, s, dtype=torch.bool), 1)  # noqa: E731
    mha_case(out_dir, "mha_causal_padding.txt", "MultiheadAttention(8, 2, batch_first=True) self-attention, causal "
             "attn_mask + bool key_padding_mask, averaged weights", 27,
             dict(embed_dim=e, num_heads=h, batch_first=True), ((n, s, e),), self_attention=True,
             attn_mask=causal, key_padding_mask=padding(n, s, [0, 1]))


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "resources", "golden")
    os.makedirs(out_dir, exist_ok=True)
    gpt_block(out_dir)
    encoder_decoder(out_dir)
    multihead_attention(out_dir)


if __name__ == "__main__":
    main()
