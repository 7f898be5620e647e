package dev.kiln.nn.recurrent;

import dev.kiln.autograd.Var;
import dev.kiln.nn.UnaryModule;
import dev.kiln.nn.init.Init;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.random.Generator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What {@link RNN}, {@link LSTM} and {@link GRU} share (torch's {@code RNNBase}): the parameters,
 * named and shaped as torch's ({@code weight_ih_l{k}[_reverse]} [G*H, in_k],
 * {@code weight_hh_l{k}[_reverse]} [G*H, H], {@code bias_ih_l{k}[_reverse]},
 * {@code bias_hh_l{k}[_reverse]} [G*H], registered in torch's order) and all initialised
 * U(-1/sqrt(H), 1/sqrt(H)); the input checks; and the batch-first / unbatched layouts.
 *
 * <p><b>Two ways to call one.</b> torch's recurrent layers return a tuple {@code (output, h_n)},
 * which is why they do not fit {@code nn.Sequential}. Here every recurrent layer is a
 * {@link UnaryModule}: {@link #forward(Var)} returns only the output sequence, so
 * {@code new Sequential(new LSTM(8, 16, opts), new Linear(16, 4))} works and keeps torch's
 * parameter names ({@code 0.weight_ih_l0}, ...). The final states (and initial states) are
 * {@code forwardWithState} on each subclass, which returns the whole record.
 */
public abstract sealed class RecurrentLayer extends UnaryModule permits RNN, LSTM, GRU {
    public final int inputSize;
    public final int hiddenSize;
    public final int numLayers;
    public final boolean bias;
    public final boolean batchFirst;
    public final double dropout;
    public final boolean bidirectional;
    private final Recurrence.Mode mode;
    private final List<Var> flatWeights = new ArrayList<>();
    private final Generator dropoutGenerator;

    RecurrentLayer(Recurrence.Mode mode, int inputSize, int hiddenSize, RecurrentOptions options, Generator g) {
        String name = getClass().getSimpleName();
        if (inputSize < 1 || hiddenSize < 1) {
            throw new IllegalArgumentException(name + ": inputSize and hiddenSize must be positive, got " + inputSize
                    + " and " + hiddenSize);
        }
        if (options == null || g == null) {
            throw new IllegalArgumentException(name + ": options and generator must not be null");
        }
        this.mode = mode;
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        this.numLayers = options.numLayers();
        this.bias = options.bias();
        this.batchFirst = options.batchFirst();
        this.dropout = options.dropout();
        this.bidirectional = options.bidirectional();
        int gateRows = mode.gates * hiddenSize;
        double bound = 1 / Math.sqrt(hiddenSize);
        for (int layer = 0; layer < numLayers; layer++) {
            int in = layer == 0 ? inputSize : hiddenSize * directions();
            for (int d = 0; d < directions(); d++) {
                String suffix = "_l" + layer + (d == 1 ? "_reverse" : "");
                flatWeights.add(registerParameter("weight_ih" + suffix, Init.uniform(Tensor.empty(gateRows, in), -bound, bound, g)));
                flatWeights.add(registerParameter("weight_hh" + suffix,
                        Init.uniform(Tensor.empty(gateRows, hiddenSize), -bound, bound, g)));
                if (bias) {
                    flatWeights.add(registerParameter("bias_ih" + suffix, Init.uniform(Tensor.empty(gateRows), -bound, bound, g)));
                    flatWeights.add(registerParameter("bias_hh" + suffix, Init.uniform(Tensor.empty(gateRows), -bound, bound, g)));
                }
            }
        }
        this.dropoutGenerator = g.split();
    }

    /** 2 when bidirectional, else 1. */
    public final int directions() {
        return bidirectional ? 2 : 1;
    }

    /**
     * Runs from zero states and returns the last layer's hidden state at every step ([T, N, D*H],
     * [N, T, D*H] batch-first, [T, D*H] unbatched): torch's {@code layer(x)[0]}, what a
     * {@link dev.kiln.nn.Sequential} passes on. {@code forwardWithState} also returns the final states.
     */
    @Override
    public final Var forward(Var input) {
        return runLayers(input, null, null).output();
    }

    /** The parameters in torch's flat order (per layer, per direction: w_ih, w_hh[, b_ih, b_hh]). */
    public final List<Var> flatWeights() {
        return List.copyOf(flatWeights);
    }

    /**
     * Checks the shapes, moves to the time-major batched layout, runs the recurrence and moves the
     * results back. {@code h0} and {@code c0} may be null (zeros); {@code c0} is only read for LSTM.
     */
    final Recurrence.Sequence runLayers(Var input, Var h0, Var c0) {
        String name = getClass().getSimpleName();
        if (input == null) {
            throw new IllegalArgumentException(name + ": input must not be null");
        }
        Tensor x = input.value();
        if (x.rank() != 2 && x.rank() != 3) {
            throw new IllegalArgumentException(name + ": input must have 3 dimensions ("
                    + (batchFirst ? "[batch, seq, features]" : "[seq, batch, features]")
                    + ") or 2 when unbatched ([seq, features]), got shape " + x.shape());
        }
        if (x.size(-1) != inputSize) {
            throw new IllegalArgumentException(name + ": input.size(-1) must equal input_size " + inputSize
                    + ", got input of shape " + x.shape());
        }
        if (!x.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(name + ": input must be floating point, got " + x.dtype());
        }
        Tensor w = flatWeights.get(0).value();
        if (x.dtype() != w.dtype()) {
            throw new IllegalArgumentException(name + ": input dtype " + x.dtype() + " differs from the parameters' "
                    + w.dtype());
        }
        boolean batched = x.rank() == 3;
        Var seq = batched ? (batchFirst ? input.transpose(0, 1) : input) : input.unsqueeze(1); // [T, N, in]
        int steps = seq.shape().size(0);
        int batch = seq.shape().size(1);
        if (steps == 0 || batch == 0) {
            throw new IllegalArgumentException(name + ": input must have at least one time step and one batch row, got shape "
                    + x.shape());
        }
        int[] stateShape = batched ? new int[] {numLayers * directions(), batch, hiddenSize}
                : new int[] {numLayers * directions(), hiddenSize};
        Var h = state("h0", h0, stateShape, x, batched);
        Var c = mode == Recurrence.Mode.LSTM ? state("c0", c0, stateShape, x, batched) : null;
        Recurrence.Sequence out = Recurrence.run(mode, seq, h, c, flatWeights, numLayers, bidirectional, bias,
                dropout, isTraining(), dropoutGenerator);
        Var output = out.output();
        Var hN = out.hN();
        Var cN = out.cN();
        if (!batched) {
            output = output.squeeze(1);
            hN = hN.squeeze(1);
            cN = cN == null ? null : cN.squeeze(1);
        } else if (batchFirst) {
            output = output.transpose(0, 1);
        }
        return new Recurrence.Sequence(output, hN, cN);
    }

    // An initial state, checked against torch's expected shape, as [L*D, N, H]; zeros when absent.
    private Var state(String what, Var given, int[] expected, Tensor x, boolean batched) {
        int batch = batched ? expected[1] : 1;
        if (given == null) {
            return Var.constant(x.newZeros(x.dtype(), expected[0], batch, hiddenSize));
        }
        Tensor v = given.value();
        if (!Arrays.equals(v.shape().toArray(), expected)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": " + what + " must have shape "
                    + Arrays.toString(expected) + (batched ? " ([num_layers * num_directions, batch, hidden_size])"
                    : " ([num_layers * num_directions, hidden_size] for unbatched input)") + ", got " + v.shape());
        }
        if (v.dtype() != x.dtype()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": " + what + " dtype " + v.dtype()
                    + " differs from the input's " + x.dtype());
        }
        return batched ? given : given.unsqueeze(1);
    }

    /** torch's extra_repr: {@code 10, 20, num_layers=2, bidirectional=True}, listing only non-defaults. */
    @Override
    protected String extraRepr() {
        StringBuilder s = new StringBuilder().append(inputSize).append(", ").append(hiddenSize);
        if (numLayers != 1) {
            s.append(", num_layers=").append(numLayers);
        }
        if (!bias) {
            s.append(", bias=False");
        }
        if (batchFirst) {
            s.append(", batch_first=True");
        }
        if (dropout != 0) {
            s.append(", dropout=").append(dropout);
        }
        if (bidirectional) {
            s.append(", bidirectional=True");
        }
        return s.toString();
    }
}
