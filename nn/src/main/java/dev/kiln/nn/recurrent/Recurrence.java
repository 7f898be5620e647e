package dev.kiln.nn.recurrent;

import dev.kiln.autograd.Functional;
import dev.kiln.autograd.Var;
import dev.kiln.tensor.random.Generator;
import java.util.ArrayList;
import java.util.List;

/**
 * The recurrences of {@link RNN}, {@link LSTM} and {@link GRU} as functions of their weights
 * (torch's {@code _VF.lstm} / {@code _VF.lstm_cell} and friends), built from differentiable
 * {@link Var} ops, so autograd supplies backpropagation through time.
 *
 * <p>Gate equations are PyTorch's (H = hidden size; x_t [N, in], h [N, H]):
 * <pre>
 *   RNN:  h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)                    act = tanh or relu
 *   LSTM: i, f, g, o = chunks of (x W_ih^T + b_ih + h W_hh^T + b_hh)     W_* [4H, .], order i f g o
 *         c' = sigmoid(f) * c + sigmoid(i) * tanh(g);   h' = sigmoid(o) * tanh(c')
 *   GRU:  r, z, n chunks of W_* [3H, .], order r z n
 *         r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr),  z likewise
 *         n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn));   h' = (1 - z) * n + z * h
 * </pre>
 *
 * <p>In {@link #run} the sequence moves between layers as per-step Vars (slicing a stacked
 * [T, ...] Var costs a full-size gradient per slice in backward, O(T^2) in all); each step projects
 * its own input, and only the final output is stacked.
 */
public final class Recurrence {
    private Recurrence() {}

    /** The cell kind, with its number of gate blocks in W_ih / W_hh (torch's mode strings). */
    public enum Mode {
        RNN_TANH(1), RNN_RELU(1), LSTM(4), GRU(3);

        public final int gates;

        Mode(int gates) {
            this.gates = gates;
        }
    }

    /** What {@link #run} returns: output [T, N, D*H], hN [L*D, N, H], cN [L*D, N, H] (null unless LSTM). */
    public record Sequence(Var output, Var hN, Var cN) {}

    // ---------------------------------------------------------------- single steps (cells)

    /** One Elman RNN step: x [N, in], h [N, H] -> [N, H]; biases may be null. */
    public static Var rnnCell(Var x, Var h, Var wIh, Var wHh, Var bIh, Var bHh, boolean relu) {
        return rnnStep(project(x, wIh, bIh), project(h, wHh, bHh), relu);
    }

    /** One LSTM step: x [N, in], h and c [N, H] -> {h', c'}; biases may be null. */
    public static Var[] lstmCell(Var x, Var h, Var c, Var wIh, Var wHh, Var bIh, Var bHh) {
        return lstmStep(project(x, wIh, bIh), project(h, wHh, bHh), c);
    }

    /** One GRU step: x [N, in], h [N, H] -> [N, H]; biases may be null. */
    public static Var gruCell(Var x, Var h, Var wIh, Var wHh, Var bIh, Var bHh) {
        return gruStep(project(x, wIh, bIh), project(h, wHh, bHh), h);
    }

    // a [..., k] @ w^T + b: w [G, k], b [G] or null
    private static Var project(Var a, Var w, Var b) {
        Var y = a.matmul(w.t());
        return b == null ? y : y.add(b);
    }

    // xg = x W_ih^T (+ biases) [N, H], hg = h W_hh^T [N, H]
    private static Var rnnStep(Var xg, Var hg, boolean relu) {
        Var pre = xg.add(hg);
        return relu ? pre.relu() : pre.tanh();
    }

    // xg, hg [N, 4H] (biases already in xg or hg), c [N, H] -> {h', c'}
    private static Var[] lstmStep(Var xg, Var hg, Var c) {
        return Functional.lstmCell(xg.add(hg), c);
    }

    // xg [N, 3H] holds x W_ih^T + b_ih, hg [N, 3H] holds h W_hh^T + b_hh (b_hn must stay inside r * (...))
    private static Var gruStep(Var xg, Var hg, Var h) {
        List<Var> xs = xg.chunk(3, -1);
        List<Var> hs = hg.chunk(3, -1);
        Var r = xs.get(0).add(hs.get(0)).sigmoid();
        Var z = xs.get(1).add(hs.get(1)).sigmoid();
        Var n = xs.get(2).add(r.mul(hs.get(2))).tanh();
        return n.add(z.mul(h.sub(n))); // (1 - z) * n + z * h
    }

    // ---------------------------------------------------------------- whole sequences

    /**
     * Runs a multi-layer, optionally bidirectional recurrence over a time-major sequence.
     *
     * @param input [T, N, in] (time first; callers transpose batch-first input)
     * @param h0 [L*D, N, H], row {@code layer * D + direction}
     * @param c0 [L*D, N, H] for LSTM, ignored otherwise
     * @param weights torch's flat order: for each layer, for each direction (forward, then reverse),
     *     {@code w_ih [G*H, in_l], w_hh [G*H, H]} and, with {@code bias}, {@code b_ih, b_hh [G*H]}
     * @param dropout probability of dropping each element of every layer's output but the last,
     *     applied only when {@code training}, with masks drawn from {@code generator}
     */
    public static Sequence run(Mode mode, Var input, Var h0, Var c0, List<Var> weights, int numLayers,
                               boolean bidirectional, boolean bias, double dropout, boolean training,
                               Generator generator) {
        int dirs = bidirectional ? 2 : 1;
        int perDir = bias ? 4 : 2;
        if (weights.size() != numLayers * dirs * perDir) {
            throw new IllegalArgumentException("Recurrence.run: expected " + numLayers * dirs * perDir
                    + " weight tensors (" + numLayers + " layers x " + dirs + " directions x " + perDir + "), got "
                    + weights.size());
        }
        boolean lstm = mode == Mode.LSTM;
        // The sequence flows between layers as per-step Vars, never stacked and re-sliced: the
        // backward of slicing a [T, ...] Var is a full-size gradient per slice (O(T^2) in all).
        List<Var> steps = timeSlices(input);
        int t = steps.size();
        List<Var> hs = new ArrayList<>();
        List<Var> cs = new ArrayList<>();
        for (int layer = 0; layer < numLayers; layer++) {
            List<Var[]> outs = new ArrayList<>();
            for (int d = 0; d < dirs; d++) {
                int k = (layer * dirs + d) * perDir;
                int row = layer * dirs + d;
                Var h = h0.narrow(0, row, 1).squeeze(0);
                Var c = lstm ? c0.narrow(0, row, 1).squeeze(0) : null;
                Direction res = direction(mode, steps, h, c, weights.get(k), weights.get(k + 1),
                        bias ? weights.get(k + 2) : null, bias ? weights.get(k + 3) : null, d == 1);
                outs.add(res.outputs());
                hs.add(res.h());
                if (lstm) {
                    cs.add(res.c());
                }
            }
            List<Var> next = new ArrayList<>(t);
            for (int s = 0; s < t; s++) {
                next.add(dirs == 1 ? outs.get(0)[s] : Var.cat(List.of(outs.get(0)[s], outs.get(1)[s]), 1));
            }
            if (layer < numLayers - 1 && training && dropout > 0) {
                next = dropoutSteps(next, dropout, generator);
            }
            steps = next;
        }
        return new Sequence(Var.stack(steps, 0), Var.stack(hs, 0), lstm ? Var.stack(cs, 0) : null);
    }

    /**
     * Inverted dropout over a layer's whole output [T, N, D*H] (one mask drawn for all steps at
     * once, exactly as Functional.dropout would draw it for the stacked tensor), applied per step.
     */
    private static List<Var> dropoutSteps(List<Var> steps, double p, Generator generator) {
        int[] stepShape = steps.get(0).value().shape().toArray();
        int[] full = new int[stepShape.length + 1];
        full[0] = steps.size();
        System.arraycopy(stepShape, 0, full, 1, stepShape.length);
        dev.kiln.tensor.Tensor first = steps.get(0).value();
        dev.kiln.tensor.Tensor mask;
        try (dev.kiln.tensor.DeviceScope _ = dev.kiln.tensor.DeviceScope.enter(first.device())) {
            mask = p >= 1 ? first.newZeros(first.dtype(), full)
                    : dev.kiln.tensor.Tensor.rand(generator, full).gt(p).to(first.dtype()).mul(1.0 / (1 - p));
        }
        List<Var> out = new ArrayList<>(steps.size());
        for (int s = 0; s < steps.size(); s++) {
            out.add(steps.get(s).mul(Var.constant(mask.narrow(0, s, 1).squeeze(0))));
        }
        return out;
    }

    /** One direction's per-step outputs (in time order) and its final states. */
    private record Direction(Var[] outputs, Var h, Var c) {}

    // One direction of one layer over per-step inputs x[t] [N, in] -> outputs[t] [N, H] and the last h, c.
    private static Direction direction(Mode mode, List<Var> xs, Var h, Var c, Var wIh, Var wHh, Var bIh, Var bHh,
                                       boolean reverse) {
        int steps = xs.size();
        // Both biases are folded into the input projection except for GRU, whose b_hn sits inside
        // r * (h W_hn^T + b_hn).
        Var xBias = bIh == null ? null : mode == Mode.GRU ? bIh : bIh.add(bHh);
        Var hBias = mode == Mode.GRU ? bHh : null;
        Var wIhT = wIh.t();
        Var wHhT = wHh.t();
        Var[] outs = new Var[steps];
        for (int s = 0; s < steps; s++) {
            int t = reverse ? steps - 1 - s : s;
            Var xt = xs.get(t).matmul(wIhT);
            if (xBias != null) {
                xt = xt.add(xBias);
            }
            Var hg = h.matmul(wHhT);
            if (hBias != null) {
                hg = hg.add(hBias);
            }
            switch (mode) {
                case RNN_TANH -> h = rnnStep(xt, hg, false);
                case RNN_RELU -> h = rnnStep(xt, hg, true);
                case GRU -> h = gruStep(xt, hg, h);
                case LSTM -> {
                    Var[] hc = lstmStep(xt, hg, c);
                    h = hc[0];
                    c = hc[1];
                }
            }
            outs[t] = h;
        }
        return new Direction(outs, h, c);
    }

    /**
     * a [T, ...] as T Vars a[t] [...]. The backward of a narrow is a gradient of the full input's
     * size, so narrowing each step straight out of a [T, ...] tensor costs O(T^2) in backward.
     * Narrowing blocks of about sqrt(T) steps first, then steps out of their block, costs
     * O(T^1.5) (measured on a 2-layer LSTM(64, 128), T = 100, N = 16: backward about 2x faster).
     */
    static List<Var> timeSlices(Var a) {
        int steps = a.shape().size(0);
        int block = (int) Math.ceil(Math.sqrt(steps));
        List<Var> out = new ArrayList<>(steps);
        for (int start = 0; start < steps; start += block) {
            int len = Math.min(block, steps - start);
            Var b = len == steps ? a : a.narrow(0, start, len);
            for (int t = 0; t < len; t++) {
                out.add(b.narrow(0, t, 1).squeeze(0));
            }
        }
        return out;
    }
}
