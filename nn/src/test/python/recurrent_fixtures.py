#!/usr/bin/python3
"""Writes the PyTorch golden fixtures that nn's RecurrentGoldenTest replays (RNN, LSTM, GRU).

Run with Debian's system Python, which has python3-torch:

    /usr/bin/python3 nn/src/test/python/recurrent_fixtures.py nn/src/test/resources/golden

Each case builds a torch recurrent module in float64, overwrites its parameters (and draws the
input and initial states) with float32-rounded values from a fixed seed, runs forward and
backward in float64, and stores: the inputs and parameters (f32, parameters under torch's
state-dict keys, so the Java test loads them with loadStateDict), the outputs, final states,
loss and every gradient (f64). A comment line lists torch's state-dict keys in order.

The loss is sum(output * w_out) + sum(h_n * w_h) [+ sum(c_n * w_c)] with fixed random weights,
so every output element and every final state gets a distinct gradient.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..",
                                "autograd", "src", "test", "python"))
from kiln_fixtures import Writer, f32  # noqa: E402

SCRIPT = "nn/src/test/python/recurrent_fixtures.py"


def randn(g, *shape, scale=1.0):
    return f32(torch.randn(*shape, generator=g, dtype=torch.float64) * scale)


def case(out_dir, file_name, title, module, seed, x_shape, with_h0=True, with_c0=False):
    g = torch.Generator().manual_seed(seed)
    module = module.to(torch.float64)
    params = {}
    with torch.no_grad():
        for name, p in module.named_parameters():
            # Larger than torch's init range (1/sqrt(H)) so that gates leave their linear region.
            p.copy_(randn(g, *p.shape, scale=0.5))
            params[name] = p
    x = randn(g, *x_shape).requires_grad_(True)
    states = {}
    layers_dirs = module.num_layers * (2 if module.bidirectional else 1)
    batched = len(x_shape) == 3
    batch = (x_shape[0] if module.batch_first else x_shape[1]) if batched else None
    state_shape = (layers_dirs, batch, module.hidden_size) if batched else (layers_dirs, module.hidden_size)
    if with_h0:
        states["h0"] = randn(g, *state_shape, scale=0.5).requires_grad_(True)
    if with_c0:
        states["c0"] = randn(g, *state_shape, scale=0.5).requires_grad_(True)

    if isinstance(module, torch.nn.LSTM):
        hx = (states["h0"], states["c0"]) if with_h0 else None
        output, (h_n, c_n) = module(x, hx)
    else:
        output, h_n = module(x, states.get("h0"))
        c_n = None
    w_out = randn(g, *output.shape)
    w_h = randn(g, *h_n.shape)
    loss = (output * w_out).sum() + (h_n * w_h).sum()
    finals = {"output": output, "h_n": h_n}
    consts = {"w_out": w_out, "w_h": w_h}
    if c_n is not None:
        w_c = randn(g, *c_n.shape)
        loss = loss + (c_n * w_c).sum()
        finals["c_n"] = c_n
        consts["w_c"] = w_c
    loss.backward()

    w = Writer(os.path.join(out_dir, file_name), title, SCRIPT)
    w.lines.append("# module: " + repr(module).replace("\n", " "))
    w.lines.append("# state_dict_keys: " + " ".join(
        f"{k}:{'x'.join(str(d) for d in v.shape)}" for k, v in module.state_dict().items()))
    differentiable = {"x": x, **states, **params}
    w.inputs({**differentiable, **consts})
    for name, t in finals.items():
        w.tensor(name, t, "f64")
    w.results(loss, differentiable)
    w.close()


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "resources", "golden")
    os.makedirs(out_dir, exist_ok=True)
    # T=4 steps, N=3, in=5, H=4
    case(out_dir, "lstm_2layer_bidir_batch_first.txt",
         "LSTM(5, 4, num_layers=2, batch_first=True, bidirectional=True), given h0/c0",
         torch.nn.LSTM(5, 4, num_layers=2, batch_first=True, bidirectional=True), 11, (3, 4, 5), with_c0=True)
    case(out_dir, "gru_2layer_bidir_batch_first.txt",
         "GRU(5, 4, num_layers=2, batch_first=True, bidirectional=True), given h0",
         torch.nn.GRU(5, 4, num_layers=2, batch_first=True, bidirectional=True), 12, (3, 4, 5))
    case(out_dir, "rnn_relu_2layer_bidir.txt",
         "RNN(5, 4, num_layers=2, nonlinearity='relu', bidirectional=True), time-major, given h0",
         torch.nn.RNN(5, 4, num_layers=2, nonlinearity="relu", bidirectional=True), 13, (4, 3, 5))
    case(out_dir, "lstm_unbatched_no_state.txt",
         "LSTM(5, 4) on unbatched input [T, in], zero initial states",
         torch.nn.LSTM(5, 4), 14, (4, 5), with_h0=False)
    case(out_dir, "gru_no_bias.txt",
         "GRU(5, 4, bias=False), time-major, zero initial state",
         torch.nn.GRU(5, 4, bias=False), 15, (4, 3, 5), with_h0=False)


if __name__ == "__main__":
    main()
